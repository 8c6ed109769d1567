"""What a run stores: area results by the engine's own aggregation, its inputs, its stage."""

from __future__ import annotations

import math

import pytest
from django.utils import translation

from allocation import services
from allocation.engine import NATION, AllocationParams, aggregate, allocate
from allocation.models import AllocationRun, AreaResult, RunStatus, Stage
from allocation.selectors import (
    area_results,
    build_engine_inputs,
    explanation_get,
    phasing_rows,
    phasing_totals,
    result_rows,
    run_inputs,
)
from municipalities.models import PopulationProjection
from tests.allocation.factories import ScenarioFactory

pytestmark = pytest.mark.usefixtures("denmark", "eager_tasks")


def finished(**params: object) -> AllocationRun:
    scenario = ScenarioFactory.create(
        params={**ScenarioFactory.build().params, "sensitivity_draws": 20, **params}
    )
    run = AllocationRun.objects.get(pk=services.request_run(scenario=scenario).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def test_the_phase_in_counted_from_the_placements_is_the_engines() -> None:
    # No capacity in 2026 nor in 2035 (no recruitment limit, so the uneven years fit): the
    # years without one carry the cumulative.
    pipeline = [0, 188, 188, 188, 188, 187, 187, 187, 187, 0]
    run = finished(pipeline=pipeline, pipeline_binding=False, recruitment_rate=0)
    outcome = allocate(build_engine_inputs(), AllocationParams.from_dict(run.params))
    expected: dict[tuple[str, int, str], tuple[int, int]] = {}
    for phase in outcome.phasing.to_dict("records"):
        for pillar in ("transition", "coverage", "accessibility"):
            if cumulative := int(phase[f"cumulative_{pillar}"]):
                key = (str(phase["kommunekode"]), int(phase["year"]), pillar)
                expected[key] = (int(phase[pillar]), cumulative)
    rows = phasing_rows(run=run, level="municipality", geography="regioner")
    assert len(rows) == len(expected)
    assert {(r["key"], r["year"], r["pillar"]): (r["new"], r["cumulative_sum"]) for r in rows} == (
        expected
    )
    assert 2026 not in {r["year"] for r in rows}
    assert {r["year"] for r in rows if r["new"] == 0} >= {2028, 2035}
    totals = phasing_totals(run=run)
    assert 2026 not in totals["cumulative"]["coverage"]
    assert totals["new"]["coverage"][2035] == 0
    assert {p: totals["cumulative"][p][2035] for p in totals["cumulative"]} == {
        "transition": 700,
        "coverage": 600,
        "accessibility": 200,
    }
    years = sorted(totals["new_all"])
    assert totals["new_all"] == {
        y: sum(totals["new"][p].get(y, 0) for p in totals["new"]) for y in years
    }
    assert totals["cumulative_all"][2035] == 1500 and 2026 not in totals["cumulative_all"]
    areas = phasing_rows(run=run, level="area", geography="regioner", year=2035)
    assert sorted({r["key"] for r in areas}) == sorted(
        a.area for a in AreaResult.objects.filter(run=run, geography="regioner") if a.total
    )
    assert sum(r["cumulative_sum"] for r in areas) == 1500


def close(a: float | None, b: float) -> bool:
    return (a is None and not math.isfinite(b)) or (a is not None and math.isclose(a, b))


def test_stored_area_results_are_the_engines_aggregate_for_every_geography() -> None:
    run = finished(floors={"nordjylland-nord": 40})
    inputs = build_engine_inputs()
    outcome = allocate(inputs, AllocationParams.from_dict(run.params))
    geographies = [*inputs.geographies, NATION]
    assert len(geographies) >= 6  # the five planning geographies and the nation
    for geography in geographies:
        expected = aggregate(outcome, inputs, geography)
        stored = {a.area: a for a in AreaResult.objects.filter(run=run, geography=geography)}
        assert set(stored) == set(expected.index), geography
        for slug, row in expected.iterrows():
            a = stored[str(slug)]
            assert a.name == row["name"]
            assert a.municipalities == row["municipalities"]
            assert a.population == row["population"]
            for pillar in ("transition", "coverage", "accessibility", "total"):
                assert getattr(a, pillar) == row[pillar], (geography, slug, pillar)
            assert a.weighted_citizens == row["weighted_citizens"]
            assert a.supply_today == row["capacities_today"]
            assert a.supply_at_horizon == row["supply_at_horizon"]
            assert a.supply_after == row["supply_at_horizon"] + row["total"]
            assert a.effective_supply_after == row["effective_supply_after"]
            assert a.statutory == row["statutory"]
            assert a.deviation == row["deviation"]
            assert close(a.statutory_load_gap, row["statutory_load_gap"])
            assert close(a.load_before, row["load_before"])
            assert close(a.load_after, row["load_after"])
            assert a.floor == row.get("floor")
    floors = AreaResult.objects.filter(run=run, geography=run.params["geography"])
    assert floors.get(area="nordjylland-nord").floor == 40
    assert (
        AreaResult.objects.filter(run=run, geography="regioner", floor__isnull=False).count() == 0
    )


def test_api_area_results_are_the_stored_rows() -> None:
    run = finished()
    geography = run.params["geography"]
    AreaResult.objects.filter(run=run, geography=geography, area="nordjylland-nord").update(
        total=12345, load_after=1.5
    )
    by_area = {r["area"]: r for r in area_results(run=run, geography=geography)}
    assert by_area["nordjylland-nord"]["total"] == 12345
    rows = {r["key"]: r for r in result_rows(run=run, level="area", geography=geography)}
    assert (
        rows["nordjylland-nord"]["capacities"] == 12345
        and rows["nordjylland-nord"]["load_after"] == 1.5
    )


def test_a_run_keeps_its_inputs_and_rebuilds_them_to_its_own_hash() -> None:
    run = finished()
    rebuilt = run_inputs(run=run)
    assert rebuilt is not None
    assert services.inputs_hash(inputs=rebuilt, params=run.params) == run.inputs_hash


def test_the_explanation_is_rebuilt_from_the_runs_inputs() -> None:
    run = finished()
    outcome = allocate(build_engine_inputs(), AllocationParams.from_dict(run.params))
    explanation = explanation_get(run=run, kommunekode=787)
    assert explanation is not None
    # The engine's explanation exactly, and beside it what the run stored: its area's
    # statutory share and deviation, and the status of each input it used.
    added = {k: explanation.pop(k) for k in ("statutory", "inputs")}
    assert explanation == services.json_safe(outcome.explain(787))
    area = AreaResult.objects.get(
        run=run, geography=run.params["statutory_geography"], area=added["statutory"]["area"]
    )
    assert (added["statutory"]["statutory"], added["statutory"]["deviation"]) == (
        area.statutory,
        area.deviation,
    )
    assert added["inputs"]["chronic"]["status"] == "estimated"
    assert (
        explanation is not None and explanation["total"] == outcome.municipalities.at[787, "total"]
    )
    assert explanation_get(run=run, kommunekode=9999) is None


def test_a_finished_run_says_done_and_a_counted_stage_says_how_far() -> None:
    run = finished()
    assert run.stage == Stage.DONE and run.stage_count is None
    run.stage, run.stage_count, run.stage_total = Stage.SENSITIVITY, 3, 5
    with translation.override("da"):
        assert run.stage_label == "Følsomhedsanalyse (3 af 5)"
    with translation.override("en"):
        assert run.stage_label == "Sensitivity analysis (3 of 5)"


def test_the_api_gives_the_stage_code_and_its_label() -> None:
    from api.serializers import RunSerializer

    run = finished()
    run.stage, run.stage_count, run.stage_total = Stage.SENSITIVITY, 2, 4
    with translation.override("da"):
        data = RunSerializer(run).data
    assert data["stage"] == "sensitivity" and data["stage_label"] == "Følsomhedsanalyse (2 af 4)"
    assert (data["stage_count"], data["stage_total"]) == (2, 4)


def test_a_run_stores_need_and_supply_at_both_ends_and_keeps_its_projection() -> None:
    run = finished()
    inputs = build_engine_inputs()
    assert inputs.projection_years == tuple(range(2026, 2036))
    outcome = allocate(inputs, AllocationParams.from_dict(run.params))
    frame = outcome.municipalities
    stored = {r.municipality_id: r for r in run.results.all()}
    for code in (360, 147, 825):
        r, row = stored[code], frame.loc[code]
        assert r.weighted_citizens == row["weighted_citizens_horizon"]
        assert r.weighted_citizens_base == row["weighted_citizens_base"]
        assert (r.pop_80_plus_base, r.pop_80_plus_horizon) == (
            row["pop_80_plus_base"],
            row["pop_80_plus_horizon"],
        )
        assert (r.retiring, r.replaced) == (row["retiring"], row["replaced"])
        assert r.replaced is not None and r.retiring is not None and r.replaced <= r.retiring
    assert stored[360].coverage_cap == frame.at[360, "coverage_cap"]  # Lolland: it binds
    nation = AreaResult.objects.get(run=run, geography=NATION)
    assert nation.pop_80_plus_horizon == pytest.approx(frame["pop_80_plus_horizon"].sum())
    metrics = run.metrics
    assert metrics["need_growth"] > 1 and metrics["shortfall"] > 0
    assert [y["year"] for y in metrics["years"]] == list(range(2026, 2036))
    # The stored inputs rebuild the projection: the explanation is the engine's own.
    rebuilt = run_inputs(run=run)
    assert rebuilt is not None and rebuilt.projection_years == inputs.projection_years
    explanation = explanation_get(run=run, kommunekode=360)
    assert explanation is not None
    assert explanation["sentence"] == outcome.explain(360)["sentence"]
    assert "recruitment limit" in explanation["sentence"]


def test_importing_a_projection_changes_the_inputs_hash() -> None:
    params = AllocationParams().to_dict()
    before = services.inputs_hash(inputs=build_engine_inputs(), params=params)
    PopulationProjection.objects.filter(municipality_id=360, year=2035).update(value=1.0)
    after = services.inputs_hash(inputs=build_engine_inputs(), params=params)
    assert before != after


def test_statutory_shares_add_up_to_the_whole_stock_in_every_stored_geography() -> None:
    run = finished()
    nation = AreaResult.objects.get(run=run, geography=NATION)
    stock = round(nation.supply_today) + run.params["total"]
    geographies = set(AreaResult.objects.filter(run=run).values_list("geography", flat=True))
    assert "sundhedsraad-2027" in geographies
    for geography in geographies:
        rows = list(AreaResult.objects.filter(run=run, geography=geography))
        assert sum(r.statutory or 0 for r in rows) == stock, geography
        for r in rows:
            assert r.deviation == pytest.approx(r.supply_after - (r.statutory or 0))
