"""List relief (docs/model.md#list-relief): the loads and metrics after use the effective list
capacity, and coverage water-fills on the same supply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine import PILLARS, AllocationParams, ParamsError, allocate
from allocation.engine.coverage import minmax

from .builders import denmark_inputs
from .test_engine import Scenario, run, scenarios


@settings(max_examples=40, deadline=None)
@given(scenarios(), st.sampled_from([0.25, 0.5, 1.0]))
def test_no_relief_from_two_pillars_leaves_load_after_at_load_after_coverage(
    s: Scenario, coverage_relief: float
) -> None:
    params = s.params.with_changes(
        list_relief={"transition": 0.0, "coverage": coverage_relief, "accessibility": 0.0}
    )
    outcome = run(Scenario(s.inputs, params))
    if outcome is None:
        return
    m = outcome.municipalities
    np.testing.assert_array_equal(m["load_after"].to_numpy(), m["load_after_coverage"].to_numpy())
    assert outcome.metrics["after"]["max_load"] == outcome.metrics["max_load_after_coverage"]


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_loads_after_use_the_effective_list_capacity(s: Scenario) -> None:
    outcome = run(s)
    if outcome is None:
        return
    m, r = outcome.municipalities, s.params.list_relief
    effective = m["supply_at_horizon"] + sum(r[p] * m[p] for p in PILLARS)
    np.testing.assert_allclose(m["effective_supply_after"], effective)
    w, s_eff = m["weighted_citizens"].to_numpy(), effective.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(s_eff > 0, w / s_eff, np.where(w > 0, np.inf, 0.0))
    np.testing.assert_allclose(m["load_after"].to_numpy(), expected)
    above = int((expected > s.params.list_norm).sum())
    assert outcome.metrics["after"]["municipalities_above_norm"] == above


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_minmax_coverage_water_fills_on_the_effective_supply(s: Scenario) -> None:
    params = s.params.with_changes(
        coverage_method="minmax", caps={}, floors={}, recruitment_rate=0.0
    )
    outcome = run(Scenario(s.inputs, params))
    if outcome is None:
        return
    m, r = outcome.municipalities, params.list_relief
    other = m["supply_at_horizon"] + r["transition"] * m["transition"]
    other = other + r["accessibility"] * m["accessibility"]
    scale = 1.0 / r["coverage"] if r["coverage"] > 0 else 1.0
    expected = minmax(
        m["weighted_citizens"].to_numpy() * scale,
        other.to_numpy() * scale,
        np.array([params.coverage]),
    )[0]
    np.testing.assert_array_equal(m["coverage"].to_numpy(), expected)


def test_default_relief_counts_only_coverage_and_lowers_the_open_share() -> None:
    inputs = denmark_inputs()
    default = allocate(inputs, AllocationParams())
    full = allocate(
        inputs,
        AllocationParams(list_relief={"transition": 1.0, "coverage": 1.0, "accessibility": 1.0}),
    )
    assert default.params.list_relief == {"transition": 0.0, "coverage": 1.0, "accessibility": 0.0}
    assert default.metrics["list_relief"] == dict(default.params.list_relief)
    m = default.municipalities
    np.testing.assert_allclose(m["effective_supply_after"], m["supply_at_horizon"] + m["coverage"])
    before, after = default.metrics["before"], default.metrics["after"]
    assert after["open_share"] < full.metrics["after"]["open_share"]
    assert before["open_share"] <= after["open_share"]
    assert after["max_load"] >= full.metrics["after"]["max_load"]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"coverage": 1.5}, "coverage must be between 0 and 1"),
        ({"coverage": -0.1}, "coverage must be between 0 and 1"),
        ({"hospital": 0.5}, "unknown pillar 'hospital'"),
        ({"transition": "half"}, "transition must be a number"),
        ([0.0, 1.0, 0.0], "must be a mapping"),
    ],
)
def test_invalid_list_relief_names_its_field(value: object, fragment: str) -> None:
    with pytest.raises(ParamsError) as err:
        AllocationParams(list_relief=value)  # type: ignore[arg-type]
    assert err.value.field == "list_relief"
    assert fragment in err.value.message


def test_list_relief_round_trips_and_a_missing_pillar_keeps_its_default() -> None:
    p = AllocationParams(list_relief={"transition": 0.25})
    assert dict(p.list_relief) == {"transition": 0.25, "coverage": 1.0, "accessibility": 0.0}
    assert AllocationParams.from_dict(p.to_dict()) == p
