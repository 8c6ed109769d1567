"""Reads for the web pages: scenarios with their latest run, results joined to geography.

Every function here states its query count; the pages' query budgets are tested.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum

from accounts.policies import visible_scenarios
from allocation.models import (
    AllocationRun,
    MunicipalityResult,
    PhasingResult,
    Placement,
    RunStatus,
    Scenario,
    SensitivityBand,
)
from allocation.models import (
    AreaResult as StoredAreaResult,
)
from clusters.models import DEFAULT_GEOGRAPHY, Area, Geography, Membership
from municipalities.models import DemandIndicator, Municipality
from practices.models import Practice

PILLARS: tuple[str, ...] = ("transition", "coverage", "accessibility")


# --- scenarios and runs ----------------------------------------------------------------


def scenarios_for(user: Any) -> list[Scenario]:
    """Scenarios ``user`` may see, each with its latest run and latest succeeded run
    (attributes last_run_id, last_run_status, last_run_at, last_ok_run_id).

    Three plain queries: correlated subqueries cost more to compile than to run.
    """
    scenarios = list(
        visible_scenarios(user, Scenario.objects.all())
        .select_related("owner")
        .order_by("-is_default", "name", "id")
    )
    latest: dict[int, Any] = {}
    if scenarios:
        latest = {
            row["scenario_id"]: row
            for row in AllocationRun.objects.filter(scenario__in=[s.pk for s in scenarios])
            .values("scenario_id")
            .annotate(last=Max("id"), last_ok=Max("id", filter=Q(status=RunStatus.SUCCEEDED)))
        }
    wanted = {row["last"] for row in latest.values()} | {
        row["last_ok"] for row in latest.values() if row["last_ok"]
    }
    runs: dict[int, AllocationRun] = (
        {r.pk: r for r in AllocationRun.objects.filter(pk__in=wanted)} if wanted else {}
    )
    for s in scenarios:
        row = latest.get(s.pk)
        last = runs.get(row["last"]) if row else None
        ok = runs.get(row["last_ok"]) if row and row["last_ok"] else None
        s.last_run_id = last.pk if last else None
        s.last_run_status = last.status if last else None
        s.last_run_at = last.created_at if last else None
        s.last_ok_run_id = ok.pk if ok else None
        s.last_ok_run = ok
    return scenarios


def pick_scenario(scenarios: Sequence[Scenario], wanted: str | int | None) -> Scenario | None:
    """The scenario asked for if it is in ``scenarios``, else the default, else the first."""
    by_id = {str(s.pk): s for s in scenarios}
    if wanted is not None and str(wanted) in by_id:
        return by_id[str(wanted)]
    return next((s for s in scenarios if s.is_default), scenarios[0] if scenarios else None)


def get_run(run_id: int | None) -> AllocationRun | None:
    if run_id is None:
        return None
    return AllocationRun.objects.filter(pk=run_id).first()


def run_with_scenario(run_id: int) -> AllocationRun | None:
    return (
        AllocationRun.objects.select_related("scenario", "scenario__owner")
        .filter(pk=run_id)
        .first()
    )


def scenario_runs(*, scenario: Scenario, limit: int = 10) -> list[AllocationRun]:
    return list(
        AllocationRun.objects.filter(scenario=scenario)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def run_in_progress(*, scenario: Scenario) -> AllocationRun | None:
    return (
        AllocationRun.objects.filter(
            scenario=scenario, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        )
        .order_by("-created_at", "-id")
        .first()
    )


def default_scenario() -> Scenario | None:
    return Scenario.objects.filter(is_default=True).first()


# --- geographies -----------------------------------------------------------------------


_GEOGRAPHIES_KEY = "klyngeplan:geographies:v1"


def geographies() -> list[Geography]:
    """The planning geographies; cached for a few minutes (reference data)."""
    hit = cache.get(_GEOGRAPHIES_KEY)
    if hit is None:
        hit = list(Geography.objects.order_by("provisional", "slug"))
        cache.set(_GEOGRAPHIES_KEY, hit, 300)
    return list(hit)


def pick_geography(options: Sequence[Geography], wanted: str | None) -> Geography | None:
    by_slug = {g.slug: g for g in options}
    return by_slug.get(wanted or "") or by_slug.get(DEFAULT_GEOGRAPHY)


def memberships(geography: str) -> dict[int, tuple[str, str, str]]:
    """kommunekode -> (area slug, area name, hospital) in ``geography``. One query."""
    return {
        code: (slug, name, hospital)
        for code, slug, name, hospital in Membership.objects.filter(
            geography__slug=geography
        ).values_list("municipality_id", "area__slug", "area__name", "area__hospital")
    }


# --- results ---------------------------------------------------------------------------


@dataclass
class MuniResult:
    code: int
    name: str
    region: int
    population: int
    area: str
    area_name: str
    transition: int
    coverage: int
    accessibility: int
    total: int
    weighted_citizens: float
    supply_today: float
    supply_at_horizon: float
    load_before: float | None
    load_after: float | None
    coverage_rank: int | None

    @property
    def per_10k(self) -> float:
        return self.total / self.population * 10_000 if self.population else 0.0

    @property
    def load_change(self) -> float | None:
        if self.load_before is None or self.load_after is None:
            return None
        return self.load_after - self.load_before


@dataclass
class AreaResult:
    """One area of a run, as stored with the run (the engine's aggregation)."""

    slug: str
    name: str
    hospital: str
    municipalities: int
    population: int
    transition: int
    coverage: int
    accessibility: int
    total: int
    weighted_citizens: float
    supply_today: float
    supply_at_horizon: float
    supply_after: float
    load_before: float | None
    load_after: float | None

    @property
    def per_10k(self) -> float:
        return self.total / self.population * 10_000 if self.population else 0.0


AREA_FIELDS = (
    "area",
    "name",
    "municipalities",
    "population",
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "supply_today",
    "supply_at_horizon",
    "supply_after",
    "load_before",
    "load_after",
)


def _area(row: tuple[Any, ...], hospital: str) -> AreaResult:
    return AreaResult(row[0], row[1], hospital, *row[2:])


def area_results(
    *,
    run_id: int,
    geography: str,
    area_of: dict[int, tuple[str, str, str]],
    slugs: Iterable[str] | None = None,
) -> list[AreaResult]:
    """A run's stored results per area of ``geography`` (optionally some areas), sorted by
    name; ``area_of`` (memberships) gives the hospitals. One query."""
    hospitals = {slug: hospital for slug, _name, hospital in area_of.values()}
    qs = StoredAreaResult.objects.filter(run_id=run_id, geography=geography)
    if slugs is not None:
        qs = qs.filter(area__in=list(slugs))
    return [
        _area(r, hospitals.get(r[0], "")) for r in qs.order_by("name").values_list(*AREA_FIELDS)
    ]


def area_results_by_run(
    run_ids: Sequence[int], geographies: Sequence[str]
) -> dict[int, dict[str, dict[str, AreaResult]]]:
    """Stored area results of several runs: run -> geography -> area slug -> area (no
    hospital). ``nation`` (allocation.engine.NATION) is Denmark as one area. One query."""
    out: dict[int, dict[str, dict[str, AreaResult]]] = {
        r: {g: {} for g in geographies} for r in run_ids
    }
    for r in (
        StoredAreaResult.objects.filter(run_id__in=list(run_ids), geography__in=list(geographies))
        .order_by("name")
        .values_list("run_id", "geography", *AREA_FIELDS)
    ):
        out[r[0]][r[1]][r[2]] = _area(r[2:], "")
    return out


RESULT_FIELDS = (
    "municipality_id",
    "municipality__name",
    "municipality__region_id",
    "municipality__population",
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "supply_today",
    "supply_at_horizon",
    "load_before",
    "load_after",
    "coverage_rank",
)


def muni_results(
    *, run_id: int, area_of: dict[int, tuple[str, str, str]], codes: Iterable[int] | None = None
) -> list[MuniResult]:
    """A run's municipality results with their area in a geography. One query."""
    qs = MunicipalityResult.objects.filter(run_id=run_id)
    if codes is not None:
        qs = qs.filter(municipality_id__in=list(codes))
    out = []
    for r in qs.values_list(*RESULT_FIELDS).order_by("municipality__name"):
        area = area_of.get(r[0], ("", "", ""))
        out.append(
            MuniResult(
                code=r[0],
                name=r[1],
                region=r[2],
                population=r[3],
                area=area[0],
                area_name=area[1],
                transition=r[4],
                coverage=r[5],
                accessibility=r[6],
                total=r[7],
                weighted_citizens=r[8],
                supply_today=r[9],
                supply_at_horizon=r[10],
                load_before=r[11],
                load_after=r[12],
                coverage_rank=r[13],
            )
        )
    return out


def national_phasing(*, run_id: int, codes: Iterable[int] | None = None) -> dict[str, Any]:
    """New and cumulative capacities per year and pillar (optionally for some
    municipalities). One query."""
    qs = PhasingResult.objects.filter(run_id=run_id)
    if codes is not None:
        qs = qs.filter(municipality_id__in=list(codes))
    new: dict[str, dict[int, int]] = {p: {} for p in PILLARS}
    cum: dict[str, dict[int, int]] = {p: {} for p in PILLARS}
    for row in qs.values("year", "pillar").annotate(n=Sum("capacities"), c=Sum("cumulative")):
        new[row["pillar"]][row["year"]] = row["n"] or 0
        cum[row["pillar"]][row["year"]] = row["c"] or 0
    return {"new": new, "cumulative": cum}


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


def area_phasing(*, run_id: int, area_of: dict[int, tuple[str, str, str]]) -> dict[str, Any]:
    """Cumulative capacities per area and year (all pillars). One query."""
    per_area: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for code, year, c in (
        PhasingResult.objects.filter(run_id=run_id)
        .values("municipality_id", "year")
        .annotate(c=Sum("cumulative"))
        .values_list("municipality_id", "year", "c")
    ):
        if code in area_of:
            per_area[area_of[code][0]][year] += c or 0
    return {slug: dict(years) for slug, years in per_area.items()}


def sensitivity_bands(*, run_id: int, level: str, geography: str = "") -> list[SensitivityBand]:
    qs = SensitivityBand.objects.filter(run_id=run_id, level=level)
    if level == SensitivityBand.Level.AREA:
        qs = qs.filter(geography=geography)
    return list(qs)


def sensitivity_geographies(*, run_id: int) -> list[str]:
    return list(
        SensitivityBand.objects.filter(run_id=run_id, level=SensitivityBand.Level.AREA)
        .values_list("geography", flat=True)
        .distinct()
    )


# --- one area, one municipality --------------------------------------------------------


def area_detail(*, geography: str, slug: str) -> Area | None:
    return (
        Area.objects.select_related("geography")
        .filter(geography__slug=geography, slug=slug)
        .first()
    )


def municipality_detail(code: int) -> Municipality | None:
    return (
        Municipality.objects.select_related("region")
        .defer("boundary")
        .filter(kommunekode=code)
        .first()
    )


def municipality_areas(code: int) -> list[tuple[Geography, Area]]:
    """The municipality's area in every geography. One query."""
    return [
        (m.geography, m.area)
        for m in Membership.objects.filter(municipality_id=code)
        .select_related("geography", "area")
        .order_by("geography__provisional", "geography__slug")
    ]


def municipality_result(*, run_id: int, code: int) -> MunicipalityResult | None:
    return MunicipalityResult.objects.filter(run_id=run_id, municipality_id=code).first()


def demand_indicators(code: int) -> dict[str, DemandIndicator]:
    """The latest value of each indicator for a municipality. One query."""
    out: dict[str, DemandIndicator] = {}
    for d in DemandIndicator.objects.filter(municipality_id=code).order_by("indicator", "year"):
        out[d.indicator] = d
    return out


def practices_in(codes: Iterable[int], *, limit: int | None = None) -> list[Practice]:
    qs = (
        Practice.objects.filter(municipality_id__in=list(codes))
        .select_related("municipality")
        .defer("municipality__boundary")
        .annotate(doctor_count=Count("doctors"))
        .order_by("municipality__name", "ydernummer")
    )
    return list(qs[:limit] if limit else qs)


def placements_in(*, run_id: int, codes: Iterable[int]) -> list[Placement]:
    return list(
        Placement.objects.filter(run_id=run_id, municipality_id__in=list(codes)).order_by(
            "year", "ydernummer", "id"
        )
    )


# --- the map ---------------------------------------------------------------------------

_GEOJSON_KEY = "klyngeplan:municipalities.geojson:v1"


def municipalities_geojson() -> tuple[bytes, str]:
    """The 98 municipality boundaries as one FeatureCollection (feature id = kommunekode),
    and its ETag. Cached: boundaries change only when the reference data is reloaded,
    which also changes the ETag (it hashes the content)."""
    hit = cache.get(_GEOJSON_KEY)
    if hit is not None:
        return hit[0], hit[1]
    features = [
        {"type": "Feature", "id": code, "properties": {"name": name}, "geometry": boundary}
        for code, name, boundary in Municipality.objects.filter(boundary__isnull=False)
        .order_by("kommunekode")
        .values_list("kommunekode", "name", "boundary")
    ]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    cache.set(_GEOJSON_KEY, (body, etag), 3600)
    return body, etag


# --- compare ---------------------------------------------------------------------------


def results_by_run(
    run_ids: Sequence[int], area_of: dict[int, tuple[str, str, str]]
) -> dict[int, list[MuniResult]]:
    """Municipality results of several runs. One query."""
    out: dict[int, list[MuniResult]] = {r: [] for r in run_ids}
    for r in (
        MunicipalityResult.objects.filter(run_id__in=list(run_ids))
        .values_list("run_id", *RESULT_FIELDS)
        .order_by("municipality__name")
    ):
        area = area_of.get(r[1], ("", "", ""))
        out[r[0]].append(
            MuniResult(
                code=r[1],
                name=r[2],
                region=r[3],
                population=r[4],
                area=area[0],
                area_name=area[1],
                transition=r[5],
                coverage=r[6],
                accessibility=r[7],
                total=r[8],
                weighted_citizens=r[9],
                supply_today=r[10],
                supply_at_horizon=r[11],
                load_before=r[12],
                load_after=r[13],
                coverage_rank=r[14],
            )
        )
    return out


def runs_by_id(run_ids: Sequence[int]) -> dict[int, AllocationRun]:
    return {r.pk: r for r in AllocationRun.objects.filter(pk__in=list(run_ids))}


# --- practice register -----------------------------------------------------------------


def practice_register(
    *,
    q: str = "",
    region: int | None = None,
    municipality: int | None = None,
    open_to_new_patients: bool | None = None,
    form: str = "",
) -> QuerySet[Practice]:
    """Practices matching a search (name or ydernummer) and filters, with their doctors."""
    qs = (
        Practice.objects.select_related("municipality", "municipality__region")
        .defer("municipality__boundary")
        .annotate(doctor_count=Count("doctors"))
        .order_by("municipality__name", "ydernummer")
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(ydernummer__startswith=q))
    if region is not None:
        qs = qs.filter(municipality__region_id=region)
    if municipality is not None:
        qs = qs.filter(municipality_id=municipality)
    if open_to_new_patients is not None:
        qs = qs.filter(open_to_new_patients=open_to_new_patients)
    if form:
        qs = qs.filter(form=form)
    return qs


def practice_by_ydernummer(ydernummer: str) -> Practice | None:
    return (
        Practice.objects.select_related("municipality", "municipality__region")
        .defer("municipality__boundary")
        .filter(ydernummer=ydernummer)
        .first()
    )


def practice_changes(practice: Practice) -> list[Any]:
    from practices.models import PracticeChange

    return list(PracticeChange.objects.filter(practice=practice).select_related("user"))


def regions_and_municipalities() -> tuple[list[Any], list[Any]]:
    from municipalities.models import Region

    return (
        list(Region.objects.all()),
        list(Municipality.objects.defer("boundary").order_by("name")),
    )


# --- exports ---------------------------------------------------------------------------


def run_phasing_rows(run_id: int) -> list[tuple[Any, ...]]:
    return list(
        PhasingResult.objects.filter(run_id=run_id)
        .order_by("municipality_id", "year", "pillar")
        .values_list(
            "municipality_id", "municipality__name", "year", "pillar", "capacities", "cumulative"
        )
    )


def run_placement_rows(run_id: int) -> list[tuple[Any, ...]]:
    return list(
        Placement.objects.filter(run_id=run_id)
        .order_by("year", "municipality_id", "id")
        .values_list(
            "year",
            "municipality_id",
            "municipality__name",
            "ydernummer",
            "pillar",
            "kind",
            "reason",
        )
    )


def run_band_rows(run_id: int) -> list[tuple[Any, ...]]:
    return list(
        SensitivityBand.objects.filter(run_id=run_id)
        .order_by("level", "geography", "key")
        .values_list("level", "geography", "key", "base", "p5", "p50", "p95")
    )


def engine_indicator_rows() -> list[tuple[Any, ...]]:
    from municipalities.models import ENGINE_INDICATORS

    return list(
        DemandIndicator.objects.filter(indicator__in=ENGINE_INDICATORS)
        .order_by("municipality_id", "indicator", "year")
        .values_list(
            "municipality_id",
            "municipality__name",
            "indicator",
            "year",
            "value",
            "status",
            "source",
        )
    )


def latest_ok_run(scenario: Scenario) -> AllocationRun | None:
    return (
        AllocationRun.objects.filter(scenario=scenario, status=RunStatus.SUCCEEDED)
        .order_by("-created_at", "-id")
        .first()
    )
