"""Phase-in 2026-2035 (docs/model.md#phase-in): new capacities per year, pillar and municipality.

Two house-monotone orders make cumulative allocations never shrink:

1. The year's pipeline is split over the pillars by Sainte-Laguë on the pillar totals
   (700 / 600 / 200), applied to the *cumulative* pipeline: the split after year y is the
   Sainte-Laguë apportionment of all capacities available by y. Sainte-Laguë is
   house-monotone, so each pillar's cumulative count never falls, and at the horizon every
   pillar gets exactly its total (its quota is then a whole number).
2. Within a pillar, the capacities it receives by year y are the first ones of the pillar's
   order of single capacities: the coverage order (load W / (S + c), highest first) or the
   divisor order of the proportional pillar (Sainte-Laguë order for Hamilton results, which
   have no order of their own; Hamilton is never re-run per year because of the Alabama
   paradox). Ties: lowest kommunekode first.

With coverage caps the cumulative coverage in a municipality by year y may not exceed
cap x (years elapsed): each year takes the first capacities of the coverage order that fit,
and unused recruitment room carries over to later years.
"""

from __future__ import annotations

import numpy as np

from .apportion import FloatArray, IntArray, top_n
from .params import ParamsError


def split_pipeline(pillar_totals: IntArray, pipeline: IntArray) -> IntArray:
    """(Y, P) new capacities per year and pillar; each column sums to its pillar total."""
    totals = np.asarray(pillar_totals, dtype=np.float64)
    years, pillars = len(pipeline), len(totals)
    cumulative = np.cumsum(np.asarray(pipeline, dtype=np.int64))
    cum = top_n(
        np.tile(totals, years),
        np.full(years * pillars, 0.5),
        cumulative,
        caps=np.tile(totals, years),
        groups=np.repeat(np.arange(years), pillars),
    ).reshape(years, pillars)
    return np.diff(cum, axis=0, prepend=0)


def phase(
    owners: IntArray,
    budgets: IntArray,
    n_owners: int,
    bounds: FloatArray | None = None,
    *,
    years: tuple[int, ...] = (),
) -> IntArray:
    """(Y, M) new capacities per year from an ordered sequence of single capacities.

    owners: the municipality of each capacity, in priority order; budgets: how many of them
    each year; bounds: optional (Y, M) cumulative maximum per municipality by each year.
    """
    seq = np.asarray(owners, dtype=np.int64)
    budget = np.asarray(budgets, dtype=np.int64)
    n_years = len(budget)
    if bounds is None:
        year_of = np.searchsorted(np.cumsum(budget), np.arange(len(seq)), side="right")
        flat = np.bincount(year_of * n_owners + seq, minlength=n_years * n_owners)
        return flat.reshape(n_years, n_owners)

    # Rank of each capacity within its municipality: it may be taken in year y only while
    # the municipality's cumulative count stays within bounds[y].
    rank = _rank_within(seq, n_owners)
    taken = np.zeros(len(seq), dtype=bool)
    out = np.zeros((n_years, n_owners), dtype=np.int64)
    for y in range(n_years):
        fits = ~taken & (rank < bounds[y, seq])
        pick = fits & (np.cumsum(fits) <= budget[y])
        got = int(pick.sum())
        if got < budget[y]:
            label = years[y] if years else y
            raise ParamsError(
                "caps",
                f"in {label} the caps leave room for {got} of the {int(budget[y])} coverage "
                "capacities due that year",
            )
        taken |= pick
        out[y] = np.bincount(seq[pick], minlength=n_owners)
    return out


def _rank_within(seq: IntArray, n_owners: int) -> IntArray:
    """0 for an owner's first capacity in the sequence, 1 for its second, ..."""
    order = np.argsort(seq, kind="stable")
    counts = np.bincount(seq, minlength=n_owners)
    starts = np.cumsum(counts) - counts
    rank = np.empty(len(seq), dtype=np.int64)
    rank[order] = np.arange(len(seq)) - np.repeat(starts, counts)
    return rank
