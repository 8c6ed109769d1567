"""The statutory reference (docs/model.md#the-statutory-reference)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine import NATION, AllocationParams, ParamsError, aggregate, allocate
from allocation.engine.statutory import statutory_shares

from .builders import denmark_inputs
from .test_engine import Scenario, run, scenarios


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 1e6) | st.sampled_from([0.0, 1.0, 1e5]), min_size=1, max_size=30),
    st.integers(0, 20000),
)
def test_shares_add_up_and_are_within_one_capacity_of_the_quota(
    weighted: list[float], stock: int
) -> None:
    w = np.array(weighted)
    if w.sum() <= 0:
        w[0] = 1.0
    share = statutory_shares(w, stock)
    assert share.sum() == stock and (share >= 0).all()
    quota = stock * w / w.sum()
    assert (np.abs(share - quota) < 1.0).all()


@settings(max_examples=30, deadline=None)
@given(scenarios())
def test_every_area_row_carries_its_share_and_deviation(s: Scenario) -> None:
    outcome = run(s)
    if outcome is None:
        return
    stock = round(outcome.municipalities["capacities_today"].sum()) + s.params.total
    for geography in (*s.inputs.geographies, NATION):
        areas = aggregate(outcome, s.inputs, geography)
        assert areas["statutory"].sum() == stock
        np.testing.assert_allclose(
            areas["deviation"],
            areas["supply_at_horizon"] + areas["total"] - areas["statutory"],
        )


def test_denmark_shares_add_up_in_every_geography_and_follow_w() -> None:
    inputs = denmark_inputs()
    outcome = allocate(inputs, AllocationParams())
    today = outcome.municipalities["capacities_today"].sum()
    stock = round(today) + 1500
    for geography in inputs.geographies:
        areas = aggregate(outcome, inputs, geography)
        assert areas["statutory"].sum() == stock, geography
        quota = stock * areas["weighted_citizens"] / areas["weighted_citizens"].sum()
        assert (np.abs(areas["statutory"] - quota) < 1.0).all(), geography
    councils = aggregate(outcome, inputs, "sundhedsraad-2027")
    assert len(councils) == 17
    st_ = outcome.metrics["statutory"]
    assert st_["geography"] == "sundhedsraad-2027" and st_["stock"] == stock
    assert st_["absolute_deviation"] == pytest.approx(np.abs(councils["deviation"]).sum())
    assert st_["deviation_sum"] == pytest.approx(
        outcome.municipalities["supply_at_horizon"].sum() - round(today)
    )
    assert st_["largest_above"]["deviation"] == pytest.approx(councils["deviation"].max())
    assert st_["largest_below"]["deviation"] == pytest.approx(councils["deviation"].min())


def test_an_unknown_statutory_geography_is_named() -> None:
    inputs = denmark_inputs()
    with pytest.raises(ParamsError) as err:
        allocate(inputs, AllocationParams(statutory_geography="amter"))
    assert err.value.field == "statutory_geography"
    regions = allocate(inputs, AllocationParams(statutory_geography="regioner"))
    assert regions.metrics["statutory"]["areas"] == 5
