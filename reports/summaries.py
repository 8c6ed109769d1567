"""Key figures and year series of a run for the pages, reports and exports (no queries)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from allocation.models import AllocationRun
from reports.results import PILLARS, MuniResult


def fill_years(series: dict[int, int], years: Sequence[int], cumulative: bool) -> list[int]:
    """Values for every year; a cumulative series carries its last value forward."""
    out: list[int] = []
    last = 0
    for y in years:
        if y in series:
            last = series[y]
            out.append(series[y])
        else:
            out.append(last if cumulative else 0)
    return out


def pillar_series(
    phasing: dict[str, Any], years: Sequence[int], *, cumulative: bool = True
) -> dict[str, list[int]]:
    """pillar -> a value per year, from :func:`allocation.selectors.phasing_totals`."""
    key = "cumulative" if cumulative else "new"
    return {p: fill_years(phasing[key][p], years, cumulative) for p in PILLARS}


def _get(mapping: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


@dataclass(frozen=True)
class KeyFigures:
    capacities_today: float
    capacities_horizon: float
    new_total: int
    transition: int
    coverage: int
    accessibility: int
    max_load_before: float | None
    max_load_after: float | None
    p90_load_before: float | None
    p90_load_after: float | None
    above_norm_before: int | None
    above_norm_after: int | None
    citizens_above_before: float | None
    citizens_above_after: float | None
    open_share_before: float | None
    open_share_after: float | None
    open_share_observed: float | None
    open_share_target: float | None
    open_share_target_year: int | None
    list_norm: float | None
    horizon: int | None
    gini_before: float | None
    gini_after: float | None
    # The scenario against the statutory reference (none on runs stored before it existed).
    statutory_geography: str | None = None
    statutory_stock: int | None = None
    statutory_absolute_deviation: float | None = None
    statutory_below_name: str | None = None
    statutory_below: float | None = None
    statutory_above_name: str | None = None
    statutory_above: float | None = None
    # The open share's P5-P95 from the sensitivity draws, the 2030 projection and the
    # closing threshold (none on runs stored before them).
    open_share_p5: float | None = None
    open_share_p95: float | None = None
    open_share_2030: float | None = None
    open_threshold: str | None = None

    @property
    def open_target_met(self) -> bool:
        """The target is for 2030: measured by the 2030 projection where the run has one."""
        value = self.open_share_2030 if self.open_share_2030 is not None else self.open_share_after
        return (
            value is not None
            and self.open_share_target is not None
            and value >= self.open_share_target
        )


def key_figures(run: AllocationRun, rows: Sequence[MuniResult]) -> KeyFigures:
    return key_figures_of(metrics=run.metrics, totals=run.totals, params=run.params, rows=rows)


def key_figures_of(
    *,
    metrics: dict[str, Any] | None,
    totals: dict[str, Any] | None,
    params: dict[str, Any] | None,
    rows: Sequence[MuniResult],
) -> KeyFigures:
    """The key figures of a run, or of a preview (its outcome's metrics and totals)."""
    m = metrics or {}
    t = totals or {}
    # The national figures are the engine's own sums (its metrics and totals). Only a run
    # stored before the engine reported one has it added up from its rows here.
    new_total = int(t.get("total", sum(r.total for r in rows)))
    today = m.get("supply_today")
    at_horizon = m.get("supply_at_horizon")
    return KeyFigures(
        capacities_today=today if today is not None else sum(r.supply_today for r in rows),
        capacities_horizon=(
            at_horizon if at_horizon is not None else sum(r.supply_at_horizon for r in rows)
        )
        + new_total,
        new_total=new_total,
        transition=int(t.get("transition", sum(r.transition for r in rows))),
        coverage=int(t.get("coverage", sum(r.coverage for r in rows))),
        accessibility=int(t.get("accessibility", sum(r.accessibility for r in rows))),
        max_load_before=_get(m, "before", "max_load"),
        max_load_after=_get(m, "after", "max_load"),
        p90_load_before=_get(m, "before", "p90_load"),
        p90_load_after=_get(m, "after", "p90_load"),
        above_norm_before=_get(m, "before", "municipalities_above_norm"),
        above_norm_after=_get(m, "after", "municipalities_above_norm"),
        citizens_above_before=_get(m, "before", "citizens_above_norm"),
        citizens_above_after=_get(m, "after", "citizens_above_norm"),
        open_share_before=_get(m, "before", "open_share"),
        open_share_after=_get(m, "after", "open_share"),
        open_share_observed=m.get("open_share_observed"),
        open_share_target=m.get("open_share_target"),
        open_share_target_year=m.get("open_share_target_year"),
        open_share_p5=_get(m, "after", "open_share_p5"),
        open_share_p95=_get(m, "after", "open_share_p95"),
        open_share_2030=m.get("open_share_2030"),
        open_threshold=m.get("open_threshold"),
        list_norm=m.get("list_norm") or _get(params, "list_norm"),
        horizon=_get(params, "horizon"),
        gini_before=_get(m, "before", "gini_capacity_per_weighted_citizen"),
        gini_after=_get(m, "after", "gini_capacity_per_weighted_citizen"),
        statutory_geography=_get(m, "statutory", "geography"),
        statutory_stock=_get(m, "statutory", "stock"),
        statutory_absolute_deviation=_get(m, "statutory", "absolute_deviation"),
        statutory_below_name=_get(m, "statutory", "largest_below", "name"),
        statutory_below=_get(m, "statutory", "largest_below", "deviation"),
        statutory_above_name=_get(m, "statutory", "largest_above", "name"),
        statutory_above=_get(m, "statutory", "largest_above", "deviation"),
    )
