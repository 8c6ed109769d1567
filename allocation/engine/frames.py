"""Helpers shared by the base run (`run`) and the sensitivity analysis (`sensitivity`).

- the scenario's parameters checked against the data, and turned into arrays in
  municipality order (area of each municipality, caps over the period, floors per area);
- frames and dicts made JSON-safe for `to_dict` and the callers that store results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .inputs import EngineInputs, rows_in
from .params import AllocationParams, ParamsError


def check_against_inputs(inputs: EngineInputs, params: AllocationParams) -> None:
    """Parameters that refer to the data: geography, caps and floors."""
    if params.geography not in inputs.geographies:
        raise ParamsError(
            "geography",
            f"unknown geography {params.geography!r}; known: "
            f"{', '.join(sorted(inputs.geographies))}",
        )
    if params.statutory_geography not in inputs.geographies:
        raise ParamsError(
            "statutory_geography",
            f"unknown geography {params.statutory_geography!r}; known: "
            f"{', '.join(sorted(inputs.geographies))}",
        )
    unknown_caps = sorted(set(params.caps) - set(inputs.municipalities.index))
    if unknown_caps:
        raise ParamsError("caps", f"unknown kommunekode {unknown_caps[0]}")
    areas = set(inputs.geographies[params.geography])
    unknown_floors = sorted(set(params.floors) - areas)
    if unknown_floors:
        raise ParamsError(
            "floors", f"unknown area {unknown_floors[0]!r} in geography {params.geography}"
        )
    if sum(params.floors.values()) > params.total:
        raise ParamsError("floors", f"the floors add up to more than the total {params.total}")


def area_codes(inputs: EngineInputs, geography: str) -> tuple[np.ndarray, list[str]]:
    """Area position per municipality (in municipality order) and the sorted area slugs."""
    series = inputs.geographies[geography]
    slugs = sorted(set(series))
    lookup = {s: i for i, s in enumerate(slugs)}
    return np.array([lookup[s] for s in series.to_numpy()], dtype=np.int64), slugs


def caps_per_year(inputs: EngineInputs, params: AllocationParams) -> np.ndarray:
    """Most new coverage capacities per municipality and year (inf = none).

    The recruitment rule (docs/model.md#caps-and-floors): ceil(recruitment_rate x capacities
    today), at least recruitment_min; an explicit cap in `caps` replaces it.
    """
    out = np.full(len(inputs.municipalities), np.inf)
    if params.recruitment_rate > 0:
        today = np.bincount(
            inputs.practice_municipality,
            weights=inputs.practices["capacities"].to_numpy(np.float64),
            minlength=len(out),
        )
        # The epsilon keeps 10 % of 20 at 2, not 3 from a floating-point 2.0000000000000004.
        out = np.maximum(
            float(params.recruitment_min), np.ceil(params.recruitment_rate * today - 1e-9)
        )
    if params.caps:
        where = rows_in(inputs.codes, np.array(list(params.caps), dtype=np.int64))
        out[where] = np.array(list(params.caps.values()), dtype=np.float64)
    return out


def caps_total(inputs: EngineInputs, params: AllocationParams) -> np.ndarray:
    """Cap per municipality over the whole period (cap per year x years; inf = none)."""
    return caps_per_year(inputs, params) * len(params.years)


def floors_by_area(params: AllocationParams, slugs: list[str]) -> np.ndarray:
    return np.array([params.floors.get(s, 0) for s in slugs], dtype=np.float64)


_PLAIN: frozenset[type] = frozenset({str, int, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Dicts, lists and scalars as JSON takes them: non-finite numbers and pd.NA become
    None, numpy scalars Python ones, keys strings."""
    if type(value) in _PLAIN:  # most leaves: nothing to convert
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON-safe dict per row; missing values become None."""
    cols = list(frame.columns)
    cells = [_cells(frame[c]) for c in cols]
    return [dict(zip(cols, row, strict=True)) for row in zip(*cells, strict=True)]


def _cells(column: pd.Series) -> list[Any]:
    """A column's values made JSON-safe (see `records`)."""
    dtype = getattr(column, "dtype", None)
    if isinstance(column, pd.Series) and isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        # Numbers: tolist() gives the Python scalars json_safe would; only a float can be
        # missing or infinite, and those become None.
        values = column.to_numpy()
        cells: list[Any] = values.tolist()
        if dtype.kind == "f" and not np.isfinite(values).all():
            cells = [v if math.isfinite(v) else None for v in cells]
        return cells
    # to_numpy(dtype=object) gives the cells astype(object) would, without building a Series.
    return [json_safe(None if _missing(v) else v) for v in column.to_numpy(dtype=object)]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
