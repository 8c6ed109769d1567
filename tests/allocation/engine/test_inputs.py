"""EngineInputs validation: clear messages naming the column and the row."""

from __future__ import annotations

import pandas as pd
import pytest

from allocation.engine import EngineInputs

from .builders import small_inputs


@pytest.fixture
def good() -> EngineInputs:
    return small_inputs([1000.0, 2000.0, 3000.0], [[1.0, 2.0], [], [3.0]])


def rebuild(base: EngineInputs, **frames: object) -> EngineInputs:
    parts = {
        "municipalities": base.municipalities.copy(),
        "practices": base.practices.copy(),
        "doctors": base.doctors.copy(),
        "geographies": dict(base.geographies),
    }
    parts.update(frames)
    return EngineInputs(**parts)


def test_inputs_are_normalised(good: EngineInputs) -> None:
    shuffled = good.municipalities.iloc[::-1]
    inputs = rebuild(good, municipalities=shuffled)
    assert inputs.municipalities.index.tolist() == [101, 102, 103]
    assert inputs.practices["kommunekode"].is_monotonic_increasing


def test_negative_value_names_column_and_kommunekode(good: EngineInputs) -> None:
    muni = good.municipalities.copy()
    muni.loc[102, "chronic"] = -5
    with pytest.raises(ValueError, match="column chronic is negative for kommunekode 102"):
        rebuild(good, municipalities=muni)


def test_missing_column_is_named(good: EngineInputs) -> None:
    with pytest.raises(ValueError, match=r"missing column.*psychiatric"):
        rebuild(good, municipalities=good.municipalities.drop(columns="psychiatric"))


def test_unknown_kommunekode_in_practices_is_named(good: EngineInputs) -> None:
    practices = good.practices.copy()
    practices.loc[0, "kommunekode"] = 999
    with pytest.raises(ValueError, match="practices: unknown kommunekode 999"):
        rebuild(good, practices=practices)


def test_zero_capacities_are_rejected_with_the_ydernummer(good: EngineInputs) -> None:
    practices = good.practices.copy()
    practices.loc[1, "capacities"] = 0
    yder = practices.loc[1, "ydernummer"]
    with pytest.raises(ValueError, match=f"capacities must be > 0 \\(ydernummer {yder}\\)"):
        rebuild(good, practices=practices)


def test_doctor_of_an_unknown_practice_is_rejected(good: EngineInputs) -> None:
    doctors = good.doctors.copy()
    doctors.loc[0, "ydernummer"] = "nope"
    with pytest.raises(ValueError, match="doctors: unknown ydernummer nope"):
        rebuild(good, doctors=doctors)


def test_broken_partition_is_rejected(good: EngineInputs) -> None:
    geo = {"g": pd.Series(["a", "b"], index=[101, 102])}
    with pytest.raises(ValueError, match="geography g: kommunekode 103 is in no area"):
        rebuild(good, geographies=geo)
    geo = {"g": pd.Series(["a", "b", "c", "d"], index=[101, 102, 103, 104])}
    with pytest.raises(ValueError, match="geography g: unknown kommunekode 104"):
        rebuild(good, geographies=geo)
    geo = {"g": pd.Series(["a", "b", "c", "d"], index=[101, 102, 103, 103])}
    with pytest.raises(ValueError, match="kommunekode 103 is in two areas"):
        rebuild(good, geographies=geo)


def test_municipality_without_practices_is_allowed(good: EngineInputs) -> None:
    assert 102 not in set(good.practices["kommunekode"])
