"""Slow, obviously-correct references the engine is checked against."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence

import numpy as np


def item_priority(v: float, base: float, c: int) -> float:
    """The engine's documented convention, written out by hand."""
    if v <= 0:
        return 0.0
    denom = base + c
    return math.inf if denom <= 0 else v / denom


def greedy(
    values: Sequence[float],
    bases: Sequence[float],
    n: int,
    caps: Sequence[float] | None = None,
) -> list[int]:
    """Deal n capacities one at a time to the highest priority; ties to the lower index."""
    caps = caps if caps is not None else [math.inf] * len(values)
    counts = [0] * len(values)
    heap = [
        (-item_priority(v, b, 0), i)
        for i, (v, b) in enumerate(zip(values, bases, strict=True))
        if caps[i] > 0
    ]
    heapq.heapify(heap)
    for _ in range(n):
        if not heap:
            raise ValueError("caps leave too little room")
        _, i = heapq.heappop(heap)
        counts[i] += 1
        if counts[i] < caps[i]:
            heapq.heappush(heap, (-item_priority(values[i], bases[i], counts[i]), i))
    return counts


def compositions(n: int, parts: int, caps: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every way to write n as an ordered sum of `parts` terms within the caps."""
    if parts == 1:
        if n <= caps[0]:
            yield (n,)
        return
    for first in range(min(n, caps[0]) + 1):
        for rest in compositions(n - first, parts - 1, caps[1:]):
            yield (first, *rest)


def max_load(weighted: Sequence[float], supply: Sequence[float], counts: Sequence[int]) -> float:
    out = 0.0
    for w, s, c in zip(weighted, supply, counts, strict=True):
        if w <= 0:
            continue
        out = max(out, math.inf if s + c <= 0 else w / (s + c))
    return out


def brute_force_minmax(
    weighted: Sequence[float], supply: Sequence[float], n: int, caps: Sequence[int]
) -> float:
    return min(max_load(weighted, supply, c) for c in compositions(n, len(weighted), list(caps)))


def highs_minmax(
    weighted: np.ndarray, supply: np.ndarray, n: int, caps: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """min max W/(S+c) over whole 0 <= c <= caps with sum n, as a MILP solved by HiGHS.

    Maximise y = 1/load subject to W_m y - c_m <= S_m: linear, one integer per
    municipality. y is scaled by a lower bound on the optimal load so that HiGHS's absolute
    tolerances are small against it. Returns the optimal largest load and the counts.
    """
    # scipy takes about a second to import: only the tests that call this function pay it,
    # not every worker that collects this module.
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    m = len(weighted)
    scale = weighted.sum() / (supply.sum() + n)
    objective = np.zeros(m + 1)
    objective[0] = -1.0
    rows = sp.hstack([sp.csr_matrix((weighted / scale)[:, None]), -sp.identity(m)]).tocsr()
    total = sp.csr_matrix(np.r_[0.0, np.ones(m)][None, :])
    result = milp(
        objective,
        constraints=[LinearConstraint(rows, -np.inf, supply), LinearConstraint(total, n, n)],
        integrality=np.r_[0, np.ones(m)],
        bounds=Bounds(
            np.zeros(m + 1),
            np.r_[np.inf, np.minimum(n, np.inf if caps is None else caps)],
        ),
        options={"mip_rel_gap": 0.0},
    )
    assert result.status == 0, result.message
    counts = np.round(result.x[1:]).astype(np.int64)
    return scale / -result.fun, counts
