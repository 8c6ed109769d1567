"""Sensitivity (docs/model.md#sensitivity): how much the result moves when weights and inputs move.

Each draw perturbs the scenario around its parameters:

- weights: the weighted-citizen weights (age bands, chronic, multimorbid, vulnerable) and
  both sets of driver weights are drawn from Dirichlet distributions centred on the
  scenario's weights with concentration `sensitivity_concentration` (zero weights stay
  zero; the weighted-citizen weights keep their sum);
- inputs: every municipal count and the supply at the horizon are multiplied by
  independent lognormal noise with sigma `sensitivity_noise` (median 1).

All draws run at once through the same pillar arithmetic as the base run
(`pillars.allocate_pillars`, vectorised across draws), in chunks to bound memory. The
random streams are numpy PCG64 generators spawned from `sensitivity_seed`, so a scenario
always gives the same bands, however the draws are chunked.

Results: P5/P50/P95 of total new capacities per municipality and per area of the scenario's
geography, the Spearman rank correlation of each draw with the base run (of the totals,
and of the totals per weighted citizen), and P5/P50/P95 of the open share after at the
horizon (engine.openshare): each draw's lists grow with its own need, its thresholds follow
its own need per citizen, its practices' capacities carry its supply noise, and its new
capacities are placed by the base run's expansion order of the practices (the order
depends on the lists and capacities only, not on need).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .apportion import FloatArray
from .demand import W_FEATURES, driver_index, growth, need, supply, w_weights
from .frames import (
    area_codes,
    caps_per_year,
    caps_total,
    check_against_inputs,
    floors_by_area,
    json_safe,
    records,
)
from .inputs import EngineInputs
from .openshare import (
    PracticeQueue,
    list_growth,
    open_share_placed,
    practice_queue,
    threshold_per_capacity,
)
from .params import (
    ACCESSIBILITY_DRIVERS,
    AGE_BANDS,
    PILLARS,
    TRANSITION_DRIVERS,
    AllocationParams,
)
from .pillars import allocate_pillars
from .run import Outcome, allocate, placement_rules

CHUNK = 2000  # draws per vectorised batch
QUANTILES = (5, 50, 95)


@dataclass(frozen=True)
class Sensitivity:
    draws: int
    seed: int
    municipalities: pd.DataFrame  # index kommunekode: base, p5, p50, p95
    areas: pd.DataFrame  # index area: base, p5, p50, p95
    spearman: dict[str, float]
    totals: np.ndarray  # (draws, M) total new capacities per draw
    # P5/P50/P95 of the open share after at the horizon; None where no draw gave one.
    open_share: dict[str, float | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "draws": self.draws,
            "seed": self.seed,
            "municipalities": records(self.municipalities.reset_index()),
            "areas": records(self.areas.reset_index()),
            "spearman": json_safe(self.spearman),
            "open_share": json_safe(self.open_share),
        }


@dataclass(frozen=True)
class DrawResults:
    totals: np.ndarray  # (R, M) total new capacities
    open_share: np.ndarray  # (R,) open share after at the horizon (NaN: no practice)


@dataclass(frozen=True)
class OpenShareBase:
    """What every draw's open share starts from: the practices' lists, their capacities at
    the horizon and expansion order, and the unperturbed supply per municipality."""

    listed: FloatArray
    capacities: FloatArray
    queue: PracticeQueue
    supply: FloatArray


def open_share_base(inputs: EngineInputs, params: AllocationParams) -> OpenShareBase:
    sup = supply(inputs, params)
    listed = inputs.practices["listed_patients"].to_numpy(dtype=np.float64)
    return OpenShareBase(
        listed=listed,
        capacities=sup.practice_horizon,
        queue=practice_queue(
            listed,
            sup.practice_horizon,
            sup.practice_municipality,
            placement_rules(params),
            len(inputs.municipalities),
        ),
        supply=sup.horizon,
    )


def dirichlet_around(
    rng: np.random.Generator, weights: FloatArray, concentration: float, draws: int
) -> FloatArray:
    """(draws, K) weights drawn around `weights` with the same sum; zeros stay zero."""
    total = weights.sum()
    out = np.zeros((draws, len(weights)))
    live = weights > 0
    if total <= 0 or not live.any():
        return out
    alpha = concentration * weights[live] / total
    out[:, live] = rng.dirichlet(alpha, size=draws) * total
    return out


INPUT_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(("population", *W_FEATURES, *TRANSITION_DRIVERS, *ACCESSIBILITY_DRIVERS))
)


@dataclass(frozen=True)
class Draws:
    """A batch of perturbed scenarios: inputs (R, M, len(INPUT_COLUMNS)), supply at the
    horizon (R, M), and the weights (R, 7), (R, 6), (R, 3)."""

    inputs: FloatArray
    supply: FloatArray
    w_weights: FloatArray
    transition_weights: FloatArray
    accessibility_weights: FloatArray

    def __len__(self) -> int:
        return len(self.supply)


class Streams:
    """Independent random streams for the input noise and the three weight sets.

    Separate streams make the draws independent of how they are chunked: draws 1-500 are
    the same whether generated at once or in pieces.
    """

    def __init__(self, seed: int) -> None:
        noise, w, t, a = np.random.SeedSequence(seed).spawn(4)
        self.noise = np.random.default_rng(noise)
        self.w = np.random.default_rng(w)
        self.t = np.random.default_rng(t)
        self.a = np.random.default_rng(a)


def draw(inputs: EngineInputs, params: AllocationParams, streams: Streams, n: int) -> Draws:
    """The next n perturbed scenarios (see the module docstring)."""
    m = len(inputs.municipalities)
    sigma, conc = params.sensitivity_noise, params.sensitivity_concentration
    noise = streams.noise.lognormal(0.0, sigma, size=(n, m, len(INPUT_COLUMNS) + 1))
    return Draws(
        inputs=inputs.matrix(INPUT_COLUMNS)[None, :, :] * noise[:, :, :-1],
        supply=supply(inputs, params).horizon[None, :] * noise[:, :, -1],
        w_weights=dirichlet_around(streams.w, w_weights(params), conc, n),
        transition_weights=dirichlet_around(
            streams.t,
            np.array([params.transition_weights[d] for d in TRANSITION_DRIVERS]),
            conc,
            n,
        ),
        accessibility_weights=dirichlet_around(
            streams.a,
            np.array([params.accessibility_weights[d] for d in ACCESSIBILITY_DRIVERS]),
            conc,
            n,
        ),
    )


def evaluate(inputs: EngineInputs, params: AllocationParams, draws: Draws) -> np.ndarray:
    """(R, M) total new capacities for every draw, all draws at once."""
    return evaluate_draws(inputs, params, draws).totals


def evaluate_draws(
    inputs: EngineInputs,
    params: AllocationParams,
    draws: Draws,
    base: OpenShareBase | None = None,
) -> DrawResults:
    """Total new capacities and the open share after for every draw, all draws at once."""
    base = base or open_share_base(inputs, params)
    col = {c: i for i, c in enumerate(INPUT_COLUMNS)}
    x = draws.inputs
    # The same carry-forward as the base run: each perturbed base count grows as the
    # projection says (docs/model.md#need-at-the-horizon).
    xh = x * growth(inputs, params, INPUT_COLUMNS)[None, :, :]
    areas, slugs = area_codes(inputs, params.geography)
    w_cols = [col[c] for c in W_FEATURES]
    need_ = need(
        x[:, :, w_cols],
        xh[:, :, w_cols],
        draws.w_weights,
        x[:, :, col["population"]] if params.normalise_weighted_citizens else None,
    )
    weighted = need_.horizon
    counts = allocate_pillars(
        weighted=weighted,
        supply=draws.supply,
        transition_index=driver_index(
            xh[:, :, [col[c] for c in TRANSITION_DRIVERS]], draws.transition_weights, "transition"
        ),
        accessibility_index=driver_index(
            xh[:, :, [col[c] for c in ACCESSIBILITY_DRIVERS]],
            draws.accessibility_weights,
            "accessibility",
        ),
        params=params,
        areas=areas,
        n_areas=len(slugs),
        caps_total=caps_total(inputs, params),
        floors=floors_by_area(params, slugs),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        noise = np.where(base.supply > 0, draws.supply / base.supply, 1.0)
    threshold = threshold_per_capacity(
        params.open_threshold, params.list_norm, weighted, xh[:, :, col["population"]]
    )
    relief = np.array([params.list_relief[p] for p in PILLARS])
    shares = open_share_placed(
        counts=np.stack([counts.transition, counts.coverage, counts.accessibility], axis=2),
        listed=base.listed,
        capacities=base.capacities,
        growth=list_growth(need_.base, weighted),
        threshold=threshold,
        capacity_factor=noise,
        queue=base.queue,
        rules=placement_rules(params),
        relief=relief,
    )
    return DrawResults(totals=counts.total, open_share=shares)


def perturbed_totals(inputs: EngineInputs, params: AllocationParams, draws: int) -> np.ndarray:
    """(draws, M) total new capacities per municipality under the perturbations."""
    return perturbed(inputs, params, draws).totals


def perturbed(inputs: EngineInputs, params: AllocationParams, draws: int) -> DrawResults:
    """Total new capacities (draws, M) and the open share after (draws,) under the
    perturbations.

    Draws are generated and evaluated in chunks of CHUNK (memory stays bounded); the
    streams are seeded with params.sensitivity_seed.
    """
    check_against_inputs(inputs, params)
    streams = Streams(params.sensitivity_seed)
    base = open_share_base(inputs, params)
    out = np.empty((draws, len(inputs.municipalities)), dtype=np.int64)
    shares = np.empty(draws)
    for start in range(0, draws, CHUNK):
        batch = draw(inputs, params, streams, min(CHUNK, draws - start))
        result = evaluate_draws(inputs, params, batch, base)
        out[start : start + len(batch)] = result.totals
        shares[start : start + len(batch)] = result.open_share
    return DrawResults(totals=out, open_share=shares)


def open_share_range(open_share: np.ndarray | None) -> dict[str, float | None] | None:
    """P5/P50/P95 of the draws' open shares (None without draws or where none is defined)."""
    if open_share is None or len(open_share) == 0:
        return None
    finite = open_share[np.isfinite(open_share)]
    if len(finite) == 0:
        return {f"p{k}": None for k in QUANTILES}
    return {
        f"p{k}": float(v) for k, v in zip(QUANTILES, np.percentile(finite, QUANTILES), strict=True)
    }


def with_open_share_range(
    metrics: dict[str, Any], sensitivity: Sensitivity | None
) -> dict[str, Any]:
    """The run's metrics with the open share's P5-P95 from the draws in metrics["after"]."""
    band = sensitivity.open_share if sensitivity is not None else None
    if not band:
        return metrics
    out = dict(metrics)
    out["after"] = {
        **metrics["after"],
        "open_share_p5": band["p5"],
        "open_share_p95": band["p95"],
    }
    return out


def draw_as_engine_call(
    inputs: EngineInputs, params: AllocationParams, draws: Draws, r: int
) -> tuple[EngineInputs, AllocationParams]:
    """Draw r as ordinary engine inputs and parameters, for `allocate`.

    The same scenario as the vectorised evaluation: municipal columns replaced, every
    practice's capacities and its doctors' FTE scaled by the municipality's supply noise
    (which scales S by exactly that factor), weights replaced. Used to check the vectorised
    path against separate engine calls, and by the benchmark.
    """
    muni = inputs.municipalities.copy()
    for i, c in enumerate(INPUT_COLUMNS):
        muni[c] = draws.inputs[r, :, i]
    base_s = supply(inputs, params).horizon
    factor = pd.Series(
        np.where(base_s > 0, draws.supply[r] / np.where(base_s > 0, base_s, 1.0), 1.0),
        index=muni.index,
    )
    practices = inputs.practices.copy()
    practices["capacities"] = practices["capacities"] * practices["kommunekode"].map(factor)
    doctors = inputs.doctors.copy()
    doctors["fte"] = doctors["fte"] * doctors["kommunekode"].map(factor)
    ww = draws.w_weights[r]
    # The draws keep the scenario's recruitment limits (the vectorised path uses those of the
    # unperturbed capacities) and do not phase in, so the training pipeline is not applied.
    cap = caps_per_year(inputs, params)
    changed = params.with_changes(
        caps={int(c): int(v) for c, v in zip(muni.index, cap, strict=True) if np.isfinite(v)},
        pipeline_binding=False,
        age_weights=dict(zip(AGE_BANDS, (float(v) for v in ww[:4]), strict=True)),
        chronic_weight=float(ww[4]),
        multimorbid_weight=float(ww[5]),
        vulnerable_weight=float(ww[6]),
        transition_weights=dict(
            zip(TRANSITION_DRIVERS, (float(v) for v in draws.transition_weights[r]), strict=True)
        ),
        accessibility_weights=dict(
            zip(
                ACCESSIBILITY_DRIVERS,
                (float(v) for v in draws.accessibility_weights[r]),
                strict=True,
            )
        ),
    )
    return (
        EngineInputs(
            municipalities=muni,
            practices=practices,
            doctors=doctors,
            geographies=inputs.geographies,
            area_names=inputs.area_names,
            projection=inputs.projection,
        ),
        changed,
    )


def _rank_rows(a: np.ndarray) -> np.ndarray:
    """Average ranks along each row (ties share their mean rank)."""
    return np.asarray(pd.DataFrame(a).rank(axis=1, method="average").to_numpy(), dtype=float)


def spearman_rows(draws: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of `draws` with `base`."""
    rd = _rank_rows(draws)
    rb = _rank_rows(base[None, :])[0]
    rd = rd - rd.mean(axis=1, keepdims=True)
    rb = rb - rb.mean()
    denom = np.sqrt((rd**2).sum(axis=1) * (rb**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rd @ rb) / denom
    return np.where(denom > 0, rho, 1.0)


def _bands(base: np.ndarray, totals: np.ndarray, index: pd.Index) -> pd.DataFrame:
    q = np.percentile(totals, QUANTILES, axis=0)
    frame = pd.DataFrame({"base": base}, index=index)
    for k, row in zip(QUANTILES, q, strict=True):
        frame[f"p{k}"] = row
    return frame


def summarise_sensitivity(
    inputs: EngineInputs,
    params: AllocationParams,
    base: Outcome,
    totals: np.ndarray,
    open_share: np.ndarray | None = None,
) -> Sensitivity:
    """Bands and rank stability from (draws, M) totals, e.g. chunks computed apart, and the
    open share's band from the draws' open shares (draws,) where given."""
    n = len(totals)
    base_total = base.municipalities["total"].to_numpy()
    w = base.municipalities["weighted_citizens"].to_numpy()
    muni = _bands(base_total, totals, base.municipalities.index)
    areas, slugs = area_codes(inputs, params.geography)
    membership = np.zeros((len(areas), len(slugs)))
    membership[np.arange(len(areas)), areas] = 1.0
    area_totals = totals @ membership
    area_base = np.bincount(areas, weights=base_total, minlength=len(slugs))
    area_frame = _bands(area_base, area_totals, pd.Index(slugs, name="area"))
    area_frame.insert(0, "name", [inputs.area_name(params.geography, s) for s in slugs])
    safe_w = np.where(w > 0, w, 1.0)
    per_w = np.where(w > 0, totals / safe_w, 0.0)
    base_per_w = np.where(w > 0, base_total / safe_w, 0.0)
    rho = spearman_rows(totals, base_total)
    rho_w = spearman_rows(per_w, base_per_w)
    spearman = {
        "median": float(np.median(rho)),
        "p5": float(np.percentile(rho, 5)),
        "min": float(rho.min()),
        "per_weighted_citizen_median": float(np.median(rho_w)),
        "per_weighted_citizen_p5": float(np.percentile(rho_w, 5)),
    }
    return Sensitivity(
        draws=n,
        seed=params.sensitivity_seed,
        municipalities=muni,
        areas=area_frame,
        spearman=spearman,
        totals=totals,
        open_share=open_share_range(open_share),
    )


def run_sensitivity(
    inputs: EngineInputs,
    params: AllocationParams,
    base: Outcome | None = None,
    draws: int | None = None,
) -> Sensitivity:
    """Step 12 in one call: `draws` (default params.sensitivity_draws) perturbed runs."""
    base = base or allocate(inputs, params)
    result = perturbed(inputs, params, draws or params.sensitivity_draws)
    return summarise_sensitivity(inputs, params, base, result.totals, result.open_share)
