"""The coverage water level in the explanation: under min-max every municipality's last
coverage capacity came in at or above it and its next would come in at or below it, unless
its recruitment limit binds (docs/model.md#explanation)."""

from __future__ import annotations

import numpy as np
import pytest

from allocation.engine import AllocationParams, allocate
from allocation.engine.explain import coverage_levels
from tests.allocation.engine.builders import denmark_inputs


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"list_relief": {"coverage": 0.5, "transition": 0.25}},
        {"list_relief": {"coverage": 0.0}},
        {"recruitment_rate": 0.0},
    ],
    ids=["defaults", "half-relief", "no-coverage-relief", "no-recruitment-limit"],
)
def test_n_and_not_one_more_or_fewer(changes: dict[str, object]) -> None:
    outcome = allocate(denmark_inputs(), AllocationParams(**changes))  # type: ignore[arg-type]
    frame = outcome.municipalities
    last, following, level = coverage_levels(frame, outcome.params)
    assert level is not None
    cov = frame["coverage"].to_numpy()
    capped = frame["coverage_cap"].notna().to_numpy()
    assert (last[cov > 0] >= level - 1e-9).all()
    assert np.isclose(last[cov > 0].min(), level)
    assert (following[~capped] <= level + 1e-9).all()
    for code in frame.index[[0, 40, 97]]:
        c = outcome.explain(int(code))["coverage"]
        assert c["water_level"] == pytest.approx(level)
        assert c["why_not_more"] == ("cap" if c["cap_binding"] else "below_level")
        if c["result"]:
            assert c["why_not_fewer"] == "above_level"


def test_a_municipality_without_practices_reads_right() -> None:
    outcome = allocate(denmark_inputs(), AllocationParams())
    e = outcome.explain(825)  # Læsø: no practice in the register
    assert not e["supply"]["has_supply"] and e["load"]["before"] is None
    assert "no GP capacity today" in e["sentence"]
    assert "rank" not in e["sentence"] and "unbounded" not in e["sentence"]
    assert e["coverage"]["first_position"] == 1
