"""The coverage pillar (docs/model.md#coverage): where the 600 go to relieve the heaviest lists.

All functions work on a batch of draws: W and S are (R, M), n is (R,), results are (R, M)
integer counts. Caps are cumulative caps per municipality over the whole period
(cap per year x years), inf where there is none.

- `minmax`: each capacity goes to the municipality with the highest load W / (S + c);
  equal loads go to the lowest kommunekode. This is Adams' divisor method with S as floors
  (base S in `apportion.top_n`); it minimises the largest load, and its order of single
  capacities is house-monotone. Capped municipalities are skipped once full.
- `deficit`: the deficit against the list norm, max(0, W/norm - S), is apportioned by
  Sainte-Laguë (at most the whole deficit, rounded down), the rest by min-max on top of it.
- `proportional_new`: the coverage pillar's new capacities per area in proportion to the
  areas' W (Sainte-Laguë over areas), then min-max within each area. Only the new
  capacities are split this way; the statutory model, which distributes the whole stock in
  proportion to W, is the reference every run is measured against (engine/statutory.py).

Floors per area are met first, by min-max inside the area; the method then places the rest
with the reserved capacities counted as supply.
"""

from __future__ import annotations

import numpy as np

from .apportion import FloatArray, InfeasibleError, IntArray, top_n
from .params import ParamsError


def _rows(x: FloatArray) -> FloatArray:
    return x if x.ndim == 2 else x[None, :]


def _caps(caps: FloatArray | None, shape: tuple[int, int]) -> FloatArray:
    if caps is None:
        return np.full(shape, np.inf)
    return np.broadcast_to(np.asarray(caps, dtype=np.float64), shape).copy()


def minmax(
    weighted: FloatArray,
    supply: FloatArray,
    n: IntArray | int,
    caps: FloatArray | None = None,
    groups: IntArray | None = None,
) -> IntArray:
    """Min-max water-filling of n[r] capacities per row (or per group of `groups`).

    `groups` (R, M) puts municipalities of a row into separate pools, each with its own n;
    rows are always separate pools.
    """
    w, s = _rows(weighted), _rows(supply)
    rows, cols = w.shape
    cap = _caps(caps, w.shape)
    if groups is None:
        grp = np.repeat(np.arange(rows), cols)
    else:
        grp = np.asarray(groups, dtype=np.int64).ravel()
    counts = top_n(w.ravel(), s.ravel(), np.atleast_1d(n), caps=cap.ravel(), groups=grp)
    return counts.reshape(rows, cols)


def deficit(
    weighted: FloatArray,
    supply: FloatArray,
    n: IntArray,
    list_norm: float,
    caps: FloatArray | None = None,
) -> IntArray:
    w, s = _rows(weighted), _rows(supply)
    rows, cols = w.shape
    cap = _caps(caps, w.shape)
    gap = np.maximum(0.0, w / list_norm - s)
    first = np.minimum(np.asarray(n, dtype=np.float64), np.floor(gap.sum(axis=1)))
    part = top_n(
        gap.ravel(),
        np.full(rows * cols, 0.5),
        first,
        caps=cap.ravel(),
        groups=np.repeat(np.arange(rows), cols),
    ).reshape(rows, cols)
    rest = minmax(w, s + part, np.asarray(n) - part.sum(axis=1), cap - part)
    return part + rest


def proportional_new(
    weighted: FloatArray,
    supply: FloatArray,
    n: IntArray,
    areas: IntArray,
    n_areas: int,
    caps: FloatArray | None = None,
) -> IntArray:
    w, s = _rows(weighted), _rows(supply)
    rows, cols = w.shape
    cap = _caps(caps, w.shape)
    cell = (np.arange(rows)[:, None] * n_areas + areas[None, :]).ravel()
    area_w = np.bincount(cell, weights=w.ravel(), minlength=rows * n_areas)
    area_cap = np.bincount(cell, weights=cap.ravel(), minlength=rows * n_areas)
    per_area = top_n(
        area_w,
        np.full(rows * n_areas, 0.5),
        np.atleast_1d(n),
        caps=area_cap,
        groups=np.repeat(np.arange(rows), n_areas),
    )
    return minmax(w, s, per_area, cap, groups=cell.reshape(rows, cols))


def coverage(
    weighted: FloatArray,
    supply: FloatArray,
    n: IntArray,
    *,
    method: str,
    list_norm: float,
    areas: IntArray,
    n_areas: int,
    caps: FloatArray | None = None,
    floor_need: IntArray | None = None,
) -> IntArray:
    """The coverage pillar for a batch of draws; floor_need is (R, n_areas)."""
    w, s = _rows(weighted), _rows(supply)
    rows, cols = w.shape
    cap = _caps(caps, w.shape)
    need_n = np.broadcast_to(np.asarray(n, dtype=np.int64), (rows,))
    reserved = np.zeros((rows, cols), dtype=np.int64)
    try:
        if floor_need is not None and floor_need.any():
            short = floor_need.sum(axis=1) > need_n
            if short.any():
                raise ParamsError(
                    "floors",
                    f"the floors need {int(floor_need.sum(axis=1)[short][0])} coverage "
                    f"capacities beyond the other pillars, but coverage has {int(need_n[0])}",
                )
            cell = np.arange(rows)[:, None] * n_areas + areas[None, :]
            try:
                reserved = minmax(w, s, floor_need.ravel(), cap, groups=cell)
            except InfeasibleError as err:
                raise ParamsError(
                    "floors",
                    f"an area's caps leave room for {err.room}, its floor needs {err.required}",
                ) from None
        rest_n = need_n - reserved.sum(axis=1)
        s2, cap2 = s + reserved, cap - reserved
        if method == "minmax":
            rest = minmax(w, s2, rest_n, cap2)
        elif method == "deficit":
            rest = deficit(w, s2, rest_n, list_norm, cap2)
        elif method == "proportional-new":
            rest = proportional_new(w, s2, rest_n, areas, n_areas, cap2)
        else:
            raise ParamsError("coverage_method", f"unknown method {method!r}")
    except InfeasibleError as err:
        raise ParamsError(
            "caps",
            f"the caps leave room for {err.room} coverage capacities, {err.required} are "
            "to be placed",
        ) from None
    return reserved + rest
