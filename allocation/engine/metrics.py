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
- open_share: projected share of practices open to new patients, with lists grown with
  need and a flat or need-based closing threshold: see engine.openshare. "before" uses the
  capacities at the horizon; "after" adds the placed capacities (with their list relief);
  `open_share_2030` is "after" in 2030, the target's year, and the P5-P95 range comes from
  the sensitivity draws. `open_share_observed` is today's reported status. The target is
  70 % open by 2030 (docs/model.md#sources).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .apportion import FloatArray

OPEN_SHARE_TARGET = 0.70


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
