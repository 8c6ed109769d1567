"""A regional planner's pages: the practice history (web, API and admin edits with who and
why, in Danish words and formats), edits refused while an import holds the data lock, the
"data changed since this run" notice, landing on their own region, and the PLO 2019 GP
shortage municipalities marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from django.db import OperationalError
from django.utils import timezone
from django.utils.formats import date_format

from allocation import selectors as allocation_selectors
from allocation import services
from allocation.models import DataLock
from clusters.models import DEFAULT_GEOGRAPHY, Membership
from municipalities.models import DemandIndicator, Indicator, Municipality
from practices.models import ADMIN_EDIT, WEB_EDIT, Doctor, Practice
from practices.services import update_practice
from tests.checksums import checksums
from tests.reports.conftest import Site
from tests.reports.test_pages import figure

NORDJYLLAND = 1081


def _planner_practice(open_to_new_patients: bool) -> Practice:
    found = Practice.objects.filter(
        municipality__region_id=NORDJYLLAND, open_to_new_patients=open_to_new_patients
    ).first()
    assert found is not None
    return found


def _edit(practice: Practice, **changes: Any) -> dict[str, Any]:
    data = {
        "name": practice.name,
        "form": practice.form,
        "listed_patients": practice.listed_patients,
        "capacities": str(practice.capacities).replace(".", ","),
    }
    if practice.open_to_new_patients:
        data["open_to_new_patients"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- history -----------------------------------------------------------------------------


def test_a_web_edit_is_recorded_and_the_page_shows_it_in_danish(site: Site, as_user: Any) -> None:
    practice = _planner_practice(open_to_new_patients=False)
    old_capacities = practice.capacities
    planner = as_user("planner")
    response = planner.post(
        f"/practices/{practice.ydernummer}/",
        _edit(practice, capacities="3,5", open_to_new_patients="on"),
    )
    assert response.status_code == 302
    record = Practice.history.filter(id=practice.pk).latest("history_id")
    assert record.history_user == site.users["planner"]
    assert record.history_change_reason == WEB_EDIT
    assert record.capacities == Decimal("3.5") and record.open_to_new_patients

    html = planner.get(f"/practices/{practice.ydernummer}/").content.decode()
    history = html[html.index('id="changes-h"') :]
    old = f"{old_capacities.normalize():f}".replace(".", ",")
    unit = "kapacitet" if old_capacities == 1 else "kapaciteter"
    assert f"{old} {unit} → 3,5 kapaciteter" in history
    assert "<strong>Åben for tilgang</strong>: Nej → Ja" in history
    assert "rettet på siden" in history and ">planner<" in history
    when = date_format(timezone.localtime(record.history_date), "SHORT_DATETIME_FORMAT")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", when) and when in history


def test_the_page_shows_the_history_newest_first(site: Site, as_user: Any) -> None:
    practice = _planner_practice(open_to_new_patients=True)
    planner = as_user("planner")
    planner.post(f"/practices/{practice.ydernummer}/", _edit(practice, listed_patients=1111))
    practice.refresh_from_db()
    planner.post(f"/practices/{practice.ydernummer}/", _edit(practice, listed_patients=2222))
    history = planner.get(f"/practices/{practice.ydernummer}/").content.decode()
    newer, older = history.index("1.111 → 2.222"), history.index(" → 1.111")
    assert newer < older


def test_an_admin_edit_is_recorded_with_who_and_why(site: Site, as_user: Any) -> None:
    practice = _planner_practice(open_to_new_patients=True)
    doctors = list(practice.doctors.order_by("pk"))
    assert doctors
    data: dict[str, Any] = {
        "ydernummer": practice.ydernummer,
        "name": practice.name + " (ny)",
        "municipality": practice.municipality_id,
        "form": practice.form,
        "open_to_new_patients": "on",
        "listed_patients": practice.listed_patients,
        "capacities": str(practice.capacities),
        "source": practice.source,
        "doctors-TOTAL_FORMS": len(doctors),
        "doctors-INITIAL_FORMS": len(doctors),
        "doctors-MIN_NUM_FORMS": 0,
        "doctors-MAX_NUM_FORMS": 1000,
    }
    for i, d in enumerate(doctors):
        data.update(
            {
                f"doctors-{i}-id": d.pk,
                f"doctors-{i}-practice": practice.pk,
                f"doctors-{i}-birth_year": d.birth_year + (1 if i == 0 else 0),
                f"doctors-{i}-fte": str(d.fte),
                f"doctors-{i}-source": d.source,
            }
        )
    response = as_user("admin").post(f"/admin/practices/practice/{practice.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Practice.history.filter(id=practice.pk).latest("history_id")
    assert record.history_user == site.users["admin"]
    assert record.history_change_reason == ADMIN_EDIT and record.name.endswith("(ny)")
    doctor = Doctor.history.filter(id=doctors[0].pk).latest("history_id")
    assert doctor.history_user == site.users["admin"]
    assert doctor.history_change_reason == ADMIN_EDIT
    assert doctor.birth_year == doctors[0].birth_year + 1

    html = as_user("planner").get(f"/practices/{practice.ydernummer}/").content.decode()
    history = html[html.index('id="changes-h"') :]
    assert "administration" in history and ">admin<" in history
    assert f"fødselsår</strong>: {doctors[0].birth_year} → {doctors[0].birth_year + 1}" in history


# --- the data lock ------------------------------------------------------------------------


@contextmanager
def _import_holds_the_lock() -> Iterator[None]:
    """The database refuses the lock row as it does while an import holds it (PostgreSQL's
    lock timeout, SQLite's busy timeout)."""
    real = DataLock.objects.select_for_update

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    with patch.object(DataLock.objects, "select_for_update", side_effect=refuse):
        yield
    assert DataLock.objects.select_for_update == real


def test_a_web_edit_while_an_import_holds_the_lock_is_refused_clearly(
    site: Site, as_user: Any
) -> None:
    practice = _planner_practice(open_to_new_patients=False)
    before = checksums(Practice, Doctor)
    history = Practice.history.count()
    with _import_holds_the_lock():
        response = as_user("planner").post(
            f"/practices/{practice.ydernummer}/", _edit(practice, listed_patients=1234)
        )
    assert response.status_code == 409
    assert "En import af data er ved at blive anvendt lige nu" in response.content.decode()
    assert checksums(Practice, Doctor) == before and Practice.history.count() == history


@pytest.mark.django_db
def test_the_data_lock_says_busy_when_the_database_refuses_it() -> None:
    with (
        _import_holds_the_lock(),
        pytest.raises(services.DataBusy),
        services.data_lock(holder="test"),
    ):
        pytest.fail("the block ran without the lock")


# --- data changed since this run ---------------------------------------------------------


def test_the_stale_notice_appears_after_a_data_change_and_goes_with_the_rerun(
    site: Site, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    planner = as_user("planner")
    editor = f"/scenarios/{site.default.pk}/"
    assert 'class="notice stale"' not in planner.get("/").content.decode()
    assert 'class="notice stale"' not in planner.get(editor).content.decode()

    # A change of the data that requests no runs (as load_denmark does).
    practice = _planner_practice(True)
    listed = practice.listed_patients
    with django_capture_on_commit_callbacks(execute=True):
        update_practice(practice=practice, listed_patients=1234)
        services.forget_engine_inputs()
    real = allocation_selectors.build_engine_inputs
    with patch.object(allocation_selectors, "build_engine_inputs", wraps=real) as built:
        html = planner.get("/").content.decode()
        assert built.call_count == 1  # the first view computes the current hash ...
        assert 'class="notice stale"' in html
        assert "Data er ændret siden denne kørsel" in html
        assert f'action="/scenarios/{site.default.pk}/run/"' in html
        assert 'class="notice stale"' in planner.get(editor).content.decode()
        planner.get("/")
        assert built.call_count == 1  # ... and no other view builds the inputs again

    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_run(scenario=site.default)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.pk != site.default_run.pk
    with patch.object(allocation_selectors, "build_engine_inputs", wraps=real) as built:
        assert 'class="notice stale"' not in planner.get("/").content.decode()
        assert 'class="notice stale"' not in planner.get(editor).content.decode()
        assert built.call_count == 0  # the run request kept its hash for the pages
    assert f'href="/runs/{run.pk}/"' in planner.get("/").content.decode()

    # The data goes back (a revert): the earlier run is today's again, and shown.
    with django_capture_on_commit_callbacks(execute=True):
        update_practice(practice=practice, listed_patients=listed)
        services.forget_engine_inputs()
    html = planner.get("/").content.decode()
    assert 'class="notice stale"' not in html
    assert f'href="/runs/{site.default_run.pk}/"' in html


# --- the planner's own region and the shortage municipalities ---------------------------


def test_a_planner_of_nordjylland_lands_on_nordjylland(site: Site, as_user: Any) -> None:
    nord = set(
        Municipality.objects.filter(region_id=NORDJYLLAND).values_list("kommunekode", flat=True)
    )
    html = as_user("planner").get("/").content.decode()
    assert "Region Nordjylland først" in html
    assert set(figure(html, "map")["fit"]) == nord  # the map opens zoomed on the region
    table = html[html.index("<tbody>", html.index('id="table-h"')) :]
    rows = re.findall(r"<tr( class=\"in-region\")?>\s*<th", table)
    ours = [bool(r) for r in rows]
    # the clusters with a municipality in Nordjylland lead the table
    n = (
        Membership.objects.filter(
            geography__slug=DEFAULT_GEOGRAPHY, municipality__region_id=NORDJYLLAND
        )
        .values("area")
        .distinct()
        .count()
    )
    assert n >= 3 and ours == [True] * n + [False] * (21 - n)

    everything = as_user("planner").get("/?region=all").content.decode()
    assert figure(everything, "map")["fit"] == [] and 'class="in-region"' not in everything
    assert "Vis min region først" in everything
    # a viewer without a region sees all Denmark
    assert figure(as_user("viewer").get("/").content.decode(), "map")["fit"] == []


def test_the_planners_practice_list_opens_on_their_region(site: Site, as_user: Any) -> None:
    planner = as_user("planner")
    own = Practice.objects.filter(municipality__region_id=NORDJYLLAND).count()
    html = planner.get("/practices/").content.decode()
    assert f"{own} praksis" in html.replace(".", "") and "Vis alle regioner" in html
    assert "Lægepraksis København" not in html
    every = planner.get("/practices/?region=").content.decode()
    assert f"{Practice.objects.count()} praksis" in every.replace(".", "")


def test_the_plo_2019_shortage_municipalities_are_marked(site: Site, as_user: Any) -> None:
    shortage = sorted(
        DemandIndicator.objects.filter(
            indicator=Indicator.SHORTAGE_PLO_2019, value__gte=1
        ).values_list("municipality_id", flat=True)
    )
    assert len(shortage) == 42 and 787 in shortage  # Thisted is on the list
    html = as_user("viewer").get("/").content.decode()
    base = figure(html, "map")["base"]
    assert base["marked"] == shortage
    thisted = base["codes"].index(787)
    assert base["extra"][thisted].endswith(" · lægedækningstruet område (PLO 2019)")
    assert "Med kant: 42 lægedækningstruede kommuner" in html
    assert "Kilde: PLO's liste fra maj 2019" in html
    assert html.count('class="shortage-mark"') >= 1
    practices = as_user("viewer").get("/practices/", {"municipality": 787}).content.decode()
    assert 'class="shortage-mark"' in practices
    page = as_user("viewer").get("/municipalities/787/").content.decode()
    assert 'class="shortage-mark"' in page
    assert (
        'class="shortage-mark"'
        not in as_user("viewer")
        .get(
            "/municipalities/751/"  # Aarhus is not on the list
        )
        .content.decode()
    )
