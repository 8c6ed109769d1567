"""Coverage: min-max optimality (brute force, HiGHS), house monotonicity, caps, the
deficit and proportional-new variants, and area floors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine import AllocationParams, ParamsError, allocate
from allocation.engine.apportion import order_items
from allocation.engine.coverage import coverage, deficit, minmax, proportional_new
from allocation.engine.frames import caps_total

from .builders import denmark_inputs
from .reference import brute_force_minmax, greedy, highs_minmax, max_load

# Built once, not on every draw (hypothesis validates a new strategy on its first draw).
WEIGHTED = st.floats(0, 5000)
SUPPLY = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 4.5])
CAP = st.integers(0, 8)


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[list[float], list[float], int, list[int]]:
    m = draw(st.integers(1, 4))
    weighted = draw(st.lists(WEIGHTED, min_size=m, max_size=m))
    supply = draw(st.lists(SUPPLY, min_size=m, max_size=m))
    n = draw(st.integers(0, 8))
    caps = draw(st.lists(CAP, min_size=m, max_size=m))
    if sum(caps) < n:
        caps[0] += n - sum(caps)
    return weighted, supply, n, caps


@settings(max_examples=200, deadline=None)
@given(small_cases())
def test_minmax_reaches_the_brute_force_optimum(case: tuple) -> None:
    weighted, supply, n, caps = case
    got = minmax(np.array([weighted]), np.array([supply]), n, np.array(caps, dtype=float))[0]
    assert got.sum() == n
    assert (got <= np.array(caps)).all()
    assert max_load(weighted, supply, got.tolist()) == pytest.approx(
        brute_force_minmax(weighted, supply, n, caps), rel=1e-12
    )
    assert got.tolist() == greedy(weighted, supply, n, [float(c) for c in caps])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1e5), min_size=2, max_size=10),
    st.lists(st.floats(0, 60), min_size=10, max_size=10),
    st.integers(0, 80),
)
def test_coverage_order_is_house_monotone(
    weighted: list[float], supply: list[float], n: int
) -> None:
    w, s = np.array(weighted), np.array(supply[: len(weighted)])
    full = minmax(w, s, n)[0]
    owners, _ = order_items(full, w, s)
    counts = np.zeros(len(w), dtype=np.int64)
    previous = np.zeros(len(w), dtype=np.int64)
    for k, owner in enumerate(owners, start=1):
        counts[owner] += 1
        assert counts.tolist() == minmax(w, s, k)[0].tolist()
        assert (counts >= previous).all()
        previous = counts.copy()


def test_realistic_largest_load_equals_the_highs_optimum() -> None:
    inputs = denmark_inputs()
    outcome = allocate(inputs)
    frame = outcome.municipalities
    w = frame["weighted_citizens"].to_numpy()
    s = frame["supply_at_horizon"].to_numpy()
    c = frame["coverage"].to_numpy()
    ours = max_load(w.tolist(), s.tolist(), c.tolist())
    # The default recruitment limits are part of the problem: HiGHS gets them as bounds.
    caps = caps_total(inputs, AllocationParams())
    assert np.isfinite(caps).all()
    optimum, highs_counts = highs_minmax(w, s, 600, caps)
    assert highs_counts.sum() == 600
    assert (highs_counts <= caps).all() and (c <= caps).all()
    assert ours == pytest.approx(optimum, rel=1e-9)
    assert ours == pytest.approx(max_load(w.tolist(), s.tolist(), highs_counts.tolist()), rel=1e-12)
    # Læsø has no practice: unbounded load, so it gets the first coverage capacity.
    assert frame.at[825, "coverage_first_position"] == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1e5), min_size=3, max_size=8),
    st.floats(0.2, 3.0),
    st.integers(0, 60),
)
def test_deficit_method_is_exact_and_serves_the_deficit_first(
    weighted: list[float], ratio: float, n: int
) -> None:
    w = np.array(weighted)
    s = np.round(w / 1600 * ratio, 1)
    got = deficit(w, s, np.array([n]), 1600.0)[0]
    assert got.sum() == n and (got >= 0).all()
    gap = np.maximum(0, w / 1600 - s)
    if gap.sum() >= n:
        assert (got[gap == 0] == 0).all()  # no capacity where there is no deficit


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1, 1e5), min_size=3, max_size=9),
    st.integers(0, 60),
    st.data(),
)
def test_proportional_new_gives_each_area_its_share_by_weighted_citizens(
    weighted: list[float], n: int, data: st.DataObject
) -> None:
    m = len(weighted)
    areas = np.array(data.draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)))
    w, s = np.array(weighted), np.full(m, 2.0)
    got = proportional_new(w, s, np.array([n]), areas, 3)[0]
    assert got.sum() == n
    area_w = np.bincount(areas, weights=w, minlength=3)
    expected = greedy(area_w.tolist(), [0.5, 0.5, 0.5], n)
    assert np.bincount(areas, weights=got, minlength=3).tolist() == expected


def test_floors_are_met_and_caps_respected() -> None:
    w = np.array([[1000.0, 1000.0, 50.0, 50.0]])
    s = np.array([[1.0, 1.0, 1.0, 1.0]])
    areas = np.array([0, 0, 1, 1])
    got = coverage(
        w,
        s,
        np.array([10]),
        method="minmax",
        list_norm=1600.0,
        areas=areas,
        n_areas=2,
        caps=np.array([4.0, 3.0, np.inf, np.inf]),
        floor_need=np.array([[0, 3]]),
    )[0]
    assert got.sum() == 10
    assert got[2:].sum() >= 3
    assert got[0] <= 4 and got[1] <= 3


def test_too_tight_caps_and_floors_name_their_field() -> None:
    w, s, areas = np.array([[10.0, 20.0]]), np.array([[1.0, 1.0]]), np.array([0, 1])
    with pytest.raises(ParamsError) as err:
        coverage(
            w,
            s,
            np.array([5]),
            method="minmax",
            list_norm=1600.0,
            areas=areas,
            n_areas=2,
            caps=np.array([1.0, 1.0]),
        )
    assert err.value.field == "caps"
    with pytest.raises(ParamsError) as err:
        coverage(
            w,
            s,
            np.array([5]),
            method="minmax",
            list_norm=1600.0,
            areas=areas,
            n_areas=2,
            floor_need=np.array([[4, 4]]),
        )
    assert err.value.field == "floors"


@pytest.mark.parametrize("method", ["minmax", "deficit", "proportional-new"])
def test_every_coverage_method_on_realistic_data_is_exact(method: str) -> None:
    outcome = allocate(denmark_inputs(), AllocationParams(coverage_method=method))
    assert outcome.totals == {
        "transition": 700,
        "coverage": 600,
        "accessibility": 200,
        "total": 1500,
    }
