"""`allocate(inputs, params) -> Outcome`: the whole model of docs/model.md except the
sensitivity analysis (see `sensitivity.run_sensitivity`), and `aggregate` to any geography
(docs/model.md#aggregation).

Pure: no Django, no I/O, no clock, no randomness. The same inputs and parameters give the
same outcome, to the last capacity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .apportion import order_base, order_items
from .demand import (
    W_FEATURES,
    at_horizon,
    driver_index,
    growth,
    load,
    need,
    supply,
    w_features,
    w_weights,
)
from .explain import Explainer, driver_frame
from .frames import (
    area_codes,
    caps_per_year,
    check_against_inputs,
    floors_by_area,
    json_safe,
    records,
)
from .inputs import EngineInputs, positions, strings
from .metrics import OPEN_SHARE_TARGET, load_metrics
from .openshare import (
    OPEN_SHARE_TARGET_YEAR,
    list_growth,
    open_share_placed,
    practice_queue,
    threshold_per_capacity,
)
from .params import (
    ACCESSIBILITY_DRIVERS,
    PILLARS,
    TRANSITION_DRIVERS,
    AllocationParams,
    ParamsError,
)
from .phasing import phase, split_pipeline
from .pillars import allocate_pillars
from .pipeline import plan
from .placement import SOLO, PlacementRules, expansion_sequence, place, practice_room
from .statutory import statutory_shares, statutory_stock

NATION = "nation"  # pseudo-geography for aggregate(): all of Denmark as one area


@dataclass(frozen=True)
class Outcome:
    """The result of one run.

    - municipalities: index kommunekode; W, S, loads, indices, the three pillars and total.
    - phasing: one row per (year, kommunekode): new and cumulative capacities per pillar.
    - placements: one row per new capacity: ydernummer, kind, pillar, year, reason.
    - areas: the municipalities aggregated to params.geography.
    - metrics: see engine.metrics.
    - explanations: per municipality the driver values and shares quoted by `explain`.
    """

    params: AllocationParams
    municipalities: pd.DataFrame
    phasing: pd.DataFrame
    placements: pd.DataFrame
    areas: pd.DataFrame
    metrics: dict[str, Any]
    explanations: pd.DataFrame
    inputs_frame: pd.DataFrame = field(repr=False)
    # The factor applied to the raw weighted sums (engine.demand.need); the explanation
    # quotes it.
    w_scale: float = 1.0

    @property
    def totals(self) -> dict[str, int]:
        frame = self.municipalities
        out = {p: int(frame[p].to_numpy().sum()) for p in PILLARS}
        out["total"] = int(frame["total"].to_numpy().sum())
        return out

    def explain(self, kommunekode: int) -> dict[str, Any]:
        return self._explainer.explain(int(kommunekode), self.metrics)

    @cached_property
    def _explainer(self) -> Explainer:
        # Built on the first explanation: a run explains all its municipalities or none.
        return Explainer(
            municipalities=self.municipalities,
            drivers=self.explanations,
            inputs_frame=self.inputs_frame,
            params=self.params,
            w_scale=self.w_scale,
        )

    def to_dict(self, *, placements: bool = True, explanations: bool = True) -> dict[str, Any]:
        """JSON-safe: non-finite numbers become None, numpy scalars become Python ones."""
        out: dict[str, Any] = {
            "params": self.params.to_dict(),
            "totals": self.totals,
            "municipalities": records(self.municipalities.reset_index()),
            "areas": records(self.areas.reset_index()),
            "phasing": records(self.phasing),
            "metrics": json_safe(self.metrics),
        }
        if placements:
            out["placements"] = records(self.placements)
        if explanations:
            out["explanations"] = [self.explain(int(k)) for k in self.municipalities.index]
        return out


def allocate(inputs: EngineInputs, params: AllocationParams | None = None) -> Outcome:
    """Run the allocation model on `inputs` with `params` (defaults if None).

    The sensitivity analysis is separate: `sensitivity.run_sensitivity`, or
    `perturbed_totals` in chunks and `summarise_sensitivity`.
    """
    params = params or AllocationParams()
    check_against_inputs(inputs, params)
    muni = inputs.municipalities
    codes = muni.index.to_numpy()
    n_m = len(codes)
    areas, slugs = area_codes(inputs, params.geography)
    # Municipal counts carried to the horizon, each set of columns computed once: the
    # explanation quotes the same arrays the allocation used.
    carried: dict[tuple[str, ...], np.ndarray] = {}

    def horizon(columns: tuple[str, ...]) -> np.ndarray:
        if columns not in carried:
            carried[columns] = at_horizon(inputs, params, columns)
        return carried[columns]

    sup = supply(inputs, params)
    w_vec = w_weights(params)
    population = inputs.column("population")
    # Need at both ends on one scale (docs/model.md#need-at-the-horizon): the allocation,
    # the loads and the metrics use the horizon's.
    need_ = need(
        w_features(inputs),
        horizon(W_FEATURES),
        w_vec,
        population if params.normalise_weighted_citizens else None,
    )
    weighted_base, weighted = need_.base[0], need_.horizon[0]
    w_vec = w_vec * need_.scale[0]  # the explanation quotes the scaled weights
    bands_h = horizon(("population", "pop_80_plus"))
    t_index = driver_index(
        horizon(TRANSITION_DRIVERS),
        np.array([params.transition_weights[d] for d in TRANSITION_DRIVERS]),
        "transition",
    )[0]
    a_index = driver_index(
        horizon(ACCESSIBILITY_DRIVERS),
        np.array([params.accessibility_weights[d] for d in ACCESSIBILITY_DRIVERS]),
        "accessibility",
    )[0]
    cap_year = caps_per_year(inputs, params)
    caps = cap_year * len(params.years)
    counts = allocate_pillars(
        weighted=weighted[None, :],
        supply=sup.horizon[None, :],
        transition_index=t_index[None, :],
        accessibility_index=a_index[None, :],
        params=params,
        areas=areas,
        n_areas=len(slugs),
        caps_total=caps,
        floors=floors_by_area(params, slugs),
    )
    trans, cov, acc = counts.transition[0], counts.coverage[0], counts.accessibility[0]
    total = trans + cov + acc

    relief = params.list_relief
    # The effective list capacity (docs/model.md#list-relief): what the lists feel.
    relief_other = relief["transition"] * trans + relief["accessibility"] * acc
    effective_after = sup.horizon + relief_other + relief["coverage"] * cov
    scale = 1.0 / relief["coverage"] if relief["coverage"] > 0 else 1.0
    # The coverage order on the supply coverage water-filled on (pillars.allocate_pillars).
    cov_owner, _ = order_items(cov, weighted * scale, (sup.horizon + relief_other) * scale)
    pipe = plan(params, sup.retiring_by_year)
    new = _phase_in(
        params,
        {
            "transition": order_items(trans, t_index, order_base(params.transition_method))[0],
            "coverage": cov_owner,
            "accessibility": order_items(acc, a_index, order_base(params.accessibility_method))[0],
        },
        cap_year,
        pipe.new,
    )  # (Y, P, M)
    years = params.years
    phasing = _phasing_frame(new, years, codes)

    practices = inputs.practices
    names = muni["name"].to_numpy(dtype=object)
    ydernumre = practices["ydernummer"].to_numpy(dtype=object)
    listed = practices["listed_patients"].to_numpy(dtype=np.float64)
    rules = placement_rules(params)
    # The practices' expansion order, shared by the placement and the open share.
    sequence = expansion_sequence(
        listed,
        sup.practice_horizon,
        sup.practice_municipality,
        practice_room(sup.practice_horizon, rules),
        n_m,
    )
    placements, added = place(
        new=new,
        years=years,
        codes=codes,
        names=names,
        ydernumre=ydernumre,
        practice_municipality=sup.practice_municipality,
        practice_capacities=sup.practice_horizon,
        listed=listed,
        rules=rules,
        sequence=sequence,
    )

    first_pos = np.full(n_m, -1, dtype=np.int64)
    last_pos = np.full(n_m, -1, dtype=np.int64)
    positions = np.arange(1, len(cov_owner) + 1)
    np.maximum.at(last_pos, cov_owner, positions)
    first_pos[cov_owner[::-1]] = positions[::-1]
    load_before = load(weighted, sup.horizon)
    # Rank 1 for the highest load; equal loads by municipality order (pandas' "first").
    rank_before = np.empty(n_m, dtype=np.int64)
    rank_before[np.argsort(-load_before, kind="stable")] = np.arange(1, n_m + 1)
    # The recruitment limit binds where coverage reached it (docs/model.md#caps-and-floors).
    cap_binding = np.isfinite(caps) & (cov >= caps - 1e-9)
    cap_mask = ~cap_binding
    # The numeric columns of the municipality frame as arrays (contiguous, as the frame
    # holds them): the metrics and the areas below read these rather than the frame.
    columns: dict[str, np.ndarray] = {
        # The base year's population (sourced); the horizon's is population_horizon.
        "population": population,
        # The need the allocation uses: the horizon's (as weighted_citizens_horizon).
        "weighted_citizens": weighted,
        "weighted_citizens_base": weighted_base,
        "weighted_citizens_horizon": weighted,
        "population_base": population,
        "population_horizon": bands_h[:, 0],
        "pop_80_plus_base": inputs.column("pop_80_plus"),
        "pop_80_plus_horizon": bands_h[:, 1],
        "capacities_today": sup.today,
        "supply_today": sup.today,
        "retiring_fte": sup.retiring,
        "retiring": sup.retiring,
        "replaced": sup.replaced,
        "supply_at_horizon": sup.horizon,
        "transition_index": t_index,
        "accessibility_index": a_index,
        "transition": trans,
        "coverage": cov,
        "accessibility": acc,
        "total": total,
        "load_before": load_before,
        # List capacity at the horizon after the new capacities, each pillar counted with
        # its list relief; the loads after use it.
        "effective_supply_after": effective_after,
        "load_after_coverage": load(weighted, sup.horizon + relief["coverage"] * cov),
        "load_after": load(weighted, effective_after),
        "load_rank_before": rank_before,
    }
    columns = {k: np.ascontiguousarray(v) for k, v in columns.items()}
    frame = pd.DataFrame(
        {
            "name": names,
            **columns,
            # Position (1-based) of the municipality's first and last capacity in the
            # coverage order; missing when it gets no coverage capacity.
            "coverage_first_position": pd.arrays.IntegerArray(first_pos, first_pos < 0),
            "coverage_last_position": pd.arrays.IntegerArray(last_pos, last_pos < 0),
            # The recruitment limit per year (missing: none) and over the period where it
            # binds (missing where it does not).
            "coverage_cap_per_year": pd.arrays.IntegerArray(
                np.where(np.isfinite(cap_year), cap_year, 0).astype(np.int64),
                ~np.isfinite(cap_year),
            ),
            "coverage_cap": pd.arrays.IntegerArray(
                np.where(cap_binding, caps, 0).astype(np.int64), cap_mask
            ),
        },
        index=muni.index,
    )

    placed = _Placed(
        ydernummer=placements["ydernummer"].to_numpy(dtype=object),
        kind=placements["kind"].to_numpy(dtype=object),
        reason_code=placements["reason_code"].to_numpy(dtype=object),
    )
    metrics = _metrics(inputs, params, columns, placed, added)
    shares = _open_share_metrics(
        inputs,
        params,
        columns,
        w_weights(params),
        sup.practice_municipality,
        sup.practice_horizon,
        placed,
        new,
        listed=listed,
        ydernumre=ydernumre,
        sequence=sequence,
    )
    metrics["before"]["open_share"] = shares.pop("open_share_before")
    metrics["after"]["open_share"] = shares.pop("open_share_after")
    # The P5-P95 range comes from the sensitivity draws (sensitivity.open_share_range),
    # stored with the run once they are drawn.
    metrics["after"]["open_share_p5"] = None
    metrics["after"]["open_share_p95"] = None
    metrics.update(shares)
    metrics.update(pipe.metrics())
    metrics["coverage_caps_binding"] = int(cap_binding.sum())
    values = {c: np.asarray(columns[c], dtype=np.float64) for c in AREA_SUMS}
    whole = {c for c in AREA_SUMS if columns[c].dtype.kind != "f"}
    stock = statutory_stock(float(values["capacities_today"].sum()), params.total)
    areas_of = _area_columns(inputs, params, params.geography, values, whole, stock)
    outcome = Outcome(
        params=params,
        municipalities=frame,
        phasing=phasing,
        placements=placements,
        areas=_area_frame(*areas_of),
        metrics=metrics,
        explanations=driver_frame(inputs, w_vec, horizon, need_.expected.horizon[0]),
        inputs_frame=muni,
        w_scale=float(need_.scale[0]),
    )
    if params.statutory_geography != params.geography:
        areas_of = _area_columns(inputs, params, params.statutory_geography, values, whole, stock)
    metrics["statutory"] = statutory_metrics(*areas_of, params.statutory_geography)
    return outcome


@dataclass(frozen=True)
class _Placed:
    """The placement columns the metrics count, as arrays (one row per new capacity)."""

    ydernummer: np.ndarray
    kind: np.ndarray
    reason_code: np.ndarray


def placement_rules(params: AllocationParams) -> PlacementRules:
    return PlacementRules(
        max_capacities=params.max_practice_capacities,
        max_growth=params.max_practice_growth,
        new_share=params.new_ydernummer_share,
        new_size=max(
            1, min(params.new_practice_capacities, int(params.max_practice_capacities + 1e-9))
        ),
    )


def need_in_year(
    inputs: EngineInputs, params: AllocationParams, weights: np.ndarray, year: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """W and the population of `year` (base_year..horizon) on the run's scale, and how they
    were obtained: "projection" (the population projection gives the year), "interpolated"
    (linearly between the base year and the horizon, when it does not) or "held" (no
    projection: the population is held at the base year, as everywhere else)."""
    population = inputs.municipalities["population"].to_numpy(np.float64)
    norm = population if params.normalise_weighted_citizens else None
    base = w_features(inputs)
    if not inputs.projection_years or year in inputs.projection_years:
        how = "projection" if inputs.projection_years else "held"
        grown = base * growth(inputs, params, W_FEATURES, year=year)
        pop = population * growth(inputs, params, ("population",), year=year)[:, 0]
        return need(base, grown, weights, norm).horizon[0], pop, how
    at_end = need(base, at_horizon(inputs, params, W_FEATURES), weights, norm)
    pop_end = at_horizon(inputs, params, ("population",))[:, 0]
    t = (year - params.base_year) / max(1, params.horizon - params.base_year)
    w = at_end.base[0] + t * (at_end.horizon[0] - at_end.base[0])
    return w, population + t * (pop_end - population), "interpolated"


def _open_share_metrics(
    inputs: EngineInputs,
    params: AllocationParams,
    columns: dict[str, np.ndarray],
    weights: np.ndarray,
    practice_municipality: np.ndarray,
    practice_horizon: np.ndarray,
    placed: _Placed,
    new: np.ndarray,
    *,
    listed: np.ndarray,
    ydernumre: np.ndarray,
    sequence: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """The open share at the horizon before and after, and after in 2030
    (engine.openshare; docs/model.md#the-open-share), and the practices' forms."""
    rules = placement_rules(params)
    relief = np.array([params.list_relief[p] for p in PILLARS])
    queue = practice_queue(
        listed,
        practice_horizon,
        practice_municipality,
        rules,
        len(columns["population"]),
        sequence=sequence,
    )
    w_base = columns["weighted_citizens_base"]

    def share(
        counts: np.ndarray,
        capacities: np.ndarray,
        w: np.ndarray,
        pop: np.ndarray,
        grow: bool = True,
    ) -> float | None:
        threshold = threshold_per_capacity(params.open_threshold, params.list_norm, w, pop)
        value = float(
            open_share_placed(
                counts=counts[None, :, :].astype(np.float64),
                listed=listed,
                capacities=capacities,
                growth=(list_growth(w_base, w) if grow else np.ones_like(w))[None, :],
                threshold=threshold[None, :],
                capacity_factor=None,
                queue=queue,
                rules=rules,
                relief=relief,
            )[0]
        )
        return value if np.isfinite(value) else None

    w_h = columns["weighted_citizens_horizon"]
    pop_h = columns["population_horizon"]
    counts_h = new.sum(axis=0).T  # (M, 3)
    out: dict[str, Any] = {
        "open_threshold": params.open_threshold,
        "open_share_before": share(np.zeros_like(counts_h), practice_horizon, w_h, pop_h),
        "open_share_after": share(counts_h, practice_horizon, w_h, pop_h),
        # The same capacities with today's lists: what the growth of the lists costs.
        "open_share_after_lists_today": share(counts_h, practice_horizon, w_h, pop_h, False),
        "open_share_2030": None,
        "open_share_2030_need": None,
    }
    year = OPEN_SHARE_TARGET_YEAR
    if params.base_year <= year <= params.horizon:
        w30, pop30, how = need_in_year(inputs, params, weights, year)
        by = np.asarray(params.years) <= year
        out["open_share_2030"] = share(
            new[by].sum(axis=0).T, supply(inputs, params, year=year).practice_horizon, w30, pop30
        )
        out["open_share_2030_need"] = how
    # Practice forms: solo practices (one capacity or less) at the horizon, before and after.
    position = positions(ydernumre, placed.ydernummer)
    existing = position >= 0
    added_all = np.bincount(position[existing], minlength=len(ydernumre))
    new_sizes = Counter(placed.ydernummer[~existing].tolist()).values()
    out["solo_practices_before"] = int((practice_horizon <= SOLO).sum())
    out["solo_practices_after"] = int(((practice_horizon + added_all) <= SOLO).sum()) + sum(
        1 for size in new_sizes if size == 1
    )
    reasons = Counter(placed.reason_code.tolist())
    out["placements_by_reason"] = {str(k): int(reasons[k]) for k in sorted(reasons)}
    return out


def statutory_metrics(areas: dict[str, Any], slugs: list[str], geography: str) -> dict[str, Any]:
    """The scenario against the statutory reference in one geography (the columns of its
    area frame, see `_area_columns`): the stock, the sum of the shares (equal to it), the
    total absolute deviation and the largest above and below."""
    deviation = np.asarray(areas["deviation"], dtype=np.float64)
    gap = np.asarray(areas["statutory_load_gap"], dtype=np.float64)
    above, below = int(np.argmax(deviation)), int(np.argmin(deviation))
    return {
        "geography": geography,
        "stock": int(areas["statutory"].sum()),
        "areas": len(slugs),
        "deviation_sum": float(deviation.sum()),
        "absolute_deviation": float(np.abs(deviation).sum()),
        "largest_above": {
            "area": str(slugs[above]),
            "name": str(areas["name"][above]),
            "deviation": float(deviation[above]),
        },
        "largest_below": {
            "area": str(slugs[below]),
            "name": str(areas["name"][below]),
            "deviation": float(deviation[below]),
        },
        "largest_load_gap": float(np.abs(gap[np.isfinite(gap)]).max())
        if np.isfinite(gap).any()
        else None,
    }


def _phase_in(
    params: AllocationParams,
    sequences: dict[str, np.ndarray],
    caps_per_year: np.ndarray,
    budgets: np.ndarray,
) -> np.ndarray:
    """(Y, P, M) new capacities per year, pillar and municipality (see engine.phasing).

    sequences: per pillar the municipality of each single capacity in priority order;
    budgets: new capacities per year after the training pipeline (engine.pipeline).
    Caps bind the coverage pillar only: cumulatively cap x years elapsed.
    """
    per_year = split_pipeline(
        np.array([params.transition, params.coverage, params.accessibility]),
        np.asarray(budgets, dtype=np.int64),
    )
    n_m = len(caps_per_year)
    elapsed = np.arange(1, len(params.years) + 1, dtype=np.float64)[:, None]
    bounds = caps_per_year[None, :] * elapsed if np.isfinite(caps_per_year).any() else None
    return np.stack(
        [
            phase(
                sequences[p],
                per_year[:, i],
                n_m,
                bounds if p == "coverage" else None,
                years=params.years,
            )
            for i, p in enumerate(PILLARS)
        ],
        axis=1,
    )


def _phasing_frame(new: np.ndarray, years: tuple[int, ...], codes: np.ndarray) -> pd.DataFrame:
    n_years, _, n_m = new.shape
    cum = np.cumsum(new, axis=0)
    out: dict[str, Any] = {
        "year": np.repeat(np.asarray(years, dtype=np.int64), n_m),
        "kommunekode": np.tile(codes, n_years),
    }
    for i, p in enumerate(PILLARS):
        out[p] = new[:, i, :].ravel()
    out["total"] = new.sum(axis=1).ravel()
    for i, p in enumerate(PILLARS):
        out[f"cumulative_{p}"] = cum[:, i, :].ravel()
    out["cumulative_total"] = cum.sum(axis=1).ravel()
    # Every column is int64: one block builds the frame at a fraction of a dict's cost.
    return pd.DataFrame(np.column_stack(list(out.values())), columns=list(out))


def _metrics(
    inputs: EngineInputs,
    params: AllocationParams,
    columns: dict[str, np.ndarray],
    placed: _Placed,
    added: np.ndarray,
) -> dict[str, Any]:
    codes = inputs.codes
    w = columns["weighted_citizens_horizon"]
    s = columns["supply_at_horizon"]
    pop = columns["population_horizon"]
    w_base = float(columns["weighted_citizens_base"].sum())
    new_practices = int((placed.kind == "new").sum())
    observed = inputs.practices["open"].to_numpy()
    relief = params.list_relief
    before = load_metrics(w, s, pop, codes, params.list_norm)
    after = load_metrics(w, columns["effective_supply_after"], pop, codes, params.list_norm)
    coverage_only = load_metrics(
        w, s + relief["coverage"] * columns["coverage"], pop, codes, params.list_norm
    )
    return {
        "base_year": params.base_year,
        "horizon": params.horizon,
        "weighted_citizens_base": w_base,
        "weighted_citizens_horizon": float(w.sum()),
        "need_growth": float(w.sum()) / w_base if w_base > 0 else None,
        "population_base": float(columns["population_base"].sum()),
        "population_horizon": float(pop.sum()),
        "pop_80_plus_base": float(columns["pop_80_plus_base"].sum()),
        "pop_80_plus_horizon": float(columns["pop_80_plus_horizon"].sum()),
        "supply_today": float(columns["supply_today"].sum()),
        "supply_at_horizon": float(s.sum()),
        "list_norm": params.list_norm,
        "list_relief": dict(relief),
        "effective_supply_after": float(columns["effective_supply_after"].sum()),
        "before": before,
        "after": after,
        "max_load_after_coverage": coverage_only["max_load"],
        "open_share_observed": float(observed.mean()) if len(observed) else None,
        "open_share_target": OPEN_SHARE_TARGET,
        "open_share_target_year": OPEN_SHARE_TARGET_YEAR,
        # The flat closing threshold (list_norm); the need-based one varies by municipality.
        "open_list_size": params.list_norm,
        "practices_expanded": int((added > 0).sum()),
        "new_ydernumre": new_practices,
    }


AREA_SUMS: tuple[str, ...] = (
    "population",
    "weighted_citizens",
    "weighted_citizens_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "capacities_today",
    "retiring",
    "replaced",
    "supply_at_horizon",
    "effective_supply_after",
    *PILLARS,
    "total",
)


def aggregate(outcome: Outcome, inputs: EngineInputs, geography: str) -> pd.DataFrame:
    """The municipality results summed per area of `geography` ('nation' for Denmark)."""
    return aggregate_many(outcome, inputs, [geography])[0]


def aggregate_many(
    outcome: Outcome, inputs: EngineInputs, geographies: Sequence[str]
) -> list[pd.DataFrame]:
    """:func:`aggregate` of each of `geographies`, the municipality columns read once (a
    run stores the areas of every geography)."""
    return [_area_frame(*part) for part in area_columns_many(outcome, inputs, geographies)]


def area_columns_many(
    outcome: Outcome, inputs: EngineInputs, geographies: Sequence[str]
) -> list[tuple[dict[str, Any], list[str]]]:
    """The columns of :func:`aggregate_many`'s frames (name -> array or list) and their
    area slugs, without the frames: storing a run's areas reads the columns only."""
    frame = outcome.municipalities
    values: dict[str, np.ndarray] = {}
    whole: set[str] = set()
    for c in AREA_SUMS:
        column = frame[c]
        values[c] = column.to_numpy(np.float64)
        if column.dtype.kind != "f":
            whole.add(c)
    stock = statutory_stock(float(values["capacities_today"].sum()), outcome.params.total)
    return [_area_columns(inputs, outcome.params, g, values, whole, stock) for g in geographies]


def _area_columns(
    inputs: EngineInputs,
    params: AllocationParams,
    geography: str,
    values: dict[str, np.ndarray],
    whole: set[str],
    stock: int,
) -> tuple[dict[str, Any], list[str]]:
    """The columns of the area frame of `geography` and its area slugs: `values` (the
    AREA_SUMS columns as floats) summed per area, the whole ones in `whole` as integers."""
    if geography == NATION:
        codes, slugs = np.zeros(len(values["population"]), dtype=np.int64), ["danmark"]
        names = ["Danmark"]
    elif geography in inputs.geographies:
        codes, slugs = area_codes(inputs, geography)
        names = [inputs.area_name(geography, a) for a in slugs]
    else:
        raise ParamsError("geography", f"unknown geography {geography!r}")
    n = len(slugs)
    out: dict[str, Any] = {
        # Built as the column of strings pandas infers from the list, without inferring it.
        "name": strings(np.array(names, dtype=object)),
        "municipalities": np.bincount(codes, minlength=n),
    }
    for column, summed_values in values.items():
        summed = np.bincount(codes, weights=summed_values, minlength=n)
        out[column] = summed.astype(np.int64) if column in whole else summed
    out["load_before"] = load(out["weighted_citizens"], out["supply_at_horizon"])
    out["load_after"] = load(out["weighted_citizens"], out["effective_supply_after"])
    # The statutory reference (docs/model.md#the-statutory-reference): the whole stock in
    # proportion to W, and how far the scenario's capacities after the new ones are from it.
    share = statutory_shares(out["weighted_citizens"], stock)
    out["statutory"] = share
    out["deviation"] = out["supply_at_horizon"] + out["total"] - share
    out["statutory_load"] = load(out["weighted_citizens"], share.astype(np.float64))
    with np.errstate(invalid="ignore"):  # no supply and no share: inf - inf is no gap
        out["statutory_load_gap"] = out["load_after"] - out["statutory_load"]
    if geography == params.geography and params.floors:
        out["floor"] = [params.floors.get(a, 0) for a in slugs]
    return out, slugs


def _area_frame(columns: dict[str, Any], slugs: list[str]) -> pd.DataFrame:
    index = pd.Index(strings(np.array(slugs, dtype=object)), name="area")
    return pd.DataFrame(columns, index=index)
