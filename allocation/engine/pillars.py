"""The three pillars for a batch of draws (docs/model.md#the-three-pillars).

Shared by the base run (one draw) and the sensitivity analysis (many draws), so both run the
same arithmetic. Order: the two proportional pillars first (they depend only on their
driver indices), then coverage, which also meets the area floors that the other two leave
short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .apportion import FloatArray, IntArray, apportion
from .coverage import coverage
from .params import AllocationParams


@dataclass(frozen=True)
class PillarCounts:
    transition: IntArray  # (R, M)
    coverage: IntArray
    accessibility: IntArray

    @property
    def total(self) -> IntArray:
        return np.asarray(self.transition + self.coverage + self.accessibility, dtype=np.int64)


def allocate_pillars(
    *,
    weighted: FloatArray,
    supply: FloatArray,
    transition_index: FloatArray,
    accessibility_index: FloatArray,
    params: AllocationParams,
    areas: IntArray,
    n_areas: int,
    caps_total: FloatArray,
    floors: FloatArray,
) -> PillarCounts:
    """weighted, supply and the indices are (R, M); caps_total (M,) is the cap over the whole
    period (inf = none); floors (n_areas,) the least new capacities per area."""
    rows = weighted.shape[0]
    trans = apportion(transition_index, params.transition, params.transition_method)
    acc = apportion(accessibility_index, params.accessibility, params.accessibility_method)
    floor_need = None
    if floors.any():
        cell = (np.arange(rows)[:, None] * n_areas + areas[None, :]).ravel()
        have = np.bincount(cell, weights=(trans + acc).ravel(), minlength=rows * n_areas)
        floor_need = np.maximum(0, floors[None, :] - have.reshape(rows, n_areas)).astype(np.int64)
    cov = coverage(
        weighted,
        supply,
        np.full(rows, params.coverage, dtype=np.int64),
        method=params.coverage_method,
        list_norm=params.list_norm,
        areas=areas,
        n_areas=n_areas,
        caps=caps_total,
        floor_need=floor_need,
    )
    return PillarCounts(transition=trans, coverage=cov, accessibility=acc)
