"""What a results page is about: the scenario, its latest succeeded run, the geography."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from accounts.policies import region_of
from allocation.models import AllocationRun, Scenario
from allocation.selectors import scenarios_with_runs
from clusters.models import DEFAULT_GEOGRAPHY, Geography
from clusters.selectors import geographies
from municipalities.models import Region
from municipalities.selectors import region_get

# ``?region=all``: the whole country, also for a planner (who lands on their own region).
ALL_REGIONS = "all"


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
    # The region the page opens on (a planner's own, or ``?region=``); None: all Denmark.
    region: Region | None = None
    # ``?region=`` as asked ("" when not asked): kept in the page's links.
    region_param: str = ""

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
        if self.region_param:
            parts.append(f"region={self.region_param}")
        return ("?" + "&".join(parts)) if parts else ""

    def as_context(self) -> dict[str, Any]:
        return {
            "scenarios": self.scenarios,
            "scenario": self.scenario,
            "run": self.run,
            "geographies": self.geographies,
            "geography": self.geography,
            "scope_qs": self.querystring,
            "region": self.region,
        }


def pick_region(request: HttpRequest) -> tuple[Region | None, str]:
    """The region a page opens on and the ``region`` parameter as asked: ``?region=all``
    is all Denmark, ``?region=1081`` that region, and without it a planner's own region
    (None for a user without one). One query when there is a region."""
    wanted = request.GET.get("region", "")
    if wanted == ALL_REGIONS:
        return None, wanted
    code = int(wanted) if wanted.isdigit() else region_of(request.user)
    region = region_get(code=code) if code is not None else None
    return region, (wanted if region is not None and wanted.isdigit() else "")


def page_scope(
    request: HttpRequest,
    *,
    geography: bool = True,
    geography_slug: str | None = None,
    region: bool = False,
) -> Scope:
    """Three queries: visible scenarios and their latest runs; geographies (cached); with
    ``region``, the region the page opens on (:func:`pick_region`), one more."""
    scenarios = scenarios_with_runs(user=request.user)
    scenario = pick_scenario(scenarios, request.GET.get("scenario"))
    geos = geographies() if geography else []
    chosen, param = pick_region(request) if region else (None, "")
    return Scope(
        scenarios=scenarios,
        scenario=scenario,
        run=getattr(scenario, "last_ok_run", None),
        geographies=geos,
        geography=pick_geography(geos, geography_slug or request.GET.get("geography"))
        if geos
        else None,
        region=chosen,
        region_param=param,
    )
