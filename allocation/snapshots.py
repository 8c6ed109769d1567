"""A run's engine inputs as plain JSON columns, and back.

The snapshot keeps the columns the engine reads (its normalised frames, in their order),
one JSON list per column, so a run's inputs cost one row and rebuild to frames whose
``inputs_hash`` is the run's own. JSON carries a float64 exactly (shortest repr), so
nothing is rounded on the way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from allocation.engine import EngineInputs
from allocation.engine.inputs import (
    AGE_BAND_COLUMNS,
    DOCTOR_COLUMNS,
    MUNICIPALITY_COLUMNS,
    PRACTICE_COLUMNS,
)

# 2 adds the population projection; a version 1 snapshot (before it) has none.
SNAPSHOT_VERSION = 2


def _columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {c: frame[c].to_numpy().tolist() for c in columns}


def inputs_to_frames(inputs: EngineInputs) -> dict[str, Any]:
    munis = inputs.municipalities
    return {
        "version": SNAPSHOT_VERSION,
        "municipalities": {
            "kommunekode": munis.index.to_numpy().tolist(),
            **_columns(munis, ("name", *MUNICIPALITY_COLUMNS)),
        },
        "practices": _columns(inputs.practices, PRACTICE_COLUMNS),
        "doctors": _columns(inputs.doctors, DOCTOR_COLUMNS),
        # Each geography is normalised to municipality order: its areas are enough.
        "geographies": {
            slug: series.to_numpy().tolist() for slug, series in inputs.geographies.items()
        },
        "area_names": {g: dict(names) for g, names in inputs.area_names.items()},
        "projection": _projection(inputs),
    }


def _projection(inputs: EngineInputs) -> dict[str, list[Any]] | None:
    """Long columns kommunekode, year, band, value, as EngineInputs takes them back."""
    if not inputs.projection_years:
        return None
    codes = inputs.municipalities.index.to_numpy().tolist()
    # A year's rows: each municipality's bands in turn (the bands array read row by row).
    per_year = len(codes) * len(AGE_BAND_COLUMNS)
    code_of_row = [code for code in codes for _band in AGE_BAND_COLUMNS]
    out: dict[str, list[Any]] = {"kommunekode": [], "year": [], "band": [], "value": []}
    for year in inputs.projection_years:
        bands = inputs.projected_bands(year)
        assert bands is not None
        out["kommunekode"] += code_of_row
        out["year"] += [year] * per_year
        out["band"] += list(AGE_BAND_COLUMNS) * len(codes)
        out["value"] += np.asarray(bands, dtype=np.float64).ravel().tolist()
    return out


def inputs_from_frames(frames: dict[str, Any]) -> EngineInputs:
    if frames.get("version") not in (1, SNAPSHOT_VERSION):
        raise ValueError(f"unknown inputs snapshot version {frames.get('version')!r}")
    munis = dict(frames["municipalities"])
    codes = pd.Index(munis.pop("kommunekode"), name="kommunekode")
    return EngineInputs(
        municipalities=pd.DataFrame(munis, index=codes),
        practices=pd.DataFrame(frames["practices"]),
        doctors=pd.DataFrame(frames["doctors"]),
        geographies={
            slug: pd.Series(areas, index=codes) for slug, areas in frames["geographies"].items()
        },
        area_names=frames["area_names"],
        projection=pd.DataFrame(projection) if (projection := frames.get("projection")) else None,
    )
