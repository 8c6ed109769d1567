"""Explanations (docs/model.md#explanation): why a municipality gets what it gets.

`driver_frame` holds, per municipality, every number an explanation quotes (driver values,
national shares, the weighted-citizen components); `explain_municipality` turns one row
into a structured dict and a short sentence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .demand import EXCESS_FEATURES, W_FEATURES, driver_shares
from .inputs import EngineInputs
from .params import ACCESSIBILITY_DRIVERS, TRANSITION_DRIVERS, AllocationParams


def effective_weights(
    municipalities: pd.DataFrame, drivers: tuple[str, ...], weights: dict[str, float]
) -> dict[str, float]:
    """Driver weights as used: drivers with no value anywhere drop out (see driver_index)."""
    present = {d: weights[d] for d in drivers if municipalities[d].sum() > 0}
    total = sum(present.values())
    return {d: (present.get(d, 0.0) / total if total > 0 else 0.0) for d in drivers}


def driver_frame(
    inputs: EngineInputs,
    w_weights: np.ndarray,
    at_horizon: Callable[[tuple[str, ...]], np.ndarray],
    expected_horizon: np.ndarray,
) -> pd.DataFrame:
    """Per municipality: driver values and national shares, weighted-citizen components,
    all at the horizon (``at_horizon`` carries municipal columns there, see engine.demand).

    ``expected_horizon`` (M, len(EXCESS_FEATURES)) holds the age-expected counts: an extra
    weight applies to the count less its expected part (engine.demand.age_expected)."""
    names: list[str] = []
    blocks: list[np.ndarray] = []
    for pillar, drivers in (
        ("transition", TRANSITION_DRIVERS),
        ("accessibility", ACCESSIBILITY_DRIVERS),
    ):
        values = at_horizon(drivers)
        blocks += [values, driver_shares(values)]
        names += [f"{pillar}.{d}.value" for d in drivers]
        names += [f"{pillar}.{d}.share" for d in drivers]
    counts = at_horizon(W_FEATURES)
    expected = np.zeros_like(counts)
    expected[:, len(W_FEATURES) - len(EXCESS_FEATURES) :] = expected_horizon
    blocks += [counts, expected, (counts - expected) * w_weights[None, :]]
    names += [f"count.{f}" for f in W_FEATURES]
    names += [f"expected.{f}" for f in W_FEATURES]
    names += [f"w.{f}" for f in W_FEATURES]
    return pd.DataFrame(np.hstack(blocks), index=inputs.municipalities.index, columns=names)


def _row(frame: pd.DataFrame, key: int) -> dict[str, Any]:
    return {str(k): v for k, v in frame.loc[key].to_dict().items()}


def _num(x: Any) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def explain_municipality(
    kommunekode: int,
    *,
    municipalities: pd.DataFrame,
    drivers: pd.DataFrame,
    inputs_frame: pd.DataFrame,
    params: AllocationParams,
) -> dict[str, Any]:
    """Structured explanation of one municipality's result, with a one-sentence summary."""
    if kommunekode not in municipalities.index:
        raise KeyError(f"unknown kommunekode {kommunekode}")
    row = _row(municipalities, kommunekode)
    d = _row(drivers, kommunekode)
    w_weights = {
        **{b: params.age_weights[b] for b in W_FEATURES[:4]},
        "chronic": params.chronic_weight,
        "multimorbid": params.multimorbid_weight,
        "vulnerable": params.vulnerable_weight,
    }
    out: dict[str, Any] = {
        "kommunekode": int(kommunekode),
        "name": str(row["name"]),
        "need": {
            "base_year": params.base_year,
            "horizon": params.horizon,
            "weighted_citizens_base": float(row["weighted_citizens_base"]),
            "weighted_citizens_horizon": float(row["weighted_citizens_horizon"]),
            "growth": _ratio(row["weighted_citizens_horizon"], row["weighted_citizens_base"]),
            "population_base": float(row["population_base"]),
            "population_horizon": float(row["population_horizon"]),
            "pop_80_plus_base": float(row["pop_80_plus_base"]),
            "pop_80_plus_horizon": float(row["pop_80_plus_horizon"]),
        },
        # The components at the horizon (the counts carried forward, docs/model.md).
        "weighted_citizens": {
            "year": params.horizon,
            "total": float(row["weighted_citizens"]),
            "components": {
                f: {
                    "citizens": float(d[f"count.{f}"]),
                    # What its age mix implies (None for the age bands themselves): the
                    # weight applies to citizens minus this.
                    "age_expected": (
                        float(d[f"expected.{f}"]) if f in EXCESS_FEATURES else None
                    ),
                    "weight": w_weights[f],
                    "weighted": float(d[f"w.{f}"]),
                }
                for f in W_FEATURES
            },
        },
        "supply": {
            "capacities_today": float(row["capacities_today"]),
            "retiring_fte": float(row["retiring_fte"]),
            "retirement_age": params.retirement_age,
            "replacement_share": params.replacement_share,
            "replaced": float(row["replaced"]),
            "supply_at_horizon": float(row["supply_at_horizon"]),
        },
        "load": {
            "before": _num(row["load_before"]),
            "after_coverage": _num(row["load_after_coverage"]),
            "after": _num(row["load_after"]),
            "list_norm": params.list_norm,
        },
    }
    for pillar, names, weights, method in (
        ("transition", TRANSITION_DRIVERS, params.transition_weights, params.transition_method),
        (
            "accessibility",
            ACCESSIBILITY_DRIVERS,
            params.accessibility_weights,
            params.accessibility_method,
        ),
    ):
        eff = effective_weights(inputs_frame, names, dict(weights))
        index = float(row[f"{pillar}_index"])
        total = int(getattr(params, pillar))
        out[pillar] = {
            "method": method,
            "pillar_total": total,
            "index": index,
            "quota": index * total,
            "result": int(row[pillar]),
            "drivers": {
                n: {
                    "value": float(d[f"{pillar}.{n}.value"]),
                    "national_share": float(d[f"{pillar}.{n}.share"]),
                    "weight": eff[n],
                    "contribution": eff[n] * float(d[f"{pillar}.{n}.share"]),
                }
                for n in names
            },
        }
    first = row["coverage_first_position"]
    last = row["coverage_last_position"]
    out["coverage"] = {
        "method": params.coverage_method,
        "pillar_total": params.coverage,
        "result": int(row["coverage"]),
        "first_position": None if pd.isna(first) else int(first),
        "last_position": None if pd.isna(last) else int(last),
        "load_rank_before": int(row["load_rank_before"]),
        "cap_per_year": _int_or_none(row["coverage_cap_per_year"]),
        "cap_binding": _int_or_none(row["coverage_cap"]) is not None,
        "cap_total": _int_or_none(row["coverage_cap"]),
    }
    out["total"] = int(row["total"])
    out["sentence"] = _sentence(out)
    return out


def _ratio(a: Any, b: Any) -> float | None:
    return float(a) / float(b) if float(b) > 0 else None


def _int_or_none(x: Any) -> int | None:
    return None if pd.isna(x) else int(x)


def _fmt(x: float | None) -> str:
    return "no supply (unbounded)" if x is None else f"{x:,.0f}"


def _sentence(e: dict[str, Any]) -> str:
    t, c, a = e["transition"], e["coverage"], e["accessibility"]
    if c["first_position"] is None:
        cov = (
            f"{c['result']} for coverage (its load of {_fmt(e['load']['before'])} weighted "
            f"citizens per capacity, rank {c['load_rank_before']}, stays below the "
            "loads that the coverage capacities relieve)"
        )
    else:
        cov = (
            f"{c['result']} for coverage (first at position {c['first_position']} of "
            f"{c['pillar_total']} in the coverage order; load {_fmt(e['load']['before'])} → "
            f"{_fmt(e['load']['after_coverage'])} weighted citizens per capacity)"
        )
    n, s = e["need"], e["supply"]
    growth = "" if n["growth"] is None else f", {n['growth'] - 1:+.1%}"
    need_text = (
        f"In {n['horizon']} {e['name']} has {n['weighted_citizens_horizon']:,.0f} "
        f"disease-weighted citizens ({n['weighted_citizens_base']:,.0f} in {n['base_year']}"
        f"{growth}; citizens 80+ {n['pop_80_plus_base']:,.0f} → {n['pop_80_plus_horizon']:,.0f})."
    )
    supply_text = (
        f"Of its {s['capacities_today']:,.1f} capacities today, {s['retiring_fte']:,.1f} reach "
        f"the retirement age of {s['retirement_age']} by {n['horizon']} and "
        f"{s['replaced']:,.1f} of them are replaced (the assumed replacement share of "
        f"{s['replacement_share']:.0%}), leaving {s['supply_at_horizon']:,.1f} in "
        f"{n['horizon']}."
    )
    cap_text = ""
    if c["cap_per_year"] is not None:
        per_year = c["cap_per_year"]
        limit = f"{per_year} new {'capacity' if per_year == 1 else 'capacities'} a year"
        if c["cap_binding"]:
            cap_text = f" Coverage is held at {c['cap_total']} by its recruitment limit of {limit}."
        else:
            cap_text = f" Its recruitment limit of {limit} does not bind."
    return (
        f"{need_text} {supply_text} "
        f"{e['name']} gets {e['total']} new capacities: {t['result']} for transition "
        f"({t['index']:.2%} of the weighted drivers, quota {t['quota']:.2f}), {cov} and "
        f"{a['result']} for accessibility ({a['index']:.2%}, quota {a['quota']:.2f})."
        f"{cap_text}"
    )
