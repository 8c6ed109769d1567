"""Metrics before and after the new capacities (docs/model.md#metrics).

Definitions:

- load: disease-weighted citizens per capacity at the horizon, W / S ("before") and
  W / (S + all new capacities) ("after"). A municipality with demand and no supply has an
  infinite load: it is listed in `without_supply`, counts as above the norm, and is left
  out of the largest and 90th-percentile load (which would otherwise just say "infinite").
- p90_load: 90th percentile over municipalities (linear interpolation, unweighted).
- above norm: municipalities with load > list_norm, and the citizens (population) living
  in them.
- gini: Gini coefficient of capacities per weighted citizen across municipalities, each
  municipality weighted by its weighted citizens (so it describes citizens, not towns).
- open_share: projected share of practices open to new patients. A practice counts as
  open when its listed patients per capacity are below OPEN_LIST_SIZE (a practice may close
  at 1,600, docs/model.md#sources). "before" uses the capacities at the horizon; "after"
  adds the placed capacities, and new ydernumre (no listed patients yet) count as open
  practices. Listed patients are held at today's numbers: the projection shows what the
  capacities alone do.
  `open_share_observed` is today's reported status. The target is 70 % open by 2030
  (docs/model.md#sources).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .apportion import FloatArray

OPEN_LIST_SIZE = 1600.0
OPEN_SHARE_TARGET = 0.70
OPEN_SHARE_TARGET_YEAR = 2030


def gini(values: FloatArray, weights: FloatArray) -> float:
    """Weighted Gini coefficient (0 = equal, 1 = all in one place) of non-negative values."""
    keep = weights > 0
    x, w = values[keep], weights[keep]
    if len(x) == 0 or (x * w).sum() <= 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    pop = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    lorenz = np.concatenate([[0.0], np.cumsum(x * w) / (x * w).sum()])
    return float(1.0 - np.sum(np.diff(pop) * (lorenz[1:] + lorenz[:-1])))


def load_metrics(
    weighted: FloatArray,
    capacities: FloatArray,
    population: FloatArray,
    codes: np.ndarray,
    list_norm: float,
) -> dict[str, Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(capacities > 0, weighted / capacities, np.where(weighted > 0, np.inf, 0))
        per_citizen = np.where(weighted > 0, capacities / weighted, 0.0)
    finite = np.isfinite(load)
    above = load > list_norm
    return {
        "max_load": float(load[finite].max()) if finite.any() else None,
        "p90_load": float(np.percentile(load[finite], 90)) if finite.any() else None,
        "municipalities_above_norm": int(above.sum()),
        "citizens_above_norm": float(population[above].sum()),
        "gini_capacity_per_weighted_citizen": gini(per_citizen, weighted),
        "without_supply": [int(c) for c in codes[~finite]],
    }


def open_share(listed: FloatArray, capacities: FloatArray, extra_open: int = 0) -> float | None:
    """Share of practices with listed patients per capacity below OPEN_LIST_SIZE."""
    with np.errstate(divide="ignore", invalid="ignore"):
        is_open = (capacities > 0) & (listed < OPEN_LIST_SIZE * capacities)
    n = len(listed) + extra_open
    return float((is_open.sum() + extra_open) / n) if n else None
