"""The scenario editor's live what-if: an engine outcome computed in the web process (by
``allocation.selectors.preview``, stored nowhere) as the rows, key figures and figures the
result pages draw from stored runs (no queries)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from allocation.engine import Outcome
from allocation.engine.frames import json_safe
from reports import charts
from reports.results import AreaResult, MuniResult
from reports.summaries import KeyFigures, key_figures_of


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def preview_rows(
    outcome: Outcome, area_of: dict[int, tuple[str, str, str]]
) -> tuple[list[MuniResult], list[AreaResult]]:
    """The outcome's municipalities (with their area in ``area_of``) and its areas of the
    scenario's geography, as the stored rows of a run read."""
    m = outcome.municipalities
    munis = []
    for code, r in zip(m.index.tolist(), m.itertuples(index=False), strict=True):
        area = area_of.get(int(code), ("", "", ""))
        munis.append(
            MuniResult(
                code=int(code),
                name=str(r.name),
                region=0,
                population=int(r.population),
                area=area[0],
                area_name=area[1],
                transition=int(r.transition),
                coverage=int(r.coverage),
                accessibility=int(r.accessibility),
                total=int(r.total),
                weighted_citizens=float(r.weighted_citizens),
                supply_today=float(r.capacities_today),
                supply_at_horizon=float(r.supply_at_horizon),
                load_before=_finite(r.load_before),
                load_after=_finite(r.load_after),
                coverage_rank=int(r.load_rank_before),
            )
        )
    hospitals = {slug: hospital for slug, _name, hospital in area_of.values()}
    areas = [
        AreaResult(
            slug=str(slug),
            name=str(a.name),
            hospital=hospitals.get(str(slug), ""),
            municipalities=int(a.municipalities),
            population=int(a.population),
            transition=int(a.transition),
            coverage=int(a.coverage),
            accessibility=int(a.accessibility),
            total=int(a.total),
            weighted_citizens=float(a.weighted_citizens),
            supply_today=float(a.capacities_today),
            supply_at_horizon=float(a.supply_at_horizon),
            supply_after=float(a.supply_at_horizon) + int(a.total),
            load_before=_finite(a.load_before),
            load_after=_finite(a.load_after),
        )
        for slug, a in zip(outcome.areas.index.tolist(), outcome.areas.itertuples(), strict=True)
    ]
    return munis, areas


@dataclass(frozen=True)
class Preview:
    kpi: KeyFigures
    map_figure: dict[str, Any]
    areas_figure: dict[str, Any]


def preview_of(
    outcome: Outcome,
    *,
    area_of: dict[int, tuple[str, str, str]],
    geography_name: str,
    metric: str,
    muni_link: Callable[[int], str],
    area_link: Callable[[str], str],
    geojson_url: str,
) -> Preview:
    rows, areas = preview_rows(outcome, area_of)
    return Preview(
        kpi=key_figures_of(
            metrics=json_safe(outcome.metrics),
            totals=outcome.totals,
            params=outcome.params.to_dict(),
            rows=rows,
        ),
        map_figure=charts.municipality_map(
            rows, metric=metric, link=muni_link, geojson_url=geojson_url, height=360
        ),
        areas_figure=charts.areas_stacked(
            sorted(areas, key=lambda a: -a.total),
            link=area_link,
            title=_("New capacities per area (%(geo)s), by pillar") % {"geo": geography_name},
        ),
    )
