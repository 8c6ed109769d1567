"""The statutory model as the reference (docs/model.md#the-statutory-reference).

Since 1 July 2025 the whole stock of GP capacities is to be distributed in proportion to
disease-weighted citizens, binding per area (from 2027 the 17 health councils). The
reference here: the whole stock at the horizon, today's capacities plus the scenario's new
ones, apportioned over the areas of a geography in proportion to W at the horizon.

Hamilton (largest remainder) apportions it: the reference is computed once for the horizon
and never phased in, so house monotonicity (the reason the pillars use divisor methods) is
not needed, and Hamilton is the one method that keeps every area within one capacity of its
exact quota (the quota rule), which is what "in proportion to W" promises. Sainte-Laguë can
miss the quota by more for a large area.
"""

from __future__ import annotations

import numpy as np

from .apportion import FloatArray, IntArray, hamilton


def statutory_stock(capacities_today: float, new_capacities: int) -> int:
    """The whole stock in whole capacities: today's (rounded; a part-time capacity counts
    by its FTE) plus the new ones."""
    return round(capacities_today) + int(new_capacities)


def statutory_shares(weighted: FloatArray, stock: int) -> IntArray:
    """Each area's statutory share of `stock`, in proportion to its W (Hamilton; equal
    remainders go to the area listed first). Adds up to `stock` exactly."""
    w = np.asarray(weighted, dtype=np.float64)
    if stock <= 0:
        return np.zeros(len(w), dtype=np.int64)
    return hamilton(w[None, :], np.array([stock]))[0]
