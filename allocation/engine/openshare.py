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

from dataclasses import dataclass

import numpy as np

from .apportion import FloatArray, IntArray
from .placement import PlacementRules, expansion_sequence, practice_room, steered

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


@dataclass(frozen=True)
class PracticeQueue:
    """The existing practices' expansion order, for any number of new capacities.

    positions[p, c] is where the c-th new capacity of practice p comes in its municipality's
    expansion order (placement.expansion_sequence); padded with a number beyond any count.
    """

    municipality: IntArray  # (P,) position of each practice's municipality
    positions: IntArray  # (P, K)
    room: IntArray  # (M,) new capacities the municipality's practices can take in all


def practice_queue(
    listed: FloatArray,
    capacities: FloatArray,
    practice_municipality: IntArray,
    rules: PlacementRules,
    n_m: int,
    *,
    sequence: tuple[IntArray, IntArray, FloatArray, IntArray] | None = None,
) -> PracticeQueue:
    """`sequence`: the practices' `placement.expansion_sequence`, where the caller has it."""
    room = practice_room(capacities, rules)
    if sequence is None:
        sequence = expansion_sequence(listed, capacities, practice_municipality, room, n_m)
    owner, c, _, room_m = sequence
    start = np.cumsum(room_m) - room_m
    where = np.arange(len(owner)) - start[practice_municipality[owner]]
    width = max(1, int(room.max()) if len(room) else 1)
    positions = np.full((len(capacities), width), np.iinfo(np.int64).max, dtype=np.int64)
    positions[owner, c] = where
    return PracticeQueue(
        municipality=np.asarray(practice_municipality, dtype=np.int64),
        positions=positions,
        room=room_m,
    )


@dataclass(frozen=True)
class Placed:
    """New capacities per draw as the open share counts them (see `place_counts`)."""

    added: FloatArray  # (R, P) expansions of each existing practice
    relief: FloatArray  # (R, M) list relief of each of the municipality's expansions
    opened: FloatArray  # (R, M) new ydernumre
    opened_relieving: FloatArray  # (R, M) new ydernumre whose capacities relieve lists


def place_counts(
    counts: FloatArray, queue: PracticeQueue, rules: PlacementRules, relief: FloatArray
) -> Placed:
    """counts (R, M, 3): new capacities per pillar (PILLARS order), placed by the rules of
    `placement.place`: the steered coverage capacities open new ydernumre, the others
    expand the practices in their order up to their room, the rest open new ydernumre.

    Which pillar an expansion comes from is an accident of timing (the capacities are
    placed in time order), so each expansion counts with the average list relief of its
    municipality's capacities that are not steered; a municipality's new ydernumre relieve
    lists where its new-ydernummer capacities relieve lists at all.
    """
    t, c, a = counts[..., 0], counts[..., 1], counts[..., 2]
    total = t + c + a
    steer = np.minimum(steered(c, rules.new_share), c)
    pool = total - steer
    expand = np.minimum(pool, queue.room[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        pool_relief = np.where(
            pool > 0, (relief[0] * t + relief[1] * (c - steer) + relief[2] * a) / pool, 0.0
        )
    per_practice = np.take(expand, queue.municipality, axis=1)
    # Column by column: the practices' room is a few capacities, the draws are many.
    added = np.zeros(per_practice.shape)
    for k in range(queue.positions.shape[1]):
        added += queue.positions[None, :, k] < per_practice
    opened = np.ceil((total - expand) / rules.new_size)
    new_relief = relief[1] * steer + pool_relief * (pool - expand)
    return Placed(
        added=added,
        relief=pool_relief,
        opened=opened,
        opened_relieving=np.where(new_relief > 0, opened, 0.0),
    )


def open_share_placed(
    *,
    counts: FloatArray,
    listed: FloatArray,
    capacities: FloatArray,
    growth: FloatArray,
    threshold: FloatArray,
    capacity_factor: FloatArray | None,
    queue: PracticeQueue,
    rules: PlacementRules,
    relief: FloatArray,
) -> FloatArray:
    """(R,) open share after placing `counts` (R, M, 3; see `place_counts`).

    listed and capacities per practice (P,); per municipality (R, M): the lists' growth,
    the threshold per capacity and a factor on the practices' capacities (None: 1). A
    practice is open when listed x growth / threshold < capacities x factor + relieving
    expansions (the same test as `open_shares`, with the per-municipality factors taken
    together before they are spread over the practices).
    """
    placed = place_counts(counts, queue, rules, relief)
    where = queue.municipality
    with np.errstate(divide="ignore", invalid="ignore"):
        per_threshold = growth / threshold
    # np.take and in-place arithmetic: this runs on (draws x practices) in the sensitivity.
    need = np.take(per_threshold, where, axis=1)
    need *= listed[None, :]
    have = np.take(placed.relief, where, axis=1)
    have *= placed.added
    if capacity_factor is None:
        have += capacities[None, :]
    else:
        factor = np.take(capacity_factor, where, axis=1)
        factor *= capacities[None, :]
        have += factor
    is_open = (have > 0) & (need < have)
    extra = placed.opened_relieving.sum(axis=1)
    n = len(listed) + extra
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, (np.count_nonzero(is_open, axis=1) + extra) / n, np.nan)
