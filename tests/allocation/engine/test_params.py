"""AllocationParams: defaults, serialisation, and every invalid value named by its field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine.params import (
    TRANSITION_DRIVERS,
    AllocationParams,
    ParamsError,
    even_pipeline,
)


def test_defaults_follow_the_kl_plo_proposal() -> None:
    p = AllocationParams()
    assert (p.total, p.transition, p.coverage, p.accessibility) == (1500, 700, 600, 200)
    assert p.pipeline == (150,) * 10
    assert p.years == tuple(range(2026, 2036))
    assert sum(p.transition_weights.values()) == pytest.approx(1.0)
    assert sum(p.accessibility_weights.values()) == pytest.approx(1.0)
    assert (p.coverage_method, p.transition_method) == ("minmax", "sainte-lague")


def test_round_trip_through_json_is_exact() -> None:
    p = AllocationParams(
        caps={101: 3, 825: 1},
        floors={"bornholm": 12},
        pipeline=(100, 100, 100, 150, 150, 150, 150, 200, 200, 200),
        transition_weights={d: float(i + 1) for i, d in enumerate(TRANSITION_DRIVERS)},
        coverage_method="deficit",
    )
    again = AllocationParams.from_dict(json.loads(json.dumps(p.to_dict(), allow_nan=False)))
    assert again == p
    assert hash(again) == hash(p)
    assert again.to_dict() == p.to_dict()


@settings(max_examples=100)
@given(st.integers(1, 100_000), st.integers(1, 40))
def test_even_pipeline_sums_to_the_total_and_never_falls(total: int, years: int) -> None:
    spread = even_pipeline(total, years)
    assert sum(spread) == total and len(spread) == years
    assert max(spread) - min(spread) <= 1
    assert list(spread) == sorted(spread)


INVALID: list[tuple[str, dict[str, Any]]] = [
    ("total", {"total": 1400}),
    ("total", {"total": 0, "transition": 0, "coverage": 0, "accessibility": 0}),
    ("transition", {"transition": -1, "coverage": 801}),
    ("total", {"coverage": 601}),
    ("total", {"total": 1500.0}),
    ("total", {"total": True}),
    ("base_year", {"base_year": 1999}),
    ("horizon", {"horizon": 2025}),
    ("pipeline", {"pipeline": [150] * 9}),
    ("pipeline", {"pipeline": [151] * 10}),
    ("pipeline", {"pipeline": [-150, 450] + [150] * 8}),
    ("pipeline", {"pipeline": "150"}),
    ("age_weights", {"age_weights": {"pop_0_17": 1.0}}),
    (
        "age_weights",
        {
            "age_weights": {
                "pop_0_17": 1,
                "pop_18_64": 1,
                "pop_65_79": 1,
                "pop_80_plus": 1,
                "pop_90_plus": 3,
            }
        },
    ),
    (
        "age_weights",
        {"age_weights": {"pop_0_17": -1, "pop_18_64": 1, "pop_65_79": 1, "pop_80_plus": 1}},
    ),
    (
        "age_weights",
        {"age_weights": {"pop_0_17": 0, "pop_18_64": 0, "pop_65_79": 0, "pop_80_plus": 0}},
    ),
    ("chronic_weight", {"chronic_weight": -0.1}),
    ("multimorbid_weight", {"multimorbid_weight": "high"}),
    ("vulnerable_weight", {"vulnerable_weight": float("inf")}),
    ("normalise_weighted_citizens", {"normalise_weighted_citizens": 1}),
    ("retirement_age", {"retirement_age": 30}),
    ("retirement_age", {"retirement_age": 65.5}),
    ("replacement_share", {"replacement_share": 1.2}),
    ("list_norm", {"list_norm": 0}),
    ("list_norm", {"list_norm": float("nan")}),
    ("transition_weights", {"transition_weights": {d: 0.0 for d in TRANSITION_DRIVERS}}),
    ("transition_weights", {"transition_weights": {"chronic": 1.0}}),
    (
        "accessibility_weights",
        {"accessibility_weights": {"vulnerable": 1, "multimorbid": 1, "far_from_practice": -1}},
    ),
    ("coverage_method", {"coverage_method": "hamilton"}),
    ("transition_method", {"transition_method": "minmax"}),
    ("accessibility_method", {"accessibility_method": "jefferson"}),
    ("caps", {"caps": {"Thisted": 2}}),
    ("caps", {"caps": {787: -2}}),
    ("caps", {"caps": {787: 2.5}}),
    ("caps", {"caps": [787]}),
    ("floors", {"floors": {"bornholm": -1}}),
    ("floors", {"floors": {3: 1}}),
    ("geography", {"geography": ""}),
    ("max_practice_capacities", {"max_practice_capacities": 0.5}),
    ("sensitivity_draws", {"sensitivity_draws": 0}),
    ("sensitivity_seed", {"sensitivity_seed": -1}),
    ("sensitivity_concentration", {"sensitivity_concentration": 0}),
    ("sensitivity_noise", {"sensitivity_noise": 2}),
    ("colour", {"colour": "blue"}),
]


@pytest.mark.parametrize(
    ("field", "data"), INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID)]
)
def test_invalid_values_are_rejected_naming_the_field(field: str, data: dict[str, Any]) -> None:
    with pytest.raises(ParamsError) as err:
        AllocationParams.from_dict(data)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
    assert isinstance(err.value, ValueError)


def test_from_dict_takes_string_kommunekoder_as_json_gives_them() -> None:
    assert AllocationParams.from_dict({"caps": {"787": 2}}).caps == {787: 2}


def test_params_are_immutable() -> None:
    p = AllocationParams(caps={101: 1})
    with pytest.raises(AttributeError):
        p.total = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.caps[101] = 5  # type: ignore[index]
