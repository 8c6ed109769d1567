"""Writes through the pages: the scenario editor, clone, run and its progress, exports, the
practice editor with its change log."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from allocation.models import AllocationRun, Scenario
from practices.models import Practice, PracticeChange
from tests.reports.conftest import Site


def editor_data(scenario: Scenario, **changes: Any) -> dict[str, Any]:
    from reports.forms import ScenarioForm

    data = ScenarioForm.initial_from(scenario)
    data.update(changes)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            if value:
                out[key] = "on"
        elif isinstance(value, float):
            out[key] = f"{value:g}".replace(".", ",")  # Danish decimal comma
        else:
            out[key] = value
    return out


def test_editor_shows_every_parameter_with_its_default(site: Site, as_user: Any) -> None:
    html = as_user("negotiator").get(f"/scenarios/{site.variant.pk}/").content.decode()
    from allocation.engine import AllocationParams

    for name in AllocationParams().to_dict():
        assert f'id="err-{name}"' in html or f'id="err-{name}__' in html, name
    assert "Fordeling af kapaciteterne" in html and "Lofter og gulve" in html
    assert "Standard: 1.600" in html  # the list norm's default
    assert 'hx-post="/scenarios/' in html


def test_editor_rejects_a_split_that_does_not_sum(site: Site, as_user: Any) -> None:
    client = as_user("negotiator")
    data = editor_data(site.variant, transition=600, coverage=600, accessibility=200)
    response = client.post(f"/scenarios/{site.variant.pk}/", data)
    assert response.status_code == 400
    assert "Fordelingen skal summe til totalen: 1400, ikke 1500." in response.content.decode()
    site.variant.refresh_from_db()
    assert site.variant.params["coverage"] == 700
    # Inline: the same error as an out-of-band swap, and other fields' spans cleared.
    html = client.post(f"/scenarios/{site.variant.pk}/validate/", data).content.decode()
    assert 'id="err-total" aria-live="polite" hx-swap-oob="true">Fordelingen skal' in html
    assert 'id="err-list_norm" aria-live="polite" hx-swap-oob="true"></span>' in html


def test_editor_reports_engine_errors_on_the_field(site: Site, as_user: Any) -> None:
    data = editor_data(site.variant, replacement_share=1.5)
    response = as_user("negotiator").post(f"/scenarios/{site.variant.pk}/validate/", data)
    assert 'id="err-replacement_share" aria-live="polite" hx-swap-oob="true">must be' in (
        response.content.decode()
    )


def test_editor_saves_and_a_viewer_cannot(site: Site, as_user: Any) -> None:
    data = editor_data(site.variant, list_norm=1500.5, name="Mere dækning")
    assert as_user("viewer").post(f"/scenarios/{site.variant.pk}/", data).status_code == 403
    response = as_user("negotiator").post(f"/scenarios/{site.variant.pk}/", data)
    assert response.status_code == 302
    site.variant.refresh_from_db()
    assert site.variant.params["list_norm"] == 1500.5
    html = as_user("viewer").get(f"/scenarios/{site.variant.pk}/").content.decode()
    assert "disabled" in html and ">Klon</button>" not in html


def test_clone_then_run_then_progress_ends_on_the_results(
    site: Site, as_user: Any, eager_tasks: None
) -> None:
    client = as_user("negotiator")
    assert as_user("viewer").post(f"/scenarios/{site.default.pk}/clone/").status_code == 403
    response = client.post(f"/scenarios/{site.default.pk}/clone/")
    clone = Scenario.objects.get(based_on=site.default, name__endswith="(kopi)")
    assert response["Location"] == f"/scenarios/{clone.pk}/"
    assert clone.owner == site.users["negotiator"] and clone.visibility == "private"
    data = editor_data(clone, transition=600, coverage=700, accessibility=200, sensitivity_draws=20)
    assert client.post(f"/scenarios/{clone.pk}/", data).status_code == 302
    assert as_user("viewer").post(f"/scenarios/{clone.pk}/run/").status_code == 404
    response = client.post(f"/scenarios/{clone.pk}/run/")
    run = AllocationRun.objects.get(scenario=clone)
    assert response["Location"] == f"/runs/{run.pk}/"
    html = client.get(f"/runs/{run.pk}/").content.decode()
    assert 'value="100"' in html and 'data-status="succeeded"' in html
    progress = client.get(f"/runs/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' not in progress.content.decode()
    done = client.get(f"/runs/{run.pk}/progress/?redirect=1", HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == f"/?scenario={clone.pk}"


def test_progress_polls_while_the_run_is_under_way(site: Site, as_user: Any) -> None:
    run = AllocationRun.objects.create(
        scenario=site.default,
        params=site.default.params,
        inputs_hash="x" * 64,
        triggered_by="user",
        status="running",
        progress=42,
        stage="allocating the capacities",
    )
    html = as_user("viewer").get(f"/runs/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="42"' in html
    assert "Fordeler kapaciteterne" in html


def test_compare_table_charts_and_exports(site: Site, as_user: Any) -> None:
    client = as_user("negotiator")
    url = f"/compare/?s={site.default.pk}&s={site.variant.pk}"
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert len(queries) <= 10
    assert html.count('class="area-row"') == 21 and html.count("muni-row") == 98
    assert 'id="diff-map-data"' in html and 'id="diff-bars-data"' in html
    response = client.get(f"/compare/export.csv?s={site.default.pk}&s={site.variant.pk}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["kommunekode", "municipality", "area"] and len(rows) == 99
    head = rows[0]
    assert sum(int(r[head.index("A_total")]) for r in rows[1:]) == 1500
    assert sum(int(r[head.index("B_coverage")]) for r in rows[1:]) == 700
    assert {r[head.index("capacities_today_status")] for r in rows[1:]} == {"synthetic"}
    xlsx = client.get(f"/compare/export.xlsx?s={site.default.pk}&s={site.variant.pk}")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Om", "Områder", "Kommuner"]
    assert book["Kommuner"].max_row == 99 and book["Områder"].max_row == 22
    assert client.get("/compare/export.pdf").status_code == 404


def test_report_and_workbook(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    html = client.get(f"/scenarios/{site.default.pk}/report/").content.decode()
    assert site.default_run.inputs_hash in html and "Metode" in html and "Datastatus" in html
    assert 'id="report-map-data"' in html and "print.css" in html
    book = load_workbook(
        io.BytesIO(client.get(f"/runs/{site.default_run.pk}/workbook.xlsx").content)
    )
    assert book.sheetnames == [
        "Om",
        "Kommuner",
        "Områder",
        "Indfasning",
        "Placeringer",
        "Følsomhed",
        "Drivere",
    ]
    assert book["Kommuner"].max_row == 99 and book["Placeringer"].max_row == 1501
    statuses = {row[5] for row in book["Drivere"].iter_rows(min_row=2, values_only=True)}
    assert "estimated" in statuses


def test_practice_register_search_and_filter(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/practices/", {"q": "Thisted", "open": "no"}).content.decode()
    assert len(queries) <= 10
    assert "Lægepraksis Thisted 1" in html and "Lægepraksis Aalborg" not in html
    html = client.get("/practices/", {"municipality": 787}).content.decode()
    assert "Lægepraksis Thisted" in html and "syntetisk" in html


def test_planner_edits_own_region_and_the_change_is_recorded(site: Site, as_user: Any) -> None:
    mine = Practice.objects.filter(municipality__region_id=1081).first()
    other = Practice.objects.exclude(municipality__region_id=1081).first()
    assert mine is not None and other is not None
    planner = as_user("planner")
    data = {
        "name": mine.name,
        "form": mine.form,
        "listed_patients": 1234,
        "capacities": "2,5",
        "open_to_new_patients": "on",
    }
    assert as_user("viewer").post(f"/practices/{mine.ydernummer}/", data).status_code == 403
    assert planner.post(f"/practices/{other.ydernummer}/", data).status_code == 403
    bad = planner.post(f"/practices/{mine.ydernummer}/", {**data, "capacities": "0"})
    assert bad.status_code == 400 and "Mellem 0,01 og 30" in bad.content.decode()
    response = planner.post(f"/practices/{mine.ydernummer}/", data)
    assert response.status_code == 302
    change = PracticeChange.objects.get(practice=mine)
    assert change.user == site.users["planner"]
    assert change.changes["listed_patients"] == [mine.listed_patients, 1234]
    assert Decimal(change.changes["capacities"][1]) == Decimal("2.5")
    html = planner.get(f"/practices/{mine.ydernummer}/").content.decode()
    assert "planner" in html and "Tilmeldte patienter</strong>: " in html


@pytest.mark.parametrize("url", ["/scenarios/new/"])
def test_only_negotiators_create_scenarios(site: Site, as_user: Any, url: str) -> None:
    assert as_user("planner").post(url).status_code == 403
    response = as_user("negotiator").post(url)
    assert response.status_code == 302
    assert Scenario.objects.get(name="Nyt scenarie").owner == site.users["negotiator"]
