"""What a results page is about: the scenario, its latest succeeded run, the geography."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from allocation.models import AllocationRun, Scenario
from clusters.models import Geography
from reports import selectors


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
    scenarios = selectors.scenarios_for(request.user)
    scenario = selectors.pick_scenario(scenarios, request.GET.get("scenario"))
    geos = selectors.geographies() if geography else []
    return Scope(
        scenarios=scenarios,
        scenario=scenario,
        run=getattr(scenario, "last_ok_run", None),
        geographies=geos,
        geography=selectors.pick_geography(geos, geography_slug or request.GET.get("geography"))
        if geos
        else None,
    )
