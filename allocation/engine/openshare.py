"""The projected share of practices open to new patients (docs/model.md#the-open-share).

A practice counts as open in a year when its listed patients are below its closing
threshold times its capacities in that year:

- listed patients grow with need: a practice's list today times its municipality's growth
  of disease-weighted citizens, W[year] / W[base year]. The growth is the municipality's,
  so all its practices grow alike (nobody knows which practice its new patients choose);
- the closing threshold per capacity is `list_norm` everywhere ("flat", the former 1,600),
  or need-based: list_norm x (Denmark's W per citizen / the municipality's W per citizen),
  both in the same year. A municipality whose citizens need more than the average may close
  at fewer listed patients; Denmark's average threshold stays at the list norm. This is the
  national model's need-based minimum list (since 1 July 2025) with the municipality's
  average need standing in for the need of each practice's own patients, which the public
  data do not give;
- capacities: the practice's capacities in that year (retirements less the replaced share)
  plus the capacities placed in it by then, each counted with its pillar's list relief;
- a new ydernummer starts with an empty list and counts as open where its capacities
  relieve lists at all. The growth of the lists stays with the existing practices, so their
  projection is on the cautious side (patients who move to a new practice are not taken off
  the old lists).

All functions take a leading axis of draws (R) so the sensitivity analysis computes the open
share of every draw with the same arithmetic (R = 1 for the base run).
"""

from __future__ import annotations

import numpy as np

from .apportion import FloatArray

# The year of the government's target of 70 % of practices open (docs/model.md#sources).
OPEN_SHARE_TARGET_YEAR = 2030


def list_growth(weighted_base: FloatArray, weighted_year: FloatArray) -> FloatArray:
    """W[year] / W[base] per municipality ((R, M) or (M,)); 1 where there is no base need."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weighted_base > 0, weighted_year / weighted_base, 1.0)


def threshold_per_capacity(
    rule: str, list_norm: float, weighted: FloatArray, population: FloatArray
) -> FloatArray:
    """Listed patients per capacity at which a practice may close, per municipality.

    weighted and population of the same year, (R, M) or (M,). Need-based: list_norm x
    national W per citizen / the municipality's; list_norm where it has no citizens or no
    need (nothing to scale by).
    """
    w = np.atleast_2d(weighted)
    pop = np.broadcast_to(np.atleast_2d(population), w.shape)
    if rule == "flat":
        out = np.full(w.shape, float(list_norm))
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            national = w.sum(axis=1, keepdims=True) / pop.sum(axis=1, keepdims=True)
            local = w / pop
            out = np.where((pop > 0) & (w > 0), list_norm * national / local, float(list_norm))
    return out if np.ndim(weighted) == 2 else out[0]


def open_shares(
    listed: FloatArray,
    capacities: FloatArray,
    threshold: FloatArray,
    extra_open: FloatArray | int = 0,
) -> FloatArray:
    """(R,) share of practices open: per practice listed < threshold x capacities, (R, P)
    or (P,) each; `extra_open` (R,) or one number: new ydernumre, open and counted."""
    listed2, cap2, thr2 = np.broadcast_arrays(
        np.atleast_2d(listed), np.atleast_2d(capacities), np.atleast_2d(threshold)
    )
    is_open = (cap2 > 0) & (listed2 < thr2 * cap2)
    extra = np.broadcast_to(np.asarray(extra_open, dtype=np.float64), (len(cap2),))
    n = cap2.shape[1] + extra
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, (is_open.sum(axis=1) + extra) / n, np.nan)


def open_share(
    listed: FloatArray, capacities: FloatArray, threshold: FloatArray, extra_open: int = 0
) -> float | None:
    """The share for one scenario (see `open_shares`); None without any practice."""
    value = float(open_shares(listed, capacities, threshold, extra_open)[0])
    return value if np.isfinite(value) else None
