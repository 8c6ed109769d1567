"""The open share (lists grown with need, flat or need-based threshold, 2030, P5-P95) and the
placement rules it counts on (room per practice, solo practices, national steering)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.engine import AllocationParams, EngineInputs, Outcome, ParamsError, allocate
from allocation.engine.demand import supply
from allocation.engine.openshare import (
    list_growth,
    open_share_placed,
    open_shares,
    place_counts,
    practice_queue,
    threshold_per_capacity,
)
from allocation.engine.params import PILLARS
from allocation.engine.placement import REASONS, SOLO, PlacementRules
from allocation.engine.run import placement_rules
from allocation.engine.sensitivity import (
    Streams,
    draw,
    evaluate_draws,
    perturbed,
    run_sensitivity,
)
from tests.allocation.engine.builders import denmark_inputs, small_inputs

SMALL = dict(total=30, transition=12, coverage=12, accessibility=6, horizon=2027, pipeline=(15, 15))
# Built once, not on every draw: hypothesis validates a new strategy on its first draw, which
# costs more than the draw itself.
PRACTICE_SIZE = st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0, 7.5])
MAX_PRACTICE_CAPACITIES = st.sampled_from([2.0, 4.0, 8.0])
NEW_YDERNUMMER_SHARE = st.sampled_from([0.0, 0.25, 0.5, 1.0])
OPEN_THRESHOLD = st.sampled_from(["need-based", "flat"])
TRANSITION_RELIEF = st.sampled_from([0.0, 0.5])


@st.composite
def scenarios(draw_: st.DrawFn) -> tuple[EngineInputs, AllocationParams]:
    n = draw_(st.integers(1, 4))
    population = [float(draw_(st.integers(500, 40000))) for _ in range(n)]
    capacities = [
        [float(draw_(PRACTICE_SIZE)) for _ in range(k)]
        for k in (draw_(st.integers(0, 5)) for _ in range(n))
    ]
    if not any(capacities):
        capacities[0] = [1.0]
    inputs = small_inputs(
        population,
        capacities,
        seed=draw_(st.integers(0, 50)),
        listed_per_capacity=float(draw_(st.integers(800, 2400))),
    )
    params = AllocationParams(
        **SMALL,  # type: ignore[arg-type]
        recruitment_rate=0.0,
        max_practice_capacities=float(draw_(MAX_PRACTICE_CAPACITIES)),
        max_practice_growth=draw_(st.integers(0, 3)),
        new_ydernummer_share=draw_(NEW_YDERNUMMER_SHARE),
        new_practice_capacities=draw_(st.integers(1, 3)),
        open_threshold=draw_(OPEN_THRESHOLD),
        list_relief={"transition": draw_(TRANSITION_RELIEF), "coverage": 1.0},
        pipeline_binding=False,
    )
    return inputs, params


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_placement_and_open_share_invariants(
    scenario: tuple[EngineInputs, AllocationParams],
) -> None:
    inputs, params = scenario
    outcome = allocate(inputs, params)
    m, rows = outcome.metrics, outcome.placements
    # Open shares are shares.
    for value in (
        m["before"]["open_share"],
        m["after"]["open_share"],
        m["open_share_2030"],
        m["open_share_after_lists_today"],
    ):
        assert value is None or 0.0 <= value <= 1.0
    # Placements add up to each municipality's new capacities, pillar by pillar.
    placed = rows.groupby(["kommunekode", "pillar"]).size()
    for code, row in outcome.municipalities.iterrows():
        for p in PILLARS:
            assert placed.get((code, p), 0) == row[p]
    # No existing practice grows beyond the largest size or by more than its growth cap
    # (unless it was already above the size), and no new ydernummer beyond its size.
    practices = inputs.practices.set_index("ydernummer")
    horizon = pd.Series(supply(inputs, params).practice_horizon, index=practices.index)
    added = rows.groupby("ydernummer").size()
    existing = added[added.index.isin(practices.index)]
    assert (existing <= params.max_practice_growth).all()
    assert (horizon[existing.index] + existing <= params.max_practice_capacities + 1e-9).all()
    new = added[~added.index.isin(practices.index)]
    assert (
        new <= max(1, min(params.new_practice_capacities, params.max_practice_capacities))
    ).all()
    # Every row has a known reason; steering is round(share x coverage) where there are
    # practices; a solo practice grows into a partnership at its first new capacity only.
    assert set(rows["reason_code"]) <= set(REASONS)
    assert rows["reason"].str.len().min() > 0 if len(rows) else True
    steered = rows[rows["reason_code"] == "new_steering"].groupby("kommunekode").size()
    for code, row in outcome.municipalities.iterrows():
        if (inputs.practices["kommunekode"] == code).any():
            expected = np.floor(params.new_ydernummer_share * row["coverage"] + 0.5 + 1e-9)
            assert steered.get(code, 0) == expected
    solo = rows[rows["reason_code"] == "solo_to_partnership"]
    assert (solo["capacities_before"] <= SOLO).all()
    assert not solo["ydernummer"].duplicated().any()
    # The open share counts the placements the rows make.
    _assert_counts_match_rows(inputs, params, outcome)


def _assert_counts_match_rows(
    inputs: EngineInputs, params: AllocationParams, outcome: Outcome
) -> None:
    sup = supply(inputs, params)
    listed = inputs.practices["listed_patients"].to_numpy(np.float64)
    rules = placement_rules(params)
    queue = practice_queue(
        listed, sup.practice_horizon, sup.practice_municipality, rules, len(inputs.codes)
    )
    frame = outcome.municipalities
    counts = frame[list(PILLARS)].to_numpy(np.float64)[None, :, :]
    relief = np.array([params.list_relief[p] for p in PILLARS])
    placed = place_counts(counts, queue, rules, relief)
    rows = outcome.placements
    position = pd.Index(inputs.practices["ydernummer"]).get_indexer(pd.Index(rows["ydernummer"]))
    from_rows = np.bincount(position[position >= 0], minlength=len(listed))
    assert placed.added[0].tolist() == from_rows.tolist()
    assert placed.opened[0].sum() == (rows["kind"] == "new").sum()


@settings(max_examples=60, deadline=None)
@given(
    listed=st.lists(st.floats(0, 20000), min_size=1, max_size=30),
    data=st.data(),
)
def test_growing_lists_never_raise_the_open_share(listed: list[float], data: st.DataObject) -> None:
    """At equal capacities and thresholds, lists grown by factors >= 1 leave at most as many
    practices open as today's lists (a list only crosses the threshold upwards)."""
    n = len(listed)
    caps = np.array(data.draw(st.lists(st.floats(0.1, 8), min_size=n, max_size=n)))
    growth = np.array(data.draw(st.lists(st.floats(1.0, 2.0), min_size=n, max_size=n)))
    today = np.asarray(listed)
    frozen = open_shares(today, caps, np.full(n, 1600.0), 2)
    grown = open_shares(today * growth, caps, np.full(n, 1600.0), 2)
    assert 0.0 <= grown[0] <= frozen[0] <= 1.0


def test_need_based_threshold_follows_need_per_citizen() -> None:
    weighted = np.array([1000.0, 3000.0, 0.0])
    population = np.array([1000.0, 2000.0, 0.0])
    flat = threshold_per_capacity("flat", 1600.0, weighted, population)
    need = threshold_per_capacity("need-based", 1600.0, weighted, population)
    assert flat.tolist() == [1600.0] * 3
    # National W per citizen 4000 / 3000; the first municipality needs less than average
    # (1.0) and may close later, the second more (1.5) and may close sooner.
    assert need[0] == pytest.approx(1600 * 4 / 3)
    assert need[1] == pytest.approx(1600 * (4 / 3) / 1.5)
    assert need[2] == 1600.0  # nothing to scale by
    same = threshold_per_capacity("need-based", 1600.0, np.array([2.0, 4.0]), np.array([1, 2.0]))
    assert same.tolist() == pytest.approx([1600.0, 1600.0])
    assert list_growth(np.array([100.0, 0.0]), np.array([110.0, 5.0])).tolist() == [1.1, 1.0]


def test_need_based_and_flat_differ_only_in_the_threshold() -> None:
    inputs = denmark_inputs()
    need_based = allocate(inputs, AllocationParams())
    flat = allocate(inputs, AllocationParams(open_threshold="flat"))
    assert need_based.totals == flat.totals
    assert need_based.placements["ydernummer"].tolist() == flat.placements["ydernummer"].tolist()
    assert need_based.metrics["after"]["open_share"] != flat.metrics["after"]["open_share"]


def test_placement_rule_parameters_are_validated() -> None:
    for field, change in [
        ("open_threshold", {"open_threshold": "1600"}),
        ("new_ydernummer_share", {"new_ydernummer_share": 1.5}),
        ("max_practice_growth", {"max_practice_growth": -1}),
        ("new_practice_capacities", {"new_practice_capacities": 0}),
    ]:
        with pytest.raises(ParamsError) as err:
            AllocationParams(**change)  # type: ignore[arg-type]
        assert err.value.field == field
    params = AllocationParams(open_threshold="flat", new_ydernummer_share=0.25)
    assert AllocationParams.from_dict(params.to_dict()) == params


def test_an_unperturbed_draw_gives_the_base_open_share() -> None:
    inputs = denmark_inputs()
    params = AllocationParams(sensitivity_noise=0.0, sensitivity_concentration=1e12)
    base = allocate(inputs, params)
    batch = draw(inputs, params, Streams(1), 3)
    result = evaluate_draws(inputs, params, batch)
    assert result.open_share == pytest.approx([base.metrics["after"]["open_share"]] * 3, abs=1e-9)


def test_draws_are_seeded_and_chunking_does_not_change_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = denmark_inputs()
    params = AllocationParams()
    whole = perturbed(inputs, params, 60)
    monkeypatch.setattr("allocation.engine.sensitivity.CHUNK", 25)
    again = perturbed(inputs, params, 60)
    assert (again.totals == whole.totals).all()
    assert again.open_share.tolist() == whole.open_share.tolist()


def test_open_share_counts_relief_and_new_ydernumre() -> None:
    # One municipality, one full solo practice; one coverage capacity, not steered.
    queue = practice_queue(
        np.array([2000.0]), np.array([1.0]), np.array([0]), PlacementRules(8, 2, 0.0, 2), 1
    )
    rules = PlacementRules(8, 2, 0.0, 2)
    counts = np.array([[[0.0, 1.0, 0.0]]])
    relief = np.array([0.0, 1.0, 0.0])

    def share(counts: np.ndarray, rules: PlacementRules) -> float:
        return float(
            open_share_placed(
                counts=counts,
                listed=np.array([2000.0]),
                capacities=np.array([1.0]),
                growth=np.ones((1, 1)),
                threshold=np.full((1, 1), 1600.0),
                capacity_factor=None,
                queue=queue,
                rules=rules,
                relief=relief,
            )[0]
        )

    # 2000 < 1600 x 2: open after the coverage capacity.
    assert share(counts, rules) == 1
    # The same capacity from the transition pillar relieves nothing: still closed.
    counts_t = np.array([[[1.0, 0.0, 0.0]]])
    assert share(counts_t, rules) == 0
    # Steered, it opens a new ydernummer that counts as open: 1 of 2 practices.
    steer = PlacementRules(8, 2, 1.0, 2)
    assert share(counts, steer) == 0.5


def test_default_figures_on_denmark() -> None:
    """The defaults on the shipped data and the seeded synthetic register (pinned)."""
    inputs = denmark_inputs()
    params = AllocationParams()
    outcome = allocate(inputs, params)
    sens = run_sensitivity(inputs, params, outcome)
    m = outcome.metrics
    band = sens.open_share
    assert band is not None
    p5, p95 = band["p5"], band["p95"]
    assert p5 is not None and p95 is not None
    figures = {
        "before": round(m["before"]["open_share"], 4),
        "after": round(m["after"]["open_share"], 4),
        "p5": round(p5, 4),
        "p95": round(p95, 4),
        "2030": round(m["open_share_2030"], 4),
        "lists_today": round(m["open_share_after_lists_today"], 4),
        "expanded": m["practices_expanded"],
        "new_ydernumre": m["new_ydernumre"],
        "solo_before": m["solo_practices_before"],
        "solo_after": m["solo_practices_after"],
        "reasons": m["placements_by_reason"],
    }
    flat = allocate(inputs, params.with_changes(open_threshold="flat")).metrics
    figures["flat_after"] = round(flat["after"]["open_share"], 4)
    figures["flat_2030"] = round(flat["open_share_2030"], 4)
    print(figures)
    assert p5 <= m["after"]["open_share"] <= p95
    assert m["open_share_2030_need"] == "projection"
    assert figures == PINNED


# Lists grown with need and the need-based threshold put the open share after at 25 % (P5-P95
# 24-31 %), 26 % in 2030; with today's lists the same capacities would give 33 %. (Pinned
# with the disease weights on the excess over the age-expected count.)
PINNED: dict[str, object] = {
    "before": 0.1201,
    "after": 0.2515,
    "p5": 0.2389,
    "p95": 0.3087,
    "2030": 0.2629,
    "lists_today": 0.3275,
    "expanded": 1133,
    "new_ydernumre": 189,
    "solo_before": 883,
    "solo_after": 416,
    "reasons": {
        "most_loaded": 655,
        "new_no_practice": 2,
        "new_steering": 322,
        "solo_to_partnership": 521,
    },
    "flat_after": 0.2684,
    "flat_2030": 0.267,
}
