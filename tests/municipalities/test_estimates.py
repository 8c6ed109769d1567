"""The shipped population estimate: cohort ageing from 2026, calibrated to the national 80+."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allocation.engine import AllocationParams
from allocation.engine.demand import at_horizon
from municipalities import estimates
from tests.allocation.engine.builders import DATA, denmark_inputs, national_ages


@pytest.fixture(scope="module")
def bands() -> pd.DataFrame:
    muni = pd.read_csv(DATA / "municipalities.csv").set_index("kommunekode")
    demand = pd.read_csv(DATA / "demand_indicators.csv").set_index("kommunekode")
    frame = pd.DataFrame(
        {
            "population": muni["population"],
            "pct_0_17": demand["pct_0_17_2024"],
            "pct_65plus": demand["pct_65plus_2024"],
            "pop_65plus_2022": demand["pop_65plus_2022"],
            "pop_80plus_2022": demand["pop_80plus_2022"],
        }
    )
    return estimates.age_bands_2026(frame, national_ages())


@pytest.fixture(scope="module")
def projection(bands: pd.DataFrame) -> estimates.Projection:
    return estimates.project_population(bands, national_ages())


def _national(projection: estimates.Projection) -> pd.DataFrame:
    return projection.frame.pivot_table(index="year", columns="band", values="value", aggfunc="sum")


def test_the_2026_bands_add_up_to_the_population_and_age_the_2022_count(
    bands: pd.DataFrame,
) -> None:
    muni = pd.read_csv(DATA / "municipalities.csv").set_index("kommunekode")
    assert (bands.sum(axis=1) == muni["population"]).all()
    assert (bands >= 0).all().all()
    # More 80+ than the 291,483 of 2022 (the post-war cohorts turn 80), fewer than 2030's.
    assert 291_483 < bands["pop_80_plus"].sum() < 431_000


def test_the_estimate_is_calibrated_to_the_national_80_plus(
    projection: estimates.Projection, bands: pd.DataFrame
) -> None:
    national = _national(projection)
    for year, target in estimates.NATIONAL_80_PLUS.items():
        # Whole citizens per municipality: rounding moves the sum by at most 98 halves.
        assert national.at[year, "pop_80_plus"] == pytest.approx(target.value, abs=49)
    # The base year is the 2026 estimate itself, band by band.
    base = projection.frame[projection.frame["year"] == 2026].pivot(
        index="kommunekode", columns="band", values="value"
    )
    pd.testing.assert_frame_equal(
        base[list(estimates.BANDS)], bands[list(estimates.BANDS)], check_names=False
    )
    assert projection.calibration[2026] == 1.0
    assert "calibrated" in projection.method and "estimated" in projection.method


def test_the_80_plus_grow_everywhere_and_by_a_third_nationally(
    projection: estimates.Projection,
) -> None:
    old = projection.frame[projection.frame["band"] == "pop_80_plus"].pivot(
        index="kommunekode", columns="year", values="value"
    )
    ratio = old[2035].sum() / old[2026].sum()
    assert 1.2 < ratio < 1.7
    assert (old[2035] > old[2026]).all()
    # Year on year the national 80+ never fall over the period.
    assert np.all(np.diff(old.sum().to_numpy()) > 0)


def test_survival_falls_with_age_and_stays_a_probability() -> None:
    s = estimates.survival(national_ages())
    assert ((s > 0) & (s <= 1)).all()
    assert s[70] > s[80] > s[90]


def test_multimorbid_is_a_subset_of_chronic_in_every_municipality_and_year() -> None:
    inputs = denmark_inputs()
    m = inputs.municipalities
    assert len(m) == 98
    assert (m["multimorbid"] <= m["chronic"]).all()
    assert (m["multimorbid"] >= 0.15 * m["chronic"] - 1e-9).all()
    assert (m["multimorbid"] <= 0.25 * m["chronic"] + 1e-9).all()
    for year in range(2027, 2036):
        carried = at_horizon(inputs, AllocationParams(horizon=year), ("chronic", "multimorbid"))
        assert (carried[:, 1] <= carried[:, 0]).all(), year


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 200_000), min_size=4, max_size=4),
            st.floats(0.5, 15),  # unemployment %
            st.floats(150_000, 450_000),  # disposable income
            st.floats(10, 70),  # higher education %
            st.floats(5, 1500),  # km²
        ),
        min_size=2,
        max_size=30,
    )
)
def test_multimorbid_stays_within_chronic_for_any_municipalities(rows: list[Any]) -> None:
    """Whatever the age structure and deprivation, the estimate keeps the multimorbid a
    subset of the chronically ill, in every municipality (the rule the weights rely on)."""
    bands = pd.DataFrame([r[0] for r in rows], columns=list(estimates.BANDS), dtype=float)
    frame = bands.assign(
        population=bands.sum(axis=1),
        unemployment_pct=[r[1] for r in rows],
        avg_disposable_income_dkk=[r[2] for r in rows],
        higher_education_pct=[r[3] for r in rows],
        area_km2=[r[4] for r in rows],
    )
    assume(frame["population"].min() > 0)
    found = estimates.drivers(frame)
    chronic, multimorbid = found["chronic"][0], found["multimorbid"][0]
    assert (multimorbid >= 0).all()
    assert (multimorbid <= chronic + 1e-9).all()
