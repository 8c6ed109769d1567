"""Whole capacities: one grouped divisor solver, Hamilton, and the priority order.

Every divisor method used by the engine is the same problem. Each *owner* i (a municipality,
an area, a practice) has a queue of single capacities; the next capacity of an owner that
already holds c of them has the priority

    v_i / (base_i + c)        c = 0, 1, 2, ...

and n capacities are dealt one at a time to the highest priority. The bases give the methods:

- Sainte-Laguë: base 0.5 (divisors 0.5, 1.5, 2.5, ...);
- D'Hondt: base 1 (divisors 1, 2, 3, ...);
- Adams with floors S (min-max water-filling): base S, so the priority is the load
  W / (S + c) that the capacity relieves.

Conventions (documented tie-breaks, relied on by the tests):

- v = 0 gives priority 0, even when the divisor is 0: nothing to relieve.
- v > 0 with divisor 0 (no supply at all) gives +inf: unbounded load goes first.
- Equal priorities go to the owner with the lower index (callers sort owners by kommunekode
  or ydernummer, so "lowest kommunekode first"), and within an owner to its earlier capacity.
- An owner never receives more than its cap.

Because the order of single capacities is fixed by (priority desc, owner, c), the first n
capacities of the order are the allocation for n, for every n: divisor methods are
house-monotone, and raising one owner's v raises all of its priorities, so its allocation
never falls (population monotonicity).

`top_n` computes the allocation without dealing capacities one by one. A continuous
relaxation (a piecewise-linear function of 1/threshold, solved exactly from sorted
breakpoints) brackets the n-th priority between two thresholds whose exact counts differ by
at most about twice the number of owners; only the capacities between them are sorted. The
result is identical to the one-at-a-time greedy (tests compare them), and the cost is
O(owners log owners) instead of O(n log owners), for many groups at once. A small problem
(a few thousand capacities within the caps) is solved by listing those capacities and
sorting them, which is the greedy itself and costs fewer numpy calls.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ProportionalMethod = Literal["sainte-lague", "hamilton", "dhondt"]
PROPORTIONAL_METHODS: tuple[str, ...] = ("sainte-lague", "hamilton", "dhondt")

DIVISOR_BASE: dict[str, float] = {"sainte-lague": 0.5, "dhondt": 1.0}


def order_base(method: str) -> float:
    """Divisor base used to order a pillar's capacities in time.

    Hamilton is not a divisor method; its result is phased in by the Sainte-Laguë order.
    """
    return DIVISOR_BASE.get(method, DIVISOR_BASE["sainte-lague"])


class InfeasibleError(ValueError):
    """The caps leave less room than the capacities to be placed."""

    def __init__(self, group: int, room: int, required: int) -> None:
        self.group = group
        self.room = room
        self.required = required
        super().__init__(f"only {room} capacities fit under the caps, {required} are to be placed")


def priority(values: FloatArray, bases: FloatArray, given: FloatArray) -> FloatArray:
    """Priority of the next capacity of owners holding `given` capacities."""
    denom = bases + given
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = values / denom
    return np.where(values > 0, np.where(denom > 0, p, np.inf), 0.0)


def _count_above(
    values: FloatArray, bases: FloatArray, caps: FloatArray, thresholds: FloatArray
) -> FloatArray:
    """Per owner, how many capacities have a priority strictly above the owner's threshold.

    The closed form ceil(v/t - base) is only an estimate in floating point; the correction
    loop makes the count agree exactly with `priority`, which the greedy reference also uses.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = values / thresholds - bases
    y = np.where(values > 0, y, 0.0)
    y = np.where(np.isnan(y), 0.0, y)  # inf/inf: threshold inf and an infinite priority
    count = np.minimum(np.maximum(np.ceil(y), 0.0), caps)
    for _ in range(4):
        up = (count < caps) & (priority(values, bases, count) > thresholds)
        down = (count > 0) & ~(priority(values, bases, count - 1) > thresholds)
        if not (up.any() or down.any()):
            return count
        count = count + up - down
    return _count_by_bisection(values, bases, caps, thresholds)


def _count_by_bisection(
    values: FloatArray, bases: FloatArray, caps: FloatArray, thresholds: FloatArray
) -> FloatArray:
    """Exact counts when the closed form is far off (extreme magnitudes): priorities fall
    with c, so bisect on c for every owner at once. Caps must be finite."""
    lo = np.zeros(len(values))  # priority(c) > t for all c < lo
    hi = caps.copy()  # ... and not for c >= hi
    while (lo < hi).any():
        mid = np.floor((lo + hi) / 2)
        above = (lo < hi) & (priority(values, bases, mid) > thresholds)
        lo = np.where(above, mid + 1, lo)
        hi = np.where((lo < hi) & ~above, mid, hi)
    return lo


def _relaxed_thresholds(
    groups: IntArray,
    values: FloatArray,
    bases: FloatArray,
    caps: FloatArray,
    targets: list[FloatArray],
) -> list[FloatArray]:
    """Thresholds t_g with sum_i clip(v_i/t_g - base_i, 0, cap_i) = target_g in every group.

    In u = 1/t the relaxed count is piecewise linear: owner i starts growing with slope v_i at
    u = base_i/v_i and stops at (base_i + cap_i)/v_i. Sorting these breakpoints per group
    gives the exact inverse, for several target vectors at once. Unreachable targets give
    t = 0; targets <= 0 give t = inf.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _invert_relaxation(groups, values, bases, caps, targets)


def _invert_relaxation(
    groups: IntArray,
    values: FloatArray,
    bases: FloatArray,
    caps: FloatArray,
    targets: list[FloatArray],
) -> list[FloatArray]:
    live = values > 0
    g = groups[live]
    v = values[live]
    start = bases[live] / v
    end = (bases[live] + caps[live]) / v  # caps are finite here (see top_n)
    # Each owner's start and end side by side, so the events stay in the owners' group order.
    ev_g = np.repeat(g, 2)
    ev_u = np.column_stack([start, end]).ravel()
    ev_d = np.column_stack([v, -v]).ravel()
    order = order_within_groups(ev_g, ev_u)
    ev_g, ev_u, ev_d = ev_g[order], ev_u[order], ev_d[order]

    first = np.ones(len(ev_g), dtype=bool)
    first[1:] = ev_g[1:] != ev_g[:-1]
    slope = _group_cumsum(ev_d, first)  # slope just after each breakpoint
    seg = np.zeros(len(ev_g))
    seg[1:] = slope[:-1] * (ev_u[1:] - ev_u[:-1])
    seg[first] = 0.0
    level = _group_cumsum(seg, first)  # relaxed count at each breakpoint

    result = []
    for target in targets:
        u = np.where(target > 0, np.inf, 0.0)
        idx = np.flatnonzero(level <= target[ev_g])
        if len(idx):
            last = np.ones(len(idx), dtype=bool)
            last[:-1] = ev_g[idx[1:]] != ev_g[idx[:-1]]
            j = idx[last]
            gj = ev_g[j]
            rest = target[gj] - level[j]
            step = np.where(slope[j] > 0, rest / slope[j], np.where(rest > 0, np.inf, 0.0))
            u[gj] = np.where(target[gj] > 0, ev_u[j] + step, 0.0)
        result.append(np.asarray(1.0 / u, dtype=np.float64))
    return result


def order_within_groups(groups: IntArray, key: FloatArray) -> IntArray:
    """Permutation sorting by group, then key ascending; equal keys keep their input order.

    np.lexsort on millions of items is slow; this sorts each group as a row of a padded
    grid when the groups are contiguous and not too uneven (the batched cases), else it
    sorts the key once and then the exact integer composite (group, rank of key).
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if groups[0] == groups[-1] and bool(np.all(groups == groups[0])):
        return np.asarray(np.argsort(key, kind="stable"), dtype=np.int64)
    counts = np.bincount(groups)
    width = int(counts.max())
    if width * len(counts) <= 4 * n + 1024 and bool(np.all(groups[1:] >= groups[:-1])):
        starts = np.cumsum(counts) - counts
        pos = np.arange(n) - starts[groups]
        grid = np.full((len(counts), width), np.inf)
        grid[groups, pos] = key
        index = np.full((len(counts), width), -1, dtype=np.int64)
        index[groups, pos] = np.arange(n)
        # Padding is +inf at the end of each row; stable sorting keeps it after real +inf keys.
        rows = np.argsort(grid, axis=1, kind="stable")
        flat = np.take_along_axis(index, rows, axis=1).ravel()
        return np.asarray(flat[flat >= 0], dtype=np.int64)
    by_key = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[by_key] = np.arange(n)
    return np.asarray(np.argsort(groups.astype(np.int64) * n + rank), dtype=np.int64)


def _group_cumsum(x: FloatArray, first: BoolArray) -> FloatArray:
    """Cumulative sum restarting at every `first` (groups are contiguous)."""
    total = np.cumsum(x)
    if len(x) == 0 or not first[1:].any():
        return np.asarray(total, dtype=np.float64)
    before = np.concatenate([[0.0], total[:-1]])
    offset = np.maximum.accumulate(np.where(first, np.arange(len(x)), 0))
    return np.asarray(total - before[offset], dtype=np.float64)


def top_n(
    values: npt.ArrayLike,
    bases: npt.ArrayLike,
    n: npt.ArrayLike,
    *,
    caps: npt.ArrayLike | None = None,
    groups: npt.ArrayLike | None = None,
) -> IntArray:
    """Counts per owner of the first n[g] capacities of each group's priority order.

    values, bases, caps (inf = no cap) and groups are per owner; n is per group (or a scalar
    for one group). Raises InfeasibleError when a group's caps leave too little room.
    """
    v = np.asarray(values, dtype=np.float64)
    b = np.asarray(bases, dtype=np.float64)
    m = len(v)
    cap = np.full(m, np.inf) if caps is None else np.asarray(caps, dtype=np.float64)
    grp = np.zeros(m, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    need = np.atleast_1d(np.asarray(n, dtype=np.float64))
    n_groups = len(need)
    if m == 0:
        if (need > 0).any():
            raise InfeasibleError(int(np.flatnonzero(need > 0)[0]), 0, int(need.max()))
        return np.zeros(0, dtype=np.int64)
    # Nobody can get more than its group's total; this also keeps every count finite.
    cap = np.minimum(np.floor(cap), need[grp])
    if _few_enough(v, b, cap, need):
        return _top_n_listed(v, b, cap, grp, need)

    owners = np.bincount(grp, weights=(v > 0).astype(float), minlength=n_groups)
    # Bracket the n-th priority: at t_high at most n capacities lie above, at t_low at least n
    # (the exact count exceeds the relaxed one by less than one per owner).
    t_high, t_low = _relaxed_thresholds(grp, v, b, cap, [need - owners, need])
    inner = _count_above(v, b, cap, t_high[grp])
    outer = _count_above(v, b, cap, t_low[grp])
    for _ in range(3):
        s_in = np.bincount(grp, weights=inner, minlength=n_groups)
        s_out = np.bincount(grp, weights=outer, minlength=n_groups)
        room_left = np.bincount(grp, weights=(v > 0) & (outer < cap), minlength=n_groups)
        too_many = s_in > need
        too_few = (s_out < need) & (room_left > 0) & (t_low > 0)
        if not (too_many.any() or too_few.any()):
            break
        # Rounding in the relaxation (or extreme magnitudes) can miss: fall back to the widest
        # bracket, which is always valid: nothing above t = inf, every capacity above t = 0.
        # Only the list of candidates to sort gets longer.
        t_high = np.where(too_many, np.inf, t_high)
        t_low = np.where(too_few, 0.0, t_low)
        inner = _count_above(v, b, cap, t_high[grp])
        outer = _count_above(v, b, cap, t_low[grp])
    else:  # pragma: no cover
        raise AssertionError("bracket did not converge")

    counts = inner.copy()
    extra = (outer - inner).astype(np.int64)
    total_extra = int(extra.sum())
    if total_extra:
        owner = np.repeat(np.arange(m), extra)
        starts = np.cumsum(extra) - extra
        c = inner[owner] + (np.arange(total_extra) - np.repeat(starts, extra))
        p = priority(v[owner], b[owner], c)
        g = grp[owner]
        # Candidates are generated by owner, then c: the tie-break order already.
        order = order_within_groups(g, -p)
        owner, g = owner[order], g[order]
        first = np.ones(total_extra, dtype=bool)
        first[1:] = g[1:] != g[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(total_extra), 0))
        rank = np.arange(total_extra) - group_start
        wanted = need - s_in
        take = rank < wanted[g]
        counts += np.bincount(owner[take], minlength=m)

    filled = np.bincount(grp, weights=counts, minlength=n_groups)
    short = need - filled
    if (short > 0).any():
        counts += _fill_zero_priority(grp, cap, counts, short)
        filled = np.bincount(grp, weights=counts, minlength=n_groups)
        if (filled < need).any():
            bad = int(np.flatnonzero(filled < need)[0])
            raise InfeasibleError(bad, int(filled[bad]), int(need[bad]))
    return counts.astype(np.int64)


# Up to this many capacities in all the owners' reach, listing every one of them costs less
# than bracketing the n-th priority (small runs, the tests' inputs).
LISTED_AT_MOST = 2048


def _few_enough(v: FloatArray, b: FloatArray, cap: FloatArray, need: FloatArray) -> bool:
    """Whether `_top_n_listed` applies: whole non-negative totals and caps, few capacities
    within the caps, and values and bases of ordinary magnitude (zero or 1e-200..1e200).

    The magnitudes keep the two ways identical: with subnormal values the bracketing can
    pick another order than the greedy, and those inputs keep the bracketing's result.
    """
    if not (
        (need >= 0).all()
        and (need == np.floor(need)).all()
        and (cap >= 0).all()
        and cap.sum() <= LISTED_AT_MOST
    ):
        return False
    size = np.abs(np.concatenate([v, b]))
    size = size[size != 0]
    return bool((size >= 1e-200).all() and (size <= 1e200).all())


def _top_n_listed(
    v: FloatArray, b: FloatArray, cap: FloatArray, grp: IntArray, need: FloatArray
) -> IntArray:
    """`top_n` by listing every capacity each owner can get (cap, at most its group's
    total) and taking the first need[g] of each group's priority order: the one-at-a-time
    greedy itself, zero priorities last by owner as in `_fill_zero_priority`."""
    m = len(v)
    per = cap.astype(np.int64)
    room = np.bincount(grp, weights=cap, minlength=len(need))
    short = room < need
    if short.any():
        bad = int(np.flatnonzero(short)[0])
        raise InfeasibleError(bad, int(room[bad]), int(need[bad]))
    total = int(per.sum())
    owner = np.repeat(np.arange(m), per)
    c = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
    p = priority(v[owner], b[owner], c.astype(np.float64))
    # Listed by owner, then c: the tie-break order already.
    order = order_within_groups(grp[owner], -p)
    owner = owner[order]
    g = grp[owner]
    first = np.ones(total, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    rank = np.arange(total) - np.maximum.accumulate(np.where(first, np.arange(total), 0))
    return np.bincount(owner[rank < need[g]], minlength=m).astype(np.int64)


def _fill_zero_priority(
    grp: IntArray, cap: FloatArray, counts: FloatArray, short: FloatArray
) -> FloatArray:
    """Once every positive priority is used, zero-priority capacities go by owner order.

    (Zero priority: v = 0, or a priority so small that it underflows to 0.)
    """
    add = np.zeros(len(cap))
    idx = np.flatnonzero((cap > counts) & (short[grp] > 0))
    if not len(idx):
        return add
    idx = idx[order_within_groups(grp[idx], np.zeros(len(idx)))]
    g = grp[idx]
    room = np.minimum(cap[idx] - counts[idx], short[g])
    first = np.ones(len(idx), dtype=bool)
    first[1:] = g[1:] != g[:-1]
    before = _group_cumsum(room, first) - room
    add[idx] = np.clip(short[g] - before, 0.0, room)
    return add


def divisor(
    votes: npt.ArrayLike,
    n: npt.ArrayLike,
    method: str,
    *,
    caps: npt.ArrayLike | None = None,
) -> IntArray:
    """Divisor apportionment of n[r] capacities over each row of `votes` (rows x owners)."""
    vote = np.atleast_2d(np.asarray(votes, dtype=np.float64))
    rows, cols = vote.shape
    need = np.broadcast_to(np.asarray(n, dtype=np.float64), (rows,))
    cap = None if caps is None else np.broadcast_to(np.asarray(caps, dtype=float), vote.shape)
    counts = top_n(
        vote.ravel(),
        np.full(rows * cols, DIVISOR_BASE[method]),
        need,
        caps=None if cap is None else cap.ravel(),
        groups=np.repeat(np.arange(rows), cols),
    )
    return counts.reshape(rows, cols)


def hamilton(votes: npt.ArrayLike, n: npt.ArrayLike) -> IntArray:
    """Largest remainder per row; equal remainders go to the lower index.

    Not house-monotone (the Alabama paradox), so it is never used to phase capacities in.
    """
    vote = np.atleast_2d(np.asarray(votes, dtype=np.float64))
    rows, cols = vote.shape
    need = np.broadcast_to(np.asarray(n, dtype=np.int64), (rows,))
    total = vote.sum(axis=1, keepdims=True)
    if ((total[:, 0] <= 0) & (need > 0)).any():
        raise ValueError("Hamilton apportionment needs a positive total")
    with np.errstate(invalid="ignore", divide="ignore"):
        quota = np.where(total > 0, vote / total, 0.0) * need[:, None]
    base = np.floor(quota)
    remainder = quota - base
    left = need - base.sum(axis=1).astype(np.int64)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(cols)[None, :].repeat(rows, axis=0), axis=1)
    return (base + (rank < left[:, None])).astype(np.int64)


def apportion(votes: npt.ArrayLike, n: npt.ArrayLike, method: str) -> IntArray:
    """Proportional apportionment by `method` (one of PROPORTIONAL_METHODS), row-wise."""
    if method == "hamilton":
        return hamilton(votes, n)
    if method in DIVISOR_BASE:
        return divisor(votes, n, method)
    raise ValueError(f"unknown apportionment method {method!r}")


def order_items(
    counts: npt.ArrayLike, values: npt.ArrayLike, bases: npt.ArrayLike
) -> tuple[IntArray, IntArray]:
    """The allocated single capacities in priority order: (owner, c) with c = 0, 1, ...

    For a divisor result this is exactly the order in which the method deals them out, so
    every prefix is the method's allocation for that smaller total (house monotonicity).
    """
    cnt = np.asarray(counts, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    b = np.broadcast_to(np.asarray(bases, dtype=np.float64), cnt.shape)
    total = int(cnt.sum())
    owner = np.repeat(np.arange(len(cnt)), cnt)
    starts = np.cumsum(cnt) - cnt
    c = np.arange(total) - np.repeat(starts, cnt)
    p = priority(v[owner], b[owner], c.astype(np.float64))
    order = np.argsort(-p, kind="stable")  # generated by owner, then c: the tie-break order
    return owner[order], c[order]
