"""Age and disease weights combined without counting age twice: the extra weights apply to
the excess over the age-expected count (docs/model.md#disease-weighted-citizens)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allocation.engine import AllocationParams, allocate
from allocation.engine.demand import (
    EXCESS_FEATURES,
    W_FEATURES,
    age_expected,
    excess_features,
    need,
    w_weights,
)
from allocation.engine.params import AGE_BANDS, CARRY_FORWARD
from tests.allocation.engine.builders import denmark_inputs

N_AGE = len(AGE_BANDS)


@st.composite
def features(draw: st.DrawFn) -> np.ndarray:
    """(M, 7) counts in W_FEATURES order: bands, then chronic, multimorbid (within chronic)
    and vulnerable at plausible rates of the population."""
    m = draw(st.integers(2, 12))
    bands = np.array(
        draw(st.lists(st.lists(st.floats(50, 1e5), min_size=4, max_size=4), min_size=m, max_size=m))
    )
    pop = bands.sum(axis=1)
    rates = np.array(
        draw(
            st.lists(
                st.tuples(st.floats(0.05, 0.3), st.floats(0.1, 0.3), st.floats(0.01, 0.1)),
                min_size=m,
                max_size=m,
            )
        )
    )
    chronic = pop * rates[:, 0]
    return np.column_stack([bands, chronic, chronic * rates[:, 1], pop * rates[:, 2]])


weights = st.tuples(
    st.lists(st.floats(0.5, 3.0), min_size=4, max_size=4),
    st.lists(st.floats(0.0, 1.5), min_size=3, max_size=3),
).map(lambda t: np.array([*t[0], *t[1]]))


@settings(max_examples=80, deadline=None)
@given(features(), weights, st.floats(0.001, 2.0), st.floats(0.8, 1.3))
def test_a_municipality_with_the_national_mix_gets_the_national_w_per_citizen(
    x: np.ndarray, w: np.ndarray, alpha: float, growth: float
) -> None:
    # One more municipality that is Denmark in small: its bands and its counts are the
    # national ones times alpha, so it has Denmark's age mix and Denmark's rates.
    x = np.vstack([x, alpha * x.sum(axis=0)])
    horizon = x * np.array([1.0, 1.0, growth, growth**2, growth, growth, 1.0])
    pop = x[:, :N_AGE].sum(axis=1)
    got = need(x, horizon, w, pop)
    assume((got.base > 0).all() and (got.horizon > 0).all())  # no term stopped at zero
    per_citizen = got.base[0] / pop
    assert per_citizen[-1] == pytest.approx(got.base.sum() / pop.sum(), rel=1e-9)
    assert got.base.sum() == pytest.approx(pop.sum(), rel=1e-9)
    pop_h = horizon[:, :N_AGE].sum(axis=1)
    assert got.horizon[0, -1] / pop_h[-1] == pytest.approx(
        got.horizon.sum() / pop_h.sum(), rel=1e-9
    )


@settings(max_examples=80, deadline=None)
@given(features(), weights)
def test_the_excess_over_the_age_expected_count_sums_to_zero_nationally(
    x: np.ndarray, w: np.ndarray
) -> None:
    expected = age_expected(x, x)
    excess = excess_features(x, expected.base)[0]
    np.testing.assert_allclose(excess[:, N_AGE:].sum(axis=0), 0.0, atol=1e-6 * x.sum())
    # The age bands themselves are left as they are.
    np.testing.assert_array_equal(excess[:, :N_AGE], x[:, :N_AGE])
    # The expected counts follow the CARRY_FORWARD age profile, scaled by one factor each.
    for j, f in enumerate(EXCESS_FEATURES):
        profile = x[:, :N_AGE] @ np.array(CARRY_FORWARD[f])
        np.testing.assert_allclose(expected.base[0, :, j], expected.factor[0, j] * profile)


@given(features(), st.floats(0.0, 1.5), st.floats(0.0, 1.5))
@settings(max_examples=60, deadline=None)
def test_age_is_counted_once(x: np.ndarray, chronic_a: float, chronic_b: float) -> None:
    """A municipality whose groups are exactly as common as its ages imply gets its age
    weights and nothing more, whatever the extra weights are."""
    x = x.copy()
    # The first municipality's counts are what its ages imply at the factor the others set:
    # k = Σ others' counts / Σ others' age profile, which its own counts then leave as it is.
    profile = x[:, :N_AGE] @ np.array([CARRY_FORWARD[f] for f in EXCESS_FEATURES]).T
    k = x[1:, N_AGE:].sum(axis=0) / profile[1:].sum(axis=0)
    x[0, N_AGE:] = k * profile[0]
    np.testing.assert_allclose(age_expected(x, x).factor[0], k)
    age_only = float(x[0, :N_AGE] @ w_weights(AllocationParams())[:N_AGE])
    for extra in (chronic_a, chronic_b):
        w = w_weights(AllocationParams(chronic_weight=extra))
        got = need(x, x, w, None).base[0, 0]
        assert got == pytest.approx(age_only, rel=1e-6)


def test_denmark_w_per_citizen_moves_only_with_the_excess() -> None:
    """On the shipped data: W at the base year adds up to the population, and the W terms
    of the explanation add up to W (the age-expected counts are quoted beside the counts)."""
    inputs = denmark_inputs()
    outcome = allocate(inputs, AllocationParams())
    frame = outcome.municipalities
    assert frame["weighted_citizens_base"].sum() == pytest.approx(
        inputs.municipalities["population"].sum(), rel=1e-9
    )
    for code in (360, 147, 825):
        e = outcome.explain(code)
        terms = e["weighted_citizens"]["components"]
        assert sum(t["weighted"] for t in terms.values()) == pytest.approx(
            frame.at[code, "weighted_citizens"], rel=1e-9
        )
        for f in W_FEATURES:
            scaled = terms[f]["scaled_weight"]
            assert scaled == pytest.approx(terms[f]["weight"] * e["weighted_citizens"]["scale"])
            counted = terms[f]["citizens"] - (terms[f]["age_expected"] or 0.0)
            assert terms[f]["weighted"] == pytest.approx(scaled * counted, rel=1e-9, abs=1e-9)
        assert all(terms[f]["age_expected"] is None for f in AGE_BANDS)
        assert all(terms[f]["age_expected"] > 0 for f in EXCESS_FEATURES)
