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

from .apportion import priority
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
    blocks: list[np.ndarray] = []
    for drivers in (TRANSITION_DRIVERS, ACCESSIBILITY_DRIVERS):
        values = at_horizon(drivers)
        blocks += [values, driver_shares(values)]
    counts = at_horizon(W_FEATURES)
    expected = np.zeros_like(counts)
    expected[:, len(W_FEATURES) - len(EXCESS_FEATURES) :] = expected_horizon
    blocks += [counts, expected, (counts - expected) * w_weights[None, :]]
    return pd.DataFrame(
        np.hstack(blocks), index=inputs.municipalities.index, columns=_DRIVER_COLUMNS.copy()
    )


def _driver_columns() -> pd.Index:
    names: list[str] = []
    for pillar, drivers in (
        ("transition", TRANSITION_DRIVERS),
        ("accessibility", ACCESSIBILITY_DRIVERS),
    ):
        names += [f"{pillar}.{d}.value" for d in drivers]
        names += [f"{pillar}.{d}.share" for d in drivers]
    names += [f"count.{f}" for f in W_FEATURES]
    names += [f"expected.{f}" for f in W_FEATURES]
    names += [f"w.{f}" for f in W_FEATURES]
    return pd.Index(names)


# The columns of `driver_frame`, built once (inferring an Index of strings costs more than
# copying one); each frame gets its own copy.
_DRIVER_COLUMNS = _driver_columns()


def coverage_levels(
    municipalities: pd.DataFrame, params: AllocationParams
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Per municipality the load at which its last coverage capacity came in and the load at
    which its next one would have (inf where it has no supply), and the water level: the
    lowest load any coverage capacity came in at, where the pillar stopped.

    Loads as the coverage methods see them (engine.pillars): W over the supply coverage
    water-filled on (S plus the other pillars' list relief) plus each capacity worth its
    list-relief share (a full capacity where coverage relieves nothing). NaN for the last
    of a municipality without coverage capacities; None for a run without any.
    """
    relief = params.list_relief["coverage"]
    step = relief if relief > 0 else 1.0
    w = municipalities["weighted_citizens"].to_numpy(np.float64)
    cov = municipalities["coverage"].to_numpy(np.float64)
    base = municipalities["effective_supply_after"].to_numpy(np.float64) - relief * cov
    last = np.where(cov > 0, priority(w, base, step * (cov - 1)), np.nan)
    following = priority(w, base, step * cov)
    level = float(np.nanmin(last)) if (cov > 0).any() else None
    return last, following, level


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row as a dict of Python scalars (and pd.NA), as ``frame.loc[key].to_dict()``
    gives it, for all rows at once."""
    names = [str(c) for c in frame.columns]
    dtypes = set(frame.dtypes.tolist())
    if len(dtypes) == 1 and isinstance(dtype := dtypes.pop(), np.dtype) and dtype.kind in "biuf":
        # One numpy number type (the driver frame): the frame's array gives every column at
        # once, the same scalars as each column's tolist().
        columns = frame.to_numpy().T.tolist()
    else:
        columns = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def _num(x: Any) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


class Explainer:
    """The explanations of one run's municipalities.

    What they all quote (the rows of the frames, the effective driver weights, the coverage
    levels) is read once here, so explaining every municipality of a run costs little more
    than explaining one. The frames are read on construction: build it after the run.
    """

    def __init__(
        self,
        *,
        municipalities: pd.DataFrame,
        drivers: pd.DataFrame,
        inputs_frame: pd.DataFrame,
        params: AllocationParams,
        w_scale: float = 1.0,
    ) -> None:
        self.params = params
        self.w_scale = w_scale
        self._position = {k: i for i, k in enumerate(municipalities.index.tolist())}
        self._rows = _rows(municipalities)
        same = drivers.index.equals(municipalities.index)
        self._drivers = _rows(drivers if same else drivers.loc[municipalities.index])
        self._effective = {
            "transition": effective_weights(
                inputs_frame, TRANSITION_DRIVERS, dict(params.transition_weights)
            ),
            "accessibility": effective_weights(
                inputs_frame, ACCESSIBILITY_DRIVERS, dict(params.accessibility_weights)
            ),
        }
        self._levels = coverage_levels(municipalities, params)

    def explain(self, kommunekode: int, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        """Structured explanation of one municipality's result, with a one-sentence
        summary; ``metrics`` the run's metrics, for the training pipeline's figures."""
        if kommunekode not in self._position:
            raise KeyError(f"unknown kommunekode {kommunekode}")
        at = self._position[kommunekode]
        row = self._rows[at]
        d = self._drivers[at]
        params = self.params
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
                # W = scale x the raw weighted sum; the scale makes Denmark's W in the base year
                # add up to its citizens (1 when normalise_weighted_citizens is off).
                "scale": float(self.w_scale),
                "normalised": params.normalise_weighted_citizens,
                "components": {
                    f: {
                        "citizens": float(d[f"count.{f}"]),
                        # What its age mix implies (None for the age bands themselves): the
                        # weight applies to citizens minus this.
                        "age_expected": (
                            float(d[f"expected.{f}"]) if f in EXCESS_FEATURES else None
                        ),
                        "weight": w_weights[f],
                        "scaled_weight": w_weights[f] * float(self.w_scale),
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
                "not_replaced": float(row["retiring_fte"]) - float(row["replaced"]),
                "supply_at_horizon": float(row["supply_at_horizon"]),
                "has_supply": float(row["supply_at_horizon"]) > 0,
                "pipeline": _pipeline(params, metrics or {}),
            },
            "load": {
                "before": _num(row["load_before"]),
                "after_coverage": _num(row["load_after_coverage"]),
                "after": _num(row["load_after"]),
                "list_norm": params.list_norm,
            },
        }
        for pillar, names, method in (
            ("transition", TRANSITION_DRIVERS, params.transition_method),
            ("accessibility", ACCESSIBILITY_DRIVERS, params.accessibility_method),
        ):
            eff = self._effective[pillar]
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
        last_load, next_load, level = self._levels
        result = int(row["coverage"])
        cap_binding = _int_or_none(row["coverage_cap"]) is not None
        last_in, next_in = _num(last_load[at]) if result > 0 else None, _num(next_load[at])
        out["coverage"] = {
            "method": params.coverage_method,
            "pillar_total": params.coverage,
            "result": int(row["coverage"]),
            "first_position": None if pd.isna(first) else int(first),
            "last_position": None if pd.isna(last) else int(last),
            "load_rank_before": int(row["load_rank_before"]),
            "cap_per_year": _int_or_none(row["coverage_cap_per_year"]),
            "cap_binding": cap_binding,
            # The water level and this municipality's place against it (None: unbounded, no
            # supply): its last capacity came in at last_load, its next would at next_load.
            "water_level": None if level is None else _num(level),
            "last_load": last_in,
            "next_load": next_in,
            "list_relief": params.list_relief["coverage"],
            "why_not_fewer": _why_not_fewer(result, last_load[at], level),
            "why_not_more": _why_not_more(cap_binding, next_load[at], level, params),
            "cap_total": _int_or_none(row["coverage_cap"]),
        }
        out["total"] = int(row["total"])
        out["sentence"] = _sentence(out)
        return out


def explain_municipality(
    kommunekode: int,
    *,
    municipalities: pd.DataFrame,
    drivers: pd.DataFrame,
    inputs_frame: pd.DataFrame,
    params: AllocationParams,
    w_scale: float = 1.0,
    metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Structured explanation of one municipality's result, with a one-sentence summary.

    ``w_scale`` is the factor applied to the raw weighted sums (engine.demand.need);
    ``metrics`` the run's metrics, for the training pipeline's figures. (`Explainer`
    explains many municipalities of one run for the cost of one.)"""
    if kommunekode not in municipalities.index:
        raise KeyError(f"unknown kommunekode {kommunekode}")
    explainer = Explainer(
        municipalities=municipalities,
        drivers=drivers,
        inputs_frame=inputs_frame,
        params=params,
        w_scale=w_scale,
    )
    return explainer.explain(kommunekode, metrics)


def _pipeline(params: AllocationParams, metrics: dict[str, Any]) -> dict[str, Any]:
    """The national phase-in and training pipeline the supply and the phase-in assume."""
    return {
        "phase_in_per_year": list(params.pipeline),
        "training_per_year": list(params.training_pipeline),
        "binding": params.pipeline_binding,
        "pipeline_total": metrics.get("pipeline_total"),
        "gross_need": metrics.get("gross_need"),
        "shortfall": metrics.get("shortfall"),
    }


def _why_not_fewer(result: int, last: float, level: float | None) -> str | None:
    """Why the municipality's last coverage capacity is there: it came in at or above the
    water level ('above_level'), or by a floor or the method's own rule ('method')."""
    if result == 0 or level is None:
        return None
    return "above_level" if last >= level else "method"


def _why_not_more(
    cap_binding: bool, following: float, level: float | None, params: AllocationParams
) -> str:
    """Why it has no further coverage capacity: its recruitment limit ('cap'), its next
    capacity would come in below the water level ('below_level'), or the method placed the
    pillar by another rule ('method', the deficit or the areas' shares)."""
    if cap_binding:
        return "cap"
    if level is None or following <= level:
        return "below_level"
    return "method" if params.coverage_method != "minmax" else "below_level"


def _ratio(a: Any, b: Any) -> float | None:
    return float(a) / float(b) if float(b) > 0 else None


def _int_or_none(x: Any) -> int | None:
    return None if pd.isna(x) else int(x)


def _fmt(x: float | None) -> str:
    return "no supply (unbounded)" if x is None else f"{x:,.0f}"


def _coverage_text(e: dict[str, Any]) -> str:
    c, s = e["coverage"], e["supply"]
    if not s["has_supply"]:
        where = (
            f"{c['result']} for coverage (it has no GP capacity of its own in "
            f"{e['need']['horizon']}, so its citizens weigh on no list and it comes first in "
            "the coverage order"
        )
    elif c["first_position"] is None:
        where = (
            f"{c['result']} for coverage (its load of {_fmt(e['load']['before'])} weighted "
            f"citizens per capacity, rank {c['load_rank_before']}, stays below the "
            "loads that the coverage capacities relieve"
        )
    else:
        where = (
            f"{c['result']} for coverage (first at position {c['first_position']} of "
            f"{c['pillar_total']} in the coverage order; load {_fmt(e['load']['before'])} → "
            f"{_fmt(e['load']['after_coverage'])} weighted citizens per capacity"
        )
    level = c["water_level"]
    if level is None:
        return where + ")"
    n = c["result"]
    fewer = (
        f"; its capacity number {n} came in at a load of {_fmt(c['last_load'])}, at or above "
        f"the water level of {_fmt(level)} where coverage stopped"
        if c["why_not_fewer"] == "above_level"
        else ""
    )
    if c["why_not_more"] == "cap":
        more = f"; a capacity number {n + 1} is held back by its recruitment limit"
    elif c["why_not_more"] == "below_level":
        more = (
            f"; a capacity number {n + 1} would have come in at {_fmt(c['next_load'])}, "
            f"below the water level of {_fmt(level)}"
        )
    else:
        more = f"; the {c['method']} method, not the water level, set the rest"
    return where + fewer + more + ")"


def _sentence(e: dict[str, Any]) -> str:
    t, a = e["transition"], e["accessibility"]
    c = e["coverage"]
    cov = _coverage_text(e)
    n, s = e["need"], e["supply"]
    growth = "" if n["growth"] is None else f", {n['growth'] - 1:+.1%}"
    need_text = (
        f"In {n['horizon']} {e['name']} has {n['weighted_citizens_horizon']:,.0f} "
        f"disease-weighted citizens ({n['weighted_citizens_base']:,.0f} in {n['base_year']}"
        f"{growth}; citizens 80+ {n['pop_80_plus_base']:,.0f} → {n['pop_80_plus_horizon']:,.0f})."
    )
    supply_text = (
        f"It has no GP capacity today and none at {n['horizon']}."
        if s["capacities_today"] <= 0
        else f"Of its {s['capacities_today']:,.1f} capacities today, "
        f"{s['retiring_fte']:,.1f} reach the retirement age of {s['retirement_age']} by "
        f"{n['horizon']} and "
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
