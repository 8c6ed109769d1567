"""The grouped divisor solver against the one-at-a-time greedy, and the methods' properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine.apportion import (
    InfeasibleError,
    apportion,
    divisor,
    hamilton,
    order_items,
    top_n,
)

from .reference import greedy

values_st = st.floats(min_value=0, max_value=1e6, allow_nan=False) | st.sampled_from(
    [0.0, 1.0, 2.0, 3.0]
)
bases_st = st.sampled_from([0.0, 0.5, 1.0, 2.0, 0.25, 7.3, 40.0])
caps_st = st.sampled_from([0.0, 1.0, 2.0, 5.0, np.inf])


@st.composite
def problems(draw: st.DrawFn, capped: bool = True) -> tuple[list, list, list | None, int]:
    m = draw(st.integers(1, 8))
    values = draw(st.lists(values_st, min_size=m, max_size=m))
    bases = draw(st.lists(bases_st, min_size=m, max_size=m))
    caps = (
        draw(st.lists(caps_st, min_size=m, max_size=m)) if capped and draw(st.booleans()) else None
    )
    n = draw(st.integers(0, 40))
    return values, bases, caps, n


@settings(max_examples=300, deadline=None)
@given(problems())
def test_top_n_equals_the_one_at_a_time_greedy(problem: tuple) -> None:
    values, bases, caps, n = problem
    try:
        expected = greedy(values, bases, n, caps)
    except ValueError:
        with pytest.raises(InfeasibleError):
            top_n(values, bases, n, caps=caps)
        return
    got = top_n(values, bases, n, caps=caps)
    assert got.tolist() == expected
    assert got.sum() == n
    assert (got >= 0).all()
    if caps is not None:
        assert (got <= np.asarray(caps)).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(problems(capped=True), min_size=1, max_size=5))
def test_grouped_solve_equals_each_group_alone(group_problems: list) -> None:
    values: list[float] = []
    bases: list[float] = []
    caps: list[float] = []
    groups: list[int] = []
    ns: list[int] = []
    expected: list[object] = []
    feasible = True
    for g, (v, b, c, n) in enumerate(group_problems):
        c = c if c is not None else [np.inf] * len(v)
        values += v
        bases += b
        caps += c
        groups += [g] * len(v)
        ns.append(n)
        try:
            expected += greedy(v, b, n, c)
        except ValueError:
            feasible = False
    if not feasible:
        with pytest.raises(InfeasibleError):
            top_n(values, bases, ns, caps=caps, groups=groups)
        return
    assert top_n(values, bases, ns, caps=caps, groups=groups).tolist() == expected


def test_zero_supply_goes_first_and_ties_go_to_the_lowest_index() -> None:
    # Municipality 2 has no supply: unbounded load, so it gets the first capacity.
    assert top_n([100.0, 100.0, 5.0], [10.0, 10.0, 0.0], 1).tolist() == [0, 0, 1]
    # Equal loads: the lower index (kommunekode) first.
    assert top_n([100.0, 100.0], [10.0, 10.0], 1).tolist() == [1, 0]
    assert top_n([100.0, 100.0], [10.0, 10.0], 3).tolist() == [2, 1]


def test_infeasible_caps_are_reported() -> None:
    with pytest.raises(InfeasibleError) as err:
        top_n([1.0, 2.0], [1.0, 1.0], 5, caps=[1, 2])
    assert (err.value.room, err.value.required) == (3, 5)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e5), min_size=2, max_size=8),
    st.integers(0, 60),
    st.sampled_from(["sainte-lague", "dhondt"]),
    st.data(),
)
def test_raising_one_need_never_lowers_its_allocation(
    votes: list[float], n: int, method: str, data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(votes) - 1))
    factor = data.draw(st.floats(1.0, 10.0))
    before = divisor(votes, n, method)[0]
    raised = list(votes)
    raised[i] *= factor
    after = divisor(raised, n, method)[0]
    assert after[i] >= before[i]
    assert after.sum() == before.sum() == n


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e5), min_size=1, max_size=8),
    st.integers(0, 40),
    st.sampled_from(["sainte-lague", "dhondt"]),
)
def test_divisor_methods_are_house_monotone_and_follow_their_order(
    votes: list[float], n: int, method: str
) -> None:
    full = divisor(votes, n, method)[0]
    base = 0.5 if method == "sainte-lague" else 1.0
    owners, _ = order_items(full, votes, base)
    counts = np.zeros(len(votes), dtype=np.int64)
    for k, owner in enumerate(owners, start=1):
        counts[owner] += 1
        assert counts.tolist() == divisor(votes, k, method)[0].tolist()
    assert counts.tolist() == full.tolist()


def test_sainte_lague_and_dhondt_textbook_cases() -> None:
    # Standard example: votes 53,000 / 24,000 / 23,000 and 7 seats.
    votes = [53000, 24000, 23000]
    assert divisor(votes, 7, "dhondt")[0].tolist() == [4, 2, 1]
    assert divisor(votes, 7, "sainte-lague")[0].tolist() == [3, 2, 2]
    assert hamilton(votes, 7)[0].tolist() == [4, 2, 1]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e5), min_size=1, max_size=10).filter(lambda v: sum(v) > 0),
    st.integers(0, 200),
    st.sampled_from(["sainte-lague", "dhondt", "hamilton"]),
)
def test_proportional_methods_are_exact_and_within_one_of_quota_for_hamilton(
    votes: list[float], n: int, method: str
) -> None:
    got = apportion(votes, n, method)[0]
    assert got.sum() == n
    assert (got >= 0).all()
    if method == "hamilton":
        quota = np.asarray(votes) / sum(votes) * n
        assert (np.abs(got - quota) < 1 + 1e-9).all()


def test_hamilton_shows_the_alabama_paradox_which_is_why_phasing_never_uses_it() -> None:
    votes = [6, 6, 2]
    assert hamilton(votes, 10)[0].tolist() == [4, 4, 2]
    assert hamilton(votes, 11)[0].tolist() == [5, 5, 1]  # the third loses one


def test_batched_rows_are_independent() -> None:
    votes = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    got = divisor(votes, [6, 12], "sainte-lague")
    assert got[0].tolist() == divisor(votes[0], 6, "sainte-lague")[0].tolist()
    assert got[1].tolist() == divisor(votes[1], 12, "sainte-lague")[0].tolist()
