"""What a results page is about: the scenario, its latest succeeded run, the geography."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from allocation.models import AllocationRun, Scenario
from allocation.selectors import scenarios_with_runs
from clusters.models import DEFAULT_GEOGRAPHY, Geography
from clusters.selectors import geographies


def pick_scenario(scenarios: Sequence[Scenario], wanted: str | int | None) -> Scenario | None:
    """The scenario asked for if it is in ``scenarios``, else the default, else the first."""
    by_id = {str(s.pk): s for s in scenarios}
    if wanted is not None and str(wanted) in by_id:
        return by_id[str(wanted)]
    return next((s for s in scenarios if s.is_default), scenarios[0] if scenarios else None)


def pick_geography(options: Sequence[Geography], wanted: str | None) -> Geography | None:
    """The geography asked for if it is among ``options``, else the default one."""
    by_slug = {g.slug: g for g in options}
    return by_slug.get(wanted or "") or by_slug.get(DEFAULT_GEOGRAPHY)


@dataclass
class Scope:
    scenarios: list[Scenario]
    scenario: Scenario | None
    run: AllocationRun | None
    geographies: list[Geography]
    geography: Geography | None

    @property
    def geo_slug(self) -> str:
        return self.geography.slug if self.geography else ""

    @property
    def querystring(self) -> str:
        parts = []
        if self.scenario is not None and not self.scenario.is_default:
            parts.append(f"scenario={self.scenario.pk}")
        if self.geography is not None and self.geography.slug != "sundhedsklynger-21":
            parts.append(f"geography={self.geography.slug}")
        return ("?" + "&".join(parts)) if parts else ""

    def as_context(self) -> dict[str, Any]:
        return {
            "scenarios": self.scenarios,
            "scenario": self.scenario,
            "run": self.run,
            "geographies": self.geographies,
            "geography": self.geography,
            "scope_qs": self.querystring,
        }


def page_scope(
    request: HttpRequest, *, geography: bool = True, geography_slug: str | None = None
) -> Scope:
    """Three queries: visible scenarios and their latest runs; geographies (cached)."""
    scenarios = scenarios_with_runs(user=request.user)
    scenario = pick_scenario(scenarios, request.GET.get("scenario"))
    geos = geographies() if geography else []
    return Scope(
        scenarios=scenarios,
        scenario=scenario,
        run=getattr(scenario, "last_ok_run", None),
        geographies=geos,
        geography=pick_geography(geos, geography_slug or request.GET.get("geography"))
        if geos
        else None,
    )
