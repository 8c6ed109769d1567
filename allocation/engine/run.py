"""`allocate(inputs, params) -> Outcome`: the whole model of docs/model.md except the
sensitivity analysis (see `sensitivity.run_sensitivity`), and `aggregate` to any geography
(docs/model.md#aggregation).

Pure: no Django, no I/O, no clock, no randomness. The same inputs and parameters give the
same outcome, to the last capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .apportion import order_base, order_items
from .demand import (
    driver_index,
    load,
    supply,
    w_features,
    w_scale,
    w_weights,
    weighted_citizens,
)
from .explain import driver_frame, explain_municipality
from .frames import area_codes, caps_total, check_against_inputs, floors_by_area, json_safe, records
from .inputs import EngineInputs
from .metrics import (
    OPEN_LIST_SIZE,
    OPEN_SHARE_TARGET,
    OPEN_SHARE_TARGET_YEAR,
    load_metrics,
    open_share,
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
from .placement import place

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

    @property
    def totals(self) -> dict[str, int]:
        out = {p: int(self.municipalities[p].sum()) for p in PILLARS}
        out["total"] = int(self.municipalities["total"].sum())
        return out

    def explain(self, kommunekode: int) -> dict[str, Any]:
        return explain_municipality(
            int(kommunekode),
            municipalities=self.municipalities,
            drivers=self.explanations,
            inputs_frame=self.inputs_frame,
            params=self.params,
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

    sup = supply(inputs, params)
    w_vec = w_weights(params)
    population = muni["population"].to_numpy(np.float64)
    features = w_features(inputs)
    weighted = weighted_citizens(
        features, w_vec, population if params.normalise_weighted_citizens else None
    )[0]
    if params.normalise_weighted_citizens:  # the explanation quotes the scaled weights
        w_vec = w_vec * w_scale(weighted_citizens(features, w_vec), population)[0]
    t_index = driver_index(
        inputs.matrix(TRANSITION_DRIVERS),
        np.array([params.transition_weights[d] for d in TRANSITION_DRIVERS]),
        "transition",
    )[0]
    a_index = driver_index(
        inputs.matrix(ACCESSIBILITY_DRIVERS),
        np.array([params.accessibility_weights[d] for d in ACCESSIBILITY_DRIVERS]),
        "accessibility",
    )[0]
    caps = caps_total(inputs, params)
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

    cov_owner, _ = order_items(cov, weighted, sup.horizon)
    new = _phase_in(
        params,
        {
            "transition": order_items(trans, t_index, order_base(params.transition_method))[0],
            "coverage": cov_owner,
            "accessibility": order_items(acc, a_index, order_base(params.accessibility_method))[0],
        },
        caps / len(params.years),
    )  # (Y, P, M)
    years = params.years
    phasing = _phasing_frame(new, years, codes)

    practices = inputs.practices
    placements, added = place(
        new=new,
        years=years,
        codes=codes,
        names=muni["name"].to_numpy(dtype=object),
        ydernumre=practices["ydernummer"].to_numpy(dtype=object),
        practice_municipality=sup.practice_municipality,
        practice_capacities=sup.practice_horizon,
        listed=practices["listed_patients"].to_numpy(dtype=np.float64),
        max_capacities=params.max_practice_capacities,
    )

    first_pos = np.full(n_m, -1, dtype=np.int64)
    last_pos = np.full(n_m, -1, dtype=np.int64)
    positions = np.arange(1, len(cov_owner) + 1)
    np.maximum.at(last_pos, cov_owner, positions)
    first_pos[cov_owner[::-1]] = positions[::-1]
    load_before = load(weighted, sup.horizon)
    frame = pd.DataFrame(
        {
            "name": muni["name"].to_numpy(dtype=object),
            "population": muni["population"].to_numpy(),
            "weighted_citizens": weighted,
            "capacities_today": sup.today,
            "retiring_fte": sup.retiring,
            "supply_at_horizon": sup.horizon,
            "transition_index": t_index,
            "accessibility_index": a_index,
            "transition": trans,
            "coverage": cov,
            "accessibility": acc,
            "total": total,
            "load_before": load_before,
            "load_after_coverage": load(weighted, sup.horizon + cov),
            "load_after": load(weighted, sup.horizon + total),
            "load_rank_before": pd.Series(-load_before)
            .rank(method="first")
            .to_numpy(dtype=np.int64),
            # Position (1-based) of the municipality's first and last capacity in the
            # coverage order; missing when it gets no coverage capacity.
            "coverage_first_position": pd.arrays.IntegerArray(first_pos, first_pos < 0),
            "coverage_last_position": pd.arrays.IntegerArray(last_pos, last_pos < 0),
        },
        index=muni.index,
    )

    metrics = _metrics(inputs, params, frame, sup.practice_horizon, placements, added)
    outcome = Outcome(
        params=params,
        municipalities=frame,
        phasing=phasing,
        placements=placements,
        areas=pd.DataFrame(),
        metrics=metrics,
        explanations=driver_frame(inputs, w_vec),
        inputs_frame=muni,
    )
    object.__setattr__(outcome, "areas", aggregate(outcome, inputs, params.geography))
    return outcome


def _phase_in(
    params: AllocationParams, sequences: dict[str, np.ndarray], caps_per_year: np.ndarray
) -> np.ndarray:
    """(Y, P, M) new capacities per year, pillar and municipality (see engine.phasing).

    sequences: per pillar the municipality of each single capacity in priority order.
    Caps bind the coverage pillar only: cumulatively cap x years elapsed.
    """
    per_year = split_pipeline(
        np.array([params.transition, params.coverage, params.accessibility]),
        np.array(params.pipeline),
    )
    n_m = len(caps_per_year)
    elapsed = np.arange(1, len(params.years) + 1, dtype=np.float64)[:, None]
    bounds = caps_per_year[None, :] * elapsed if params.caps else None
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
    return pd.DataFrame(out)


def _metrics(
    inputs: EngineInputs,
    params: AllocationParams,
    frame: pd.DataFrame,
    practice_horizon: np.ndarray,
    placements: pd.DataFrame,
    added: np.ndarray,
) -> dict[str, Any]:
    codes = frame.index.to_numpy()
    w = frame["weighted_citizens"].to_numpy()
    s = frame["supply_at_horizon"].to_numpy()
    pop = frame["population"].to_numpy(dtype=np.float64)
    practices = inputs.practices
    listed = practices["listed_patients"].to_numpy(dtype=np.float64)
    new_practices = int((placements["kind"] == "new").sum())
    observed = practices["open"].to_numpy()
    before = load_metrics(w, s, pop, codes, params.list_norm)
    after = load_metrics(w, s + frame["total"].to_numpy(), pop, codes, params.list_norm)
    before["open_share"] = open_share(listed, practice_horizon)
    after["open_share"] = open_share(listed, practice_horizon + added, new_practices)
    coverage_only = load_metrics(w, s + frame["coverage"].to_numpy(), pop, codes, params.list_norm)
    return {
        "list_norm": params.list_norm,
        "before": before,
        "after": after,
        "max_load_after_coverage": coverage_only["max_load"],
        "open_share_observed": float(observed.mean()) if len(observed) else None,
        "open_share_target": OPEN_SHARE_TARGET,
        "open_share_target_year": OPEN_SHARE_TARGET_YEAR,
        "open_list_size": OPEN_LIST_SIZE,
        "practices_expanded": int((added > 0).sum()),
        "new_ydernumre": new_practices,
    }


AREA_SUMS: tuple[str, ...] = (
    "population",
    "weighted_citizens",
    "capacities_today",
    "supply_at_horizon",
    *PILLARS,
    "total",
)


def aggregate(outcome: Outcome, inputs: EngineInputs, geography: str) -> pd.DataFrame:
    """The municipality results summed per area of `geography` ('nation' for Denmark)."""
    frame = outcome.municipalities
    if geography == NATION:
        codes, slugs = np.zeros(len(frame), dtype=np.int64), ["danmark"]
        names = ["Danmark"]
    elif geography in inputs.geographies:
        codes, slugs = area_codes(inputs, geography)
        names = [inputs.area_name(geography, a) for a in slugs]
    else:
        raise ParamsError("geography", f"unknown geography {geography!r}")
    n = len(slugs)
    out: dict[str, Any] = {
        "name": names,
        "municipalities": np.bincount(codes, minlength=n),
    }
    for column in AREA_SUMS:
        summed = np.bincount(codes, weights=frame[column].to_numpy(np.float64), minlength=n)
        out[column] = summed if frame[column].dtype.kind == "f" else summed.astype(np.int64)
    out["load_before"] = load(out["weighted_citizens"], out["supply_at_horizon"])
    out["load_after"] = load(out["weighted_citizens"], out["supply_at_horizon"] + out["total"])
    if geography == outcome.params.geography and outcome.params.floors:
        out["floor"] = [outcome.params.floors.get(a, 0) for a in slugs]
    return pd.DataFrame(out, index=pd.Index(slugs, name="area"))
