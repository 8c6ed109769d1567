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

from allocation.models import AllocationRun, Scenario, Stage
from practices.models import WEB_EDIT, Practice
from tests.reports.conftest import Site
from tests.reports.test_pages import figure


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
    assert "Fordelingen skal summe til totalen: 1.400, ikke 1.500." in response.content.decode()
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


def test_nobody_edits_the_default_scenario_in_the_editor(site: Site, as_user: Any) -> None:
    """Shared and ownerless: an administrator's edit would rename or hide it for everyone."""
    before = Scenario.objects.filter(pk=site.default.pk).values().get()
    data = editor_data(site.default, name="Omdøbt", visibility="private")
    admin = as_user("admin")
    assert admin.post(f"/scenarios/{site.default.pk}/", data).status_code == 403
    assert admin.post(f"/scenarios/{site.default.pk}/validate/", data).status_code == 403
    html = admin.get(f"/scenarios/{site.default.pk}/").content.decode()
    assert "disabled" in html and "nobody changes it, administrators included" not in html
    assert "Det er standardscenariet" in html
    assert Scenario.objects.filter(pk=site.default.pk).values().get() == before


def test_clone_then_run_then_progress_ends_on_the_results(
    site: Site, as_user: Any, eager_tasks: None
) -> None:
    client = as_user("negotiator")
    assert as_user("viewer").post(f"/scenarios/{site.default.pk}/clone/").status_code == 403
    response = client.post(
        f"/scenarios/{site.default.pk}/clone/", {"name": "Mere dækning, igen", "description": ""}
    )
    clone = Scenario.objects.get(based_on=site.default, name="Mere dækning, igen")
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
        stage=Stage.ALLOCATING,
    )
    html = as_user("viewer").get(f"/runs/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="42"' in html
    assert "Fordeler kapaciteterne" in html


def test_progress_shows_the_stage_with_its_count(site: Site, as_user: Any) -> None:
    run = AllocationRun.objects.create(
        scenario=site.default,
        params=site.default.params,
        inputs_hash="y" * 64,
        triggered_by="user",
        status="running",
        progress=50,
        stage=Stage.SENSITIVITY,
        stage_count=3,
        stage_total=5,
    )
    html = as_user("viewer").get(f"/runs/{run.pk}/progress/").content.decode()
    assert "Følsomhedsanalyse (3 af 5)" in html


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
    assert book.sheetnames == ["Om", "Nøgletal", "Områder", "Kommuner"]
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
    assert "estimeret" in statuses


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
    change = Practice.history.filter(id=mine.pk).latest("history_id")
    assert change.history_user == site.users["planner"]
    assert change.history_change_reason == WEB_EDIT
    assert change.listed_patients == 1234
    assert change.capacities == Decimal("2.5")
    html = planner.get(f"/practices/{mine.ydernummer}/").content.decode()
    assert "planner" in html and "Tilmeldte patienter</strong>: " in html


@pytest.mark.parametrize("url", ["/scenarios/new/"])
def test_only_negotiators_create_scenarios(site: Site, as_user: Any, url: str) -> None:
    assert as_user("planner").post(url).status_code == 403
    response = as_user("negotiator").post(url)
    assert response.status_code == 302
    assert Scenario.objects.get(name="Nyt scenarie").owner == site.users["negotiator"]


@pytest.fixture
def third(site: Site, db: None) -> AllocationRun:
    """A succeeded run of the negotiator's private scenario: the default's results with one
    more coverage capacity in every municipality (no engine run: quick and exact)."""
    from django.core.cache import cache
    from django.utils import timezone

    from allocation.models import AreaResult, MunicipalityResult

    cache.clear()
    run = AllocationRun.objects.create(
        scenario=site.private,
        params=site.private.params,
        inputs_hash="c" * 64,
        status="succeeded",
        triggered_by="user",
        finished_at=timezone.now(),
    )
    copies = []
    for r in MunicipalityResult.objects.filter(run=site.default_run):
        r.pk = None
        r.run = run
        r.coverage += 1
        r.total += 1
        copies.append(r)
    MunicipalityResult.objects.bulk_create(copies)
    # A run's area results are stored with it: one more per member municipality.
    areas = []
    for a in AreaResult.objects.filter(run=site.default_run):
        a.pk = None
        a.run = run
        a.coverage += a.municipalities
        a.total += a.municipalities
        a.supply_after += a.municipalities
        a.load_after = a.weighted_citizens / a.supply_after
        areas.append(a)
    AreaResult.objects.bulk_create(areas)
    return run


def compare_url(*scenarios: Scenario, path: str = "/compare/", **extra: str) -> str:
    from urllib.parse import urlencode

    return path + "?" + urlencode([("s", s.pk) for s in scenarios] + list(extra.items()))


def test_compare_three_scenarios_table_switch_and_bounded_queries(
    site: Site, as_user: Any, third: AllocationRun
) -> None:
    client = as_user("negotiator")
    with CaptureQueriesContext(connection) as two:
        client.get(compare_url(site.default, site.variant, geography="praksisomrader"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(compare_url(site.default, site.variant, site.private))
    html = response.content.decode()
    assert len(queries) <= 10 and len(queries) <= len(two) + 1
    assert html.count('class="area-row"') == 21 and html.count("muni-row") == 98
    assert "<strong>C</strong>: " in html and "Privat kladde" in html
    table = html[html.index('class="compare-table"') :]
    assert table.count(">B − A</th>") == 1 and table.count(">C − A</th>") == 1
    figures = html[html.index('class="figures-table"') : html.index('class="compare-table"')]
    assert figures.count(">B − A</th>") == 1 and figures.count(">C − A</th>") == 1
    assert html.count('<input type="checkbox" name="s"') >= 3
    assert html.count('name="s" value') and html.count(" checked") == 3
    # Denmark: C has one more capacity in each of the 98 municipalities than A.
    tfoot = html[html.index("<tfoot>") :]
    assert "+98" in tfoot
    # Switch among the scenarios drawn against A; B by default.
    assert 'aria-current="true" title="Mere dækning">B − A' in html
    assert "vs=C" in html and "vs=B" in html and "Kort og søjler viser:" in html
    assert "Basisscenarie (A, blandt de valgte)" in html
    assert figure(html, "diff-bars")["layout"]["title"]["text"].endswith("B − A")
    for url in (
        compare_url(site.default, site.variant, site.private, vs="C"),
        compare_url(site.default, site.variant, site.private, b="C"),  # the older switch
    ):
        html = client.get(url).content.decode()
        assert 'aria-current="true" title="Privat kladde">C − A' in html
        bars = figure(html, "diff-bars")
        assert bars["layout"]["title"]["text"].endswith("C − A")
        assert sorted(bars["data"][0]["x"])[0] >= 1  # every area gains under C


def test_compare_three_scenarios_exports_parse_back(
    site: Site, as_user: Any, third: AllocationRun
) -> None:
    client = as_user("negotiator")
    scenarios = (site.default, site.variant, site.private)
    response = client.get(compare_url(*scenarios, path="/compare/export.csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    assert len(body) == 98
    for letter in "ABC":
        assert {
            f"{letter}_{f}" for f in ("transition", "coverage", "accessibility", "total")
        } <= set(head)
    assert head[-2:] == ["B_minus_A_total", "C_minus_A_total"]
    col = head.index
    assert sum(int(r[col("A_total")]) for r in body) == 1500
    assert sum(int(r[col("B_coverage")]) for r in body) == 700
    assert sum(int(r[col("C_total")]) for r in body) == 1598
    assert {int(r[col("C_minus_A_total")]) for r in body} == {1}
    assert all(
        int(r[col("B_minus_A_total")]) == int(r[col("B_total")]) - int(r[col("A_total")])
        for r in body
    )
    book = load_workbook(
        io.BytesIO(client.get(compare_url(*scenarios, path="/compare/export.xlsx")).content)
    )
    assert book.sheetnames == ["Om", "Nøgletal", "Områder", "Kommuner"]
    areas = list(book["Områder"].iter_rows(values_only=True))
    assert len(areas) == 22 and areas[0][-2:] == ("B_minus_A_total", "C_minus_A_total")
    assert sum(r[areas[0].index("C_minus_A_total")] for r in areas[1:]) == 98
    about = [r[0] for r in book["Om"].iter_rows(values_only=True) if r and r[0]]
    assert any(str(x).startswith("C: Privat kladde") for x in about)


def test_compare_baseline_choice_and_older_urls(
    site: Site, as_user: Any, third: AllocationRun
) -> None:
    client = as_user("negotiator")
    # The baseline select moves a ticked scenario first.
    url = compare_url(site.default, site.variant, site.private, base=str(site.variant.pk))
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(url.replace("/compare/", "/compare/export.csv")).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    head = rows[0]
    assert sum(int(r[head.index("A_coverage")]) for r in rows[1:]) == 700
    html = client.get(url).content.decode()
    assert "<strong>A</strong>: " + f'<a href="/?scenario={site.variant.pk}">' in html
    # A baseline that is not ticked is not added: unticking the old baseline removes it.
    html = client.get(
        compare_url(site.variant, site.private, base=str(site.default.pk))
    ).content.decode()
    assert f'<strong>A</strong>: <a href="/?scenario={site.variant.pk}">' in html
    assert "<strong>C</strong>" not in html
    # ?a=&b= (scenario ids) still works.
    html = client.get(f"/compare/?a={site.default.pk}&b={site.variant.pk}").content.decode()
    assert html.count('class="area-row"') == 21 and "<strong>C</strong>" not in html
    assert f"s={site.default.pk}&amp;s={site.variant.pk}" in html  # canonical export links


def test_compare_private_scenario_of_another_user_is_not_choosable(
    site: Site, as_user: Any, third: AllocationRun
) -> None:
    client = as_user("viewer")
    for url in (
        compare_url(site.default, site.variant, site.private),
        compare_url(site.private, site.default, site.variant),
        f"/compare/?a={site.private.pk}&b={site.default.pk}",
    ):
        html = client.get(url).content.decode()
        assert "Privat kladde" not in html and f'value="{site.private.pk}"' not in html
        assert "<strong>C</strong>" not in html
    response = client.get(
        compare_url(site.private, site.default, site.variant, path="/compare/export.csv")
    )
    head = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "C_total" not in head and "B_total" in head
    book = load_workbook(
        io.BytesIO(
            client.get(compare_url(site.private, site.default, path="/compare/export.xlsx")).content
        )
    )
    about = " ".join(str(r[0]) for r in book["Om"].iter_rows(values_only=True) if r and r[0])
    assert "Privat kladde" not in about
