"""Placement (DESIGN.md §4.9): which ydernummer each new capacity goes to.

Rules, applied per municipality to its new capacities in time order (year, then pillar
transition / coverage / accessibility, then the pillar's own order):

- A capacity expands the existing practice with the most listed patients per capacity
  (listed / (capacities at the horizon + capacities already added)) among those that stay
  within `max_practice_capacities` after the addition. The load is recomputed after every
  addition, so capacities spread over the most loaded practices (water-filling). Equal
  loads go to the lower ydernummer.
- When no existing practice has room, a new ydernummer NEW-<kommunekode>-<n> is opened and
  filled up to the maximum size before the next one is opened (a new practice with room is
  then the only practice with room). Its first capacity has kind 'new', later ones
  'expansion'.

All of this runs as one grouped divisor solve over the practices (`apportion.top_n` with
base = capacities), no loop over practices or municipalities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .apportion import FloatArray, IntArray, priority, top_n
from .params import PILLARS


def place(
    *,
    new: IntArray,
    years: tuple[int, ...],
    codes: IntArray,
    names: np.ndarray,
    ydernumre: np.ndarray,
    practice_municipality: IntArray,
    practice_capacities: FloatArray,
    listed: FloatArray,
    max_capacities: float,
) -> tuple[pd.DataFrame, IntArray]:
    """new: (Y, P, M) new capacities per year, pillar and municipality position.

    Practices must be sorted by (municipality, ydernummer). Returns one row per capacity,
    and the capacities added to each existing practice.
    """
    n_years, n_pillars, n_m = new.shape
    # One row per new capacity, ordered by municipality, then year, then pillar.
    per_cell = np.transpose(new, (2, 0, 1)).ravel()  # (M, Y, P) order
    cell = np.repeat(np.arange(per_cell.size), per_cell)
    muni = cell // (n_years * n_pillars)
    year_idx = (cell // n_pillars) % n_years
    pillar_idx = cell % n_pillars
    per_m = np.bincount(muni, minlength=n_m)
    start_m = np.cumsum(per_m) - per_m
    rank = np.arange(len(cell)) - start_m[muni]

    room = np.maximum(0.0, np.floor(max_capacities - practice_capacities + 1e-9))
    room_m = np.bincount(practice_municipality, weights=room, minlength=n_m)
    expand_m = np.minimum(per_m, room_m).astype(np.int64)
    added = top_n(
        listed,
        practice_capacities,
        expand_m,
        caps=room,
        groups=practice_municipality,
    )
    # The expansions in the order they are made: per municipality by load, highest first.
    p_owner = np.repeat(np.arange(len(added)), added)
    p_start = np.cumsum(added) - added
    p_c = np.arange(len(p_owner)) - p_start[p_owner]
    p_load = priority(listed[p_owner], practice_capacities[p_owner], p_c.astype(np.float64))
    order = np.lexsort((p_c, p_owner, -p_load, practice_municipality[p_owner]))
    p_owner, p_c, p_load = p_owner[order], p_c[order], p_load[order]

    is_exp = rank < expand_m[muni]
    n_rows = len(cell)
    ydernummer = np.empty(n_rows, dtype=object)
    kind = np.empty(n_rows, dtype=object)
    cap_before = np.empty(n_rows)
    load_before = np.full(n_rows, np.nan)

    ydernummer[is_exp] = ydernumre[p_owner]
    kind[is_exp] = "expansion"
    cap_before[is_exp] = practice_capacities[p_owner] + p_c
    load_before[is_exp] = p_load

    size = max(1, int(np.floor(max_capacities + 1e-9)))
    j = (rank - expand_m[muni])[~is_exp]
    number = j // size + 1
    within = j % size
    new_codes = codes[muni[~is_exp]]
    ydernummer[~is_exp] = (
        "NEW-" + pd.Series(new_codes).astype(str) + "-" + pd.Series(number).astype(str)
    ).to_numpy(dtype=object)
    kind[~is_exp] = np.where(within == 0, "new", "expansion")
    cap_before[~is_exp] = within

    reason = _reasons(
        ydernummer=ydernummer,
        kind=kind,
        existing=is_exp,
        names=names[muni],
        has_practices=np.bincount(practice_municipality, minlength=n_m)[muni] > 0,
        capacities_before=cap_before,
        load_before=load_before,
        max_capacities=max_capacities,
    )
    frame = pd.DataFrame(
        {
            "ydernummer": ydernummer,
            "kommunekode": codes[muni],
            "pillar": np.asarray(PILLARS, dtype=object)[pillar_idx],
            "year": np.asarray(years, dtype=np.int64)[year_idx],
            "kind": kind,
            "capacities_before": cap_before,
            "listed_per_capacity_before": load_before,
            "reason": reason,
        }
    )
    return frame, added


def _reasons(
    *,
    ydernummer: np.ndarray,
    kind: np.ndarray,
    existing: np.ndarray,
    names: np.ndarray,
    has_practices: np.ndarray,
    capacities_before: FloatArray,
    load_before: FloatArray,
    max_capacities: float,
) -> np.ndarray:
    """Reason text per placement row.

    One f-string per output row, one comprehension per kind of row: text cannot be
    vectorised further, and this is faster than pandas string arithmetic (which loops in
    Python too).
    """
    cap = f"{max_capacities:g}"
    out = np.empty(len(ydernummer), dtype=object)
    before = np.round(capacities_before, 2)
    rows = np.flatnonzero(existing)
    finite = np.isfinite(load_before[rows])
    load = np.where(finite, np.round(np.where(finite, load_before[rows], 0.0)), -1)
    out[rows] = [
        f"expansion of ydernummer {y}, the most loaded practice in {n} with room "
        f"({'∞' if ld < 0 else int(ld)} listed patients per capacity; {b:g} → {b + 1:g} "
        f"capacities, max {cap})"
        for y, n, ld, b in zip(
            ydernummer[rows].tolist(),
            names[rows].tolist(),
            load.tolist(),
            before[rows].tolist(),
            strict=True,
        )
    ]
    rows = np.flatnonzero(~existing & (kind == "new"))
    out[rows] = [
        f"new ydernummer {y} in {n}: "
        + (
            f"every practice there is at the maximum of {cap} capacities"
            if has
            else "there is no practice there"
        )
        for y, n, has in zip(
            ydernummer[rows].tolist(),
            names[rows].tolist(),
            has_practices[rows].tolist(),
            strict=True,
        )
    ]
    rows = np.flatnonzero(~existing & (kind != "new"))
    out[rows] = [
        f"expansion of the new ydernummer {y} ({b:g} → {b + 1:g} capacities, max {cap})"
        for y, b in zip(ydernummer[rows].tolist(), before[rows].tolist(), strict=True)
    ]
    return out
