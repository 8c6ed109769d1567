"""Synthetic and estimated marks follow the data: a register that is no longer synthetic is
no longer marked so, on the pages, in the exports and in the workbook."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from municipalities.models import DemandIndicator, PopulationProjection
from practices.models import Practice, RecordSource
from tests.reports.conftest import Site


@pytest.fixture
def imported_register(site: Site, db: None) -> None:
    Practice.objects.update(source=RecordSource.IMPORTED)
    cache.clear()


def _compare_statuses(client: Any, site: Site) -> set[str]:
    response = client.get(f"/compare/export.csv?s={site.default.pk}&s={site.variant.pk}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    col = rows[0].index("capacities_today_status")
    return {r[col] for r in rows[1:]}


def _workbook(client: Any, site: Site) -> Any:
    response = client.get(f"/runs/{site.default_run.pk}/workbook.xlsx")
    return load_workbook(io.BytesIO(response.content))


def test_the_synthetic_register_is_marked(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    cache.clear()
    assert 'class="num synthetic"' in client.get("/clusters/").content.decode()
    assert _compare_statuses(client, site) == {"synthetic"}
    book = _workbook(client, site)
    about = [r[0] for r in book["Om"].iter_rows(values_only=True) if r and r[0]]
    assert "Kapaciteter i dag (syntetisk register)" in about
    html = client.get(f"/scenarios/{site.default.pk}/report/").content.decode()
    assert "Kronisk" in html or "kronisk" in html  # the estimated drivers, by their labels


def test_an_imported_register_is_not_marked_synthetic(
    site: Site, as_user: Any, imported_register: None
) -> None:
    client = as_user("viewer")
    html = client.get("/clusters/").content.decode()
    assert 'class="synthetic"' not in html and "syntetisk" not in html
    assert _compare_statuses(client, site) == {"imported"}
    book = _workbook(client, site)
    statuses = {r[6] for r in book["Kommuner"].iter_rows(min_row=2, values_only=True)}
    assert statuses == {"imported"}
    about = [r[0] for r in book["Om"].iter_rows(values_only=True) if r and r[0]]
    assert "Kapaciteter i dag" in about
    assert not any("syntetisk" in str(x) for x in about)
    report = client.get(f"/scenarios/{site.default.pk}/report/").content.decode()
    assert "det importerede praksisregister" in report
    assert "Praksisregister: syntetisk" not in report  # the footer follows the data too


def test_without_estimated_drivers_nothing_is_called_estimated(site: Site, as_user: Any) -> None:
    DemandIndicator.objects.filter(status="estimated").update(status="sourced")
    # The population projection is data too (estimated unless imported).
    PopulationProjection.objects.filter(status="estimated").update(status="sourced")
    cache.clear()
    client = as_user("viewer")
    report = client.get(f"/scenarios/{site.default.pk}/report/").content.decode()
    assert 'class="est"' not in report
    assert "estimeret ud fra nationale rater" not in report
    xlsx = client.get(f"/compare/export.xlsx?s={site.default.pk}&s={site.variant.pk}")
    about = [
        str(r[0])
        for r in load_workbook(io.BytesIO(xlsx.content))["Om"].iter_rows(values_only=True)
        if r and r[0]
    ]
    assert not any("estimeret" in x for x in about)
