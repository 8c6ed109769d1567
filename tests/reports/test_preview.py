"""The live what-if: the editor's preview and POST /api/v1/scenarios/preview/ compute the
allocation of unsaved parameters on the current data and write nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from allocation import selectors, services
from allocation.models import AllocationRun, MunicipalityResult, Scenario
from tests.reports.conftest import Site
from tests.reports.test_actions import editor_data


def _json_script(html: str, element_id: str) -> Any:
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, f"no {element_id} in the answer"
    return json.loads(found.group(1))


def test_moving_100_from_transition_to_coverage_changes_the_preview_not_the_data(
    site: Site, as_user: Any
) -> None:
    client = as_user("negotiator")
    runs, results = AllocationRun.objects.count(), MunicipalityResult.objects.count()
    params_before = Scenario.objects.get(pk=site.variant.pk).params
    # the variant is 600/700/200; move 100 more: 500/800/200
    data = editor_data(site.variant, transition=500, coverage=800)
    response = client.post(f"/scenarios/{site.variant.pk}/preview/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="preview-body" hx-swap-oob="true" data-state="fresh"' in html
    assert ">+1.500 = " in html and ">500</span>" in html and ">800</span>" in html
    bars = _json_script(html, "preview-areas-data")
    by_pillar = {trace["name"]: sum(trace["x"]) for trace in bars["data"]}
    assert by_pillar == {
        "Omstilling til det nære sundhedsvæsen": 500,
        "Bedre lægedækning": 800,
        "Øget tilgængelighed": 200,
    }
    figure = _json_script(html, "preview-map-data")
    assert len(figure["base"]["codes"]) == 98 and figure["variant"] == "load_after"
    # the saved run's figures stand beside the preview's
    assert "gemt kørsel" in html
    # nothing written: no run, no result, the scenario's parameters as they were
    assert AllocationRun.objects.count() == runs
    assert MunicipalityResult.objects.count() == results
    assert Scenario.objects.get(pk=site.variant.pk).params == params_before


def test_the_preview_coverage_is_the_engines(site: Site, as_user: Any) -> None:
    """The preview's bars are what a run of the same parameters stores (the variant's run)."""
    html = (
        as_user("negotiator")
        .post(f"/scenarios/{site.variant.pk}/preview/", editor_data(site.variant))
        .content.decode()
    )
    bars = _json_script(html, "preview-areas-data")
    stored = {
        a.name: a.coverage
        for a in site.variant_run.area_results.filter(geography="sundhedsklynger-21")
    }
    coverage = next(t for t in bars["data"] if t["name"] == "Bedre lægedækning")
    assert dict(zip(coverage["y"], coverage["x"], strict=True)) == stored


def test_an_invalid_split_previews_nothing_and_names_the_field(site: Site, as_user: Any) -> None:
    data = editor_data(site.variant, transition=600, coverage=600)
    html = as_user("negotiator").post(f"/scenarios/{site.variant.pk}/preview/", data)
    text = html.content.decode()
    assert 'data-state="invalid"' in text and "preview-map-data" not in text
    assert 'id="err-total" aria-live="polite" hx-swap-oob="true">Fordelingen skal summe' in text
    engine = editor_data(site.variant, replacement_share=1.5)
    text = as_user("negotiator").post(f"/scenarios/{site.variant.pk}/preview/", engine)
    assert 'id="err-replacement_share" aria-live="polite" hx-swap-oob="true">must be' in (
        text.content.decode()
    )


def test_a_viewer_gets_no_preview(site: Site, as_user: Any) -> None:
    data = editor_data(site.default)
    assert as_user("viewer").post(f"/scenarios/{site.default.pk}/preview/", data).status_code == 403
    html = as_user("negotiator").get(f"/scenarios/{site.variant.pk}/").content.decode()
    assert f'hx-post="/scenarios/{site.variant.pk}/preview/"' in html
    assert "Forhåndsvisning, ikke gemt" in html
    viewer = as_user("viewer").get(f"/scenarios/{site.variant.pk}/").content.decode()
    assert "data-preview" not in viewer


def test_api_preview_answers_totals_metrics_and_areas_and_writes_nothing(
    site: Site, as_user: Any
) -> None:
    client = as_user("negotiator")
    runs = AllocationRun.objects.count()
    response = client.post(
        "/api/v1/scenarios/preview/",
        {"params": {"transition": 500, "coverage": 800}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["saved"] is False
    assert body["totals"] == {
        "transition": 500,
        "coverage": 800,
        "accessibility": 200,
        "total": 1500,
    }
    assert len(body["areas"]) == 21 and len(body["municipalities"]) == 98
    assert sum(a["coverage"] for a in body["areas"]) == 800
    assert body["metrics"]["after"]["max_load"] <= body["metrics"]["before"]["max_load"]
    assert body["params"]["sensitivity_draws"] == 1000  # the defaults filled in, none drawn
    assert AllocationRun.objects.count() == runs
    bad = client.post(
        "/api/v1/scenarios/preview/",
        {"params": {"coverage": 800}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "total" in bad.json()["params"]
    unknown = client.post(
        "/api/v1/scenarios/preview/", {"params": {"nope": 1}}, content_type="application/json"
    )
    assert unknown.status_code == 400 and unknown.json() == {
        "params": {"nope": ["is not a parameter"]}
    }
    huge = client.post(
        "/api/v1/scenarios/preview/",
        {"params": {"total": 10**9, "transition": 10**9, "coverage": 0, "accessibility": 0}},
        content_type="application/json",
    )
    assert huge.status_code == 400 and "total" in huge.json()["params"]


@pytest.mark.django_db
def test_engine_inputs_are_reused_until_the_data_changes(
    denmark: None, django_capture_on_commit_callbacks: Any
) -> None:
    selectors.forget_cached_inputs()
    first = selectors.current_engine_inputs()
    assert selectors.current_engine_inputs() is first
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.forget_engine_inputs()
        # not before the commit: a rolled-back change must not be forgotten into the cache
        assert selectors.current_engine_inputs() is first
    assert len(callbacks) == 1
    fresh = selectors.current_engine_inputs()
    assert fresh is not first
    assert fresh.municipalities.equals(first.municipalities)
    # data_changed (imports, practice edits) forgets them too
    with django_capture_on_commit_callbacks(execute=True):
        services.data_changed(source=services.PRACTICE_EDIT)
    assert selectors.current_engine_inputs() is not fresh


@pytest.mark.django_db
def test_a_preview_reads_the_data_a_run_reads(denmark: None) -> None:
    """Values up to this year: a later year's value is a projection, which runs leave out."""
    from django.utils import timezone

    from municipalities.models import DemandIndicator

    year = timezone.localdate().year
    row = DemandIndicator.objects.filter(year=year, indicator="chronic").first()
    assert row is not None
    DemandIndicator.objects.create(
        municipality_id=row.municipality_id,
        year=year + 3,
        indicator="chronic",
        value=row.value * 1.5,
        status=row.status,
        source="a later year",
    )
    selectors.forget_cached_inputs()
    params = services.ensure_default_scenario().params
    as_run = services.inputs_hash(inputs=selectors.build_engine_inputs(year=year), params=params)
    with_later = services.inputs_hash(inputs=selectors.build_engine_inputs(), params=params)
    assert as_run != with_later
    assert services.inputs_hash(inputs=selectors.current_engine_inputs(), params=params) == as_run
    selectors.forget_cached_inputs()


def test_api_preview_writes_whole_numbers_as_integers(site: Site, as_user: Any) -> None:
    body = (
        as_user("planner")
        .post("/api/v1/scenarios/preview/", {"params": {}}, content_type="application/json")
        .json()
    )
    for row in (*body["areas"], *body["municipalities"]):
        assert isinstance(row["population"], int) and isinstance(row["total"], int)
