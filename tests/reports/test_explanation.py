"""The municipality explanation is one typed object, assembled by a selector."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from allocation import selectors
from allocation.engine import AllocationParams
from allocation.models import AreaResult, MunicipalityResult, Placement
from allocation.selectors import (
    IndexPillar,
    MunicipalityExplanation,
    _explanation_key,
    explanation_get,
    municipality_explanation,
    run_inputs,
)
from municipalities.selectors import municipality_get
from practices.selectors import practice_list
from reports.templatetags.klyngeplan import num, signed
from tests.reports.conftest import Site


def test_thisted_explained(site: Site, db: Any) -> None:
    thisted = municipality_get(kommunekode=787)
    assert thisted is not None
    known = {p.ydernummer for p in practice_list(municipality=787)}
    e = municipality_explanation(
        run=site.default_run,
        kommunekode=787,
        indicators=thisted.latest_indicators,  # type: ignore[attr-defined]
        known=known,
    )
    assert isinstance(e, MunicipalityExplanation)
    stored = MunicipalityResult.objects.get(run=site.default_run, municipality_id=787)
    assert (e.transition.capacities, e.coverage.capacities, e.accessibility.capacities) == (
        stored.transition,
        stored.coverage,
        stored.accessibility,
    )
    assert e.total == stored.total and e.load_after == stored.load_after
    assert all(isinstance(p, IndexPillar) and p.drivers for p in e.index_pillars)
    # Each driver carries the data status of the value the run used.
    statuses = {d.key: d.status for p in e.index_pillars for d in p.drivers}
    assert statuses["chronic"] == thisted.latest_indicators["chronic"].status  # type: ignore[attr-defined]
    assert "estimated" in statuses.values()
    placed = sum(len(v) for v in e.placements_by_practice.values())
    assert placed == Placement.objects.filter(run=site.default_run, municipality_id=787).count()
    assert set(e.new_ydernumre) == set(e.placements_by_practice) - known
    assert (
        municipality_explanation(run=site.default_run, kommunekode=999, indicators={}, known=set())
        is None
    )


# --- the complete trace: Lolland, Frederiksberg and Læsø (no practices) -----------------


def _explained(site: Site, code: int) -> MunicipalityExplanation:
    muni = municipality_get(kommunekode=code)
    assert muni is not None
    e = municipality_explanation(
        run=site.default_run,
        kommunekode=code,
        indicators=muni.latest_indicators,  # type: ignore[attr-defined]
        known={p.ydernummer for p in practice_list(municipality=code)},
    )
    assert e is not None
    return e


@pytest.mark.parametrize("code", [360, 147, 825])
def test_the_explanation_is_complete_and_agrees_with_the_stored_results(
    site: Site, db: Any, code: int
) -> None:
    run = site.default_run
    e = _explained(site, code)
    stored = MunicipalityResult.objects.get(run=run, municipality_id=code)
    params = AllocationParams.from_dict(run.params)
    # The pillars as stored.
    assert (e.transition.capacities, e.coverage.capacities, e.accessibility.capacities) == (
        stored.transition,
        stored.coverage,
        stored.accessibility,
    )
    # The scale on W, and W as the sum of its terms after it.
    assert e.w_scale is not None and 0.5 < e.w_scale < 2
    assert sum(c.weighted or 0.0 for c in e.components) == pytest.approx(
        stored.weighted_citizens, rel=1e-9
    )
    assert all(
        c.weight is not None and c.scaled_weight == pytest.approx(c.weight * e.w_scale)
        for c in e.components
    )
    # The water level, and N rather than N - 1 (its last capacity came in at or above the
    # level) or N + 1 (the next would come in below it, or its recruitment limit binds).
    c = e.coverage
    assert c.water_level is not None and c.water_level > 0
    if c.capacities:
        assert c.why_not_fewer == "above_level" and c.last_load is not None
        assert c.last_load >= c.water_level
    if c.why_not_more == "cap":
        assert stored.coverage_cap == c.capacities == c.cap_total
    else:
        assert c.why_not_more == "below_level"
        assert c.next_load is not None and c.next_load <= c.water_level
        assert stored.coverage_cap is None
    # The retirement and replacement assumptions, as stored and as the scenario says.
    a = e.supply
    assert a is not None
    assert (a.retiring, a.replaced) == (stored.retiring, stored.replaced)
    assert stored.retiring is not None and stored.replaced is not None
    assert a.not_replaced == pytest.approx(stored.retiring - stored.replaced)
    assert a.replacement_share == params.replacement_share
    assert a.retirement_age == params.retirement_age
    assert a.training_per_year == list(params.training_pipeline)
    assert a.phase_in_per_year == list(params.pipeline)
    assert a.pipeline_total == run.metrics["pipeline_total"]
    # The statutory share and deviation of its area, read from the stored area result.
    st = e.statutory
    assert st is not None and st.geography == params.statutory_geography
    inputs = run_inputs(run=run)
    assert inputs is not None
    area = AreaResult.objects.get(
        run=run,
        geography=params.statutory_geography,
        area=inputs.geographies[params.statutory_geography][code],
    )
    assert (st.share, st.deviation, st.load_gap) == (
        area.statutory,
        area.deviation,
        area.statutory_load_gap,
    )
    assert st.name == area.name
    # Every input's status, as the run's snapshot has it.
    statuses = {d.key: d.status for p in e.index_pillars for d in p.drivers}
    statuses.update({c.label: c.status for c in e.components})
    assert set(statuses.values()) <= {"sourced", "derived", "estimated", "imported"}
    assert "" not in statuses.values()
    assert e.supply_status in {"synthetic", "imported", "mixed"}


def test_lolland_and_frederiksberg_pages_quote_the_stored_numbers(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    for code in (360, 147):
        e = _explained(site, code)
        html = client.get(f"/municipalities/{code}/").content.decode()
        assert f"{e.coverage.capacities} dækningskapaciteter" in html
        assert f"{e.transition.capacities} omstillingskapaciteter" in html
        assert f"{e.accessibility.capacities} tilgængelighedskapaciteter" in html
        assert f"vandstand på {num(e.coverage.water_level)}" in html
        assert f"Kapacitet nr. {e.coverage.capacities} her" in html
        assert e.coverage.why_not_more is not None
        if e.coverage.why_not_more == "below_level":
            assert f"en kapacitet nr. {e.coverage.capacities + 1} ville" in html
        else:
            assert "holdes tilbage af rekrutteringsgrænsen" in html
        assert e.statutory is not None
        assert f"ville have {num(e.statutory.share)} kapaciteter" in html
        assert f"afvigelse på {signed(e.statutory.deviation, 1)}" in html
        assert f"ganges med {num(e.w_scale, 4)}" in html
        assert e.supply is not None
        assert f"her {num(e.supply.replaced, 1)}" in html


def test_laeso_without_practices_reads_right(site: Site, as_user: Any) -> None:
    e = _explained(site, 825)
    assert not e.has_supply and e.supply_at_horizon == 0
    html = as_user("viewer").get("/municipalities/825/").content.decode()
    why = html[html.index('id="why-h"') : html.index('id="drivers-h"')]
    # No load of "–" per capacity and no rank among the 98 for a municipality without one.
    assert "belastning på –" not in why and "højeste af de 98" not in why
    assert "ingen egen lægekapacitet" in why
    assert "Kommunen har ingen kapaciteter i dag og derfor ingen fratrædelser." in why
    assert f"{e.coverage.capacities} dækningskapaciteter" in why
    assert e.statutory is not None and f"ville have {num(e.statutory.share)}" in why


def test_the_api_explanation_carries_the_same_trace_as_the_page(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    for code in (360, 147, 825):
        e = _explained(site, code)
        body = client.get(f"/api/v1/runs/{site.default_run.pk}/explanation/{code}/").json()
        assert body["weighted_citizens"]["scale"] == e.w_scale
        assert body["coverage"]["water_level"] == e.coverage.water_level
        assert body["coverage"]["why_not_more"] == e.coverage.why_not_more
        assert body["statutory"]["statutory"] == e.statutory.share  # type: ignore[union-attr]
        assert body["statutory"]["deviation"] == e.statutory.deviation  # type: ignore[union-attr]
        assert body["supply"]["replacement_share"] == e.supply.replacement_share  # type: ignore[union-attr]
        page = {d.key: d.status for p in e.index_pillars for d in p.drivers}
        assert {k: body["inputs"][k]["status"] for k in page} == page
        assert body["inputs"]["practices"]["status"] == e.supply_status
        assert "belastning" not in body["sentence"]  # the API's sentence is English
        if code == 825:
            assert "no GP capacity today" in body["sentence"]
            assert "rank" not in body["sentence"]


def test_the_rebuilt_explanation_is_cached_per_run(
    site: Site, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.delete(_explanation_key(site.default_run, 147))
    first = explanation_get(run=site.default_run, kommunekode=147)

    def engine(*args: Any, **kwargs: Any) -> None:
        pytest.fail("the engine ran again for a cached explanation")

    monkeypatch.setattr(selectors, "allocate", engine)
    assert explanation_get(run=site.default_run, kommunekode=147) == first
    # Another run, or another engine, is another key.
    key = _explanation_key(site.default_run, 147)
    assert key != _explanation_key(site.variant_run, 147)
    monkeypatch.setattr(selectors, "engine_version", lambda: "another engine")
    assert _explanation_key(site.default_run, 147) != key
