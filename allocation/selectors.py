"""Reads for the allocation: engine inputs from the database, and the stored results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
from django.db.models import QuerySet

from allocation.engine import EngineInputs
from allocation.engine.inputs import MUNICIPALITY_COLUMNS
from allocation.models import (
    AllocationRun,
    MunicipalityResult,
    RunStatus,
    Scenario,
)
from clusters.models import Area, Membership
from municipalities.models import (
    ENGINE_INDICATORS,
    DemandIndicator,
    Municipality,
    PopulationProjection,
)
from practices.models import Doctor, Practice


def build_engine_inputs(*, year: int | None = None) -> EngineInputs:
    """The engine's inputs from the database.

    Each indicator takes its latest year up to ``year`` (all years when None), per
    municipality, so an imported newer value replaces the reference estimate; the population
    projection is its own input (future years are not today's data). Six queries.
    """
    munis = pd.DataFrame.from_records(
        Municipality.objects.order_by("kommunekode").values("kommunekode", "name", "population"),
        index="kommunekode",
    )
    indicators = DemandIndicator.objects.filter(indicator__in=ENGINE_INDICATORS)
    if year is not None:
        indicators = indicators.filter(year__lte=year)
    frame = pd.DataFrame.from_records(
        indicators.values("municipality_id", "year", "indicator", "value"),
        columns=["municipality_id", "year", "indicator", "value"],
    )
    latest = (
        frame.sort_values("year")
        .groupby(["municipality_id", "indicator"])["value"]
        .last()
        .unstack()
        .reindex(index=munis.index, columns=list(ENGINE_INDICATORS))
    )
    missing = latest.isna()
    if missing.to_numpy().any():
        code, ind = next((c, i) for c in latest.index for i in latest.columns if missing.at[c, i])
        raise ValueError(f"municipality {code} has no value for indicator {ind!r}")
    munis = munis.join(latest)
    munis = munis.loc[:, ["name", *MUNICIPALITY_COLUMNS]]

    practices = pd.DataFrame.from_records(
        Practice.objects.values_list(
            "ydernummer",
            "municipality_id",
            "capacities",
            "listed_patients",
            "open_to_new_patients",
        ),
        columns=["ydernummer", "kommunekode", "capacities", "listed_patients", "open"],
    )
    practices["capacities"] = practices["capacities"].astype(float)
    doctors = pd.DataFrame.from_records(
        Doctor.objects.values_list(
            "practice__ydernummer", "practice__municipality_id", "birth_year", "fte"
        ),
        columns=["ydernummer", "kommunekode", "birth_year", "fte"],
    )
    doctors["fte"] = doctors["fte"].astype(float)

    geographies: dict[str, dict[int, str]] = defaultdict(dict)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for geo, code, slug, name in Membership.objects.values_list(
        "geography__slug", "municipality_id", "area__slug", "area__name"
    ):
        geographies[geo][code] = slug
        names[geo][slug] = name
    # Every projected year: an imported value where there is one (it replaced the estimate's
    # row), the shipped estimate elsewhere.
    projection = pd.DataFrame.from_records(
        PopulationProjection.objects.values_list("municipality_id", "year", "age_band", "value"),
        columns=["kommunekode", "year", "band", "value"],
    )
    return EngineInputs(
        municipalities=munis,
        practices=practices,
        doctors=doctors,
        geographies={g: pd.Series(m).sort_index() for g, m in geographies.items()},
        area_names=dict(names),
        projection=projection if len(projection) else None,
    )


# --- runs and results ------------------------------------------------------------------


def latest_run(*, scenario: Scenario, succeeded_only: bool = True) -> AllocationRun | None:
    runs = AllocationRun.objects.filter(scenario=scenario)
    if succeeded_only:
        runs = runs.filter(status=RunStatus.SUCCEEDED)
    return runs.order_by("-created_at", "-id").first()


def municipality_results(*, run: AllocationRun) -> QuerySet[MunicipalityResult]:
    return (
        MunicipalityResult.objects.filter(run=run)
        .select_related("municipality")
        .defer("municipality__boundary")
        .order_by("municipality_id")
    )


RESULT_SUMS = (
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "supply_today",
    "supply_at_horizon",
)


def area_results(*, run: AllocationRun, geography: str) -> list[dict[str, Any]]:
    """Results summed per area of ``geography``, with loads recomputed from the sums.

    Two queries whatever the geography.
    """
    area_of = dict(
        Membership.objects.filter(geography__slug=geography).values_list(
            "municipality_id", "area_id"
        )
    )
    areas: dict[int, dict[str, Any]] = {
        a.pk: {
            "area": a.slug,
            "name": a.name,
            "hospital": a.hospital,
            "municipalities": 0,
            "population": 0,
            **dict.fromkeys(RESULT_SUMS, 0.0),
        }
        for a in Area.objects.filter(geography__slug=geography)
    }
    rows: list[dict[str, Any]] = list(
        MunicipalityResult.objects.filter(run=run).values(
            "municipality_id", "municipality__population", *RESULT_SUMS
        )
    )
    for r in rows:
        row = areas[area_of[r["municipality_id"]]]
        row["municipalities"] += 1
        row["population"] += r["municipality__population"]
        for key in RESULT_SUMS:
            row[key] += r[key]
    out = []
    for row in areas.values():
        w, s = row["weighted_citizens"], row["supply_at_horizon"]
        row["load_before"] = w / s if s else None
        row["load_after"] = w / (s + row["total"]) if s + row["total"] else None
        for key in ("transition", "coverage", "accessibility", "total"):
            row[key] = int(row[key])
        out.append(row)
    return sorted(out, key=lambda r: r["name"])


def runs_for(*, scenario: Scenario) -> QuerySet[AllocationRun]:
    return AllocationRun.objects.filter(scenario=scenario).order_by("-created_at", "-id")


# --- for the API -------------------------------------------------------------------------


def scenario_list(*, user: Any) -> QuerySet[Scenario]:
    """The scenarios ``user`` may see (accounts.policies), with their owners; one query."""
    from accounts.policies import visible_scenarios

    return visible_scenarios(
        user, Scenario.objects.select_related("owner").order_by("-is_default", "name", "id")
    )


def scenario_get(*, user: Any, pk: int) -> Scenario | None:
    return scenario_list(user=user).filter(pk=pk).first()


def run_list(
    *, user: Any, scenario: int | None = None, status: str | None = None
) -> QuerySet[AllocationRun]:
    """Runs of the scenarios ``user`` may see, newest first; one query per page."""
    from accounts.policies import visible_scenarios

    runs = AllocationRun.objects.filter(
        scenario__in=visible_scenarios(user, Scenario.objects.values("pk"))
    )
    if scenario is not None:
        runs = runs.filter(scenario_id=scenario)
    if status is not None:
        runs = runs.filter(status=status)
    return runs.select_related("scenario", "requested_by").order_by("-created_at", "-id")


def run_get(*, user: Any, pk: int) -> AllocationRun | None:
    return run_list(user=user).filter(pk=pk).first()


def result_rows(
    *, run: AllocationRun, level: str, geography: str, pillar: str | None = None
) -> list[dict[str, Any]]:
    """A run's results per municipality or per area of ``geography``, as uniform rows.

    ``capacities`` is the chosen pillar's number (the total without one). Three queries.
    """
    if level == "area":
        rows = [
            {
                "level": "area",
                "key": r["area"],
                "name": r["name"],
                "kommunekode": None,
                "region": None,
                "area": r["area"],
                "coverage_rank": None,
                **{k: v for k, v in r.items() if k not in ("area", "name", "hospital")},
            }
            for r in area_results(run=run, geography=geography)
        ]
    else:
        area_of = dict(
            Membership.objects.filter(geography__slug=geography).values_list(
                "municipality_id", "area__slug"
            )
        )
        values = (
            MunicipalityResult.objects.filter(run=run)
            .values(
                "municipality_id",
                "municipality__name",
                "municipality__region_id",
                "municipality__population",
                *RESULT_SUMS,
                "load_before",
                "load_after",
                "coverage_rank",
            )
            .order_by("municipality_id")
        )
        rows = [
            {
                "level": "municipality",
                "key": str(r["municipality_id"]),
                "name": r["municipality__name"],
                "kommunekode": r["municipality_id"],
                "region": r["municipality__region_id"],
                "area": area_of.get(r["municipality_id"]),
                "municipalities": 1,
                "population": r["municipality__population"],
                **{k: r[k] for k in (*RESULT_SUMS, "load_before", "load_after", "coverage_rank")},
            }
            for r in values
        ]
    for row in rows:
        row["pillar"] = pillar or "total"
        row["capacities"] = row[pillar or "total"]
    return rows


def placement_list(
    *,
    run: AllocationRun,
    municipality: int | None = None,
    area: str | None = None,
    geography: str | None = None,
    pillar: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> QuerySet[Any]:
    """A run's placements with their municipality's name; one query per page."""
    from allocation.models import Placement

    qs = (
        Placement.objects.filter(run=run)
        .select_related("municipality")
        .only(
            "id",
            "municipality",
            "municipality__name",
            "ydernummer",
            "pillar",
            "year",
            "kind",
            "reason",
        )
    )
    if municipality is not None:
        qs = qs.filter(municipality_id=municipality)
    if area is not None:
        qs = qs.filter(
            municipality__memberships__geography__slug=geography,
            municipality__memberships__area__slug=area,
        )
    if pillar is not None:
        qs = qs.filter(pillar=pillar)
    if year is not None:
        qs = qs.filter(year=year)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("year", "municipality_id", "id")


def phasing_rows(
    *,
    run: AllocationRun,
    level: str,
    geography: str,
    year: int | None = None,
    pillar: str | None = None,
) -> QuerySet[Any]:
    """New and cumulative capacities per year and pillar, per municipality or summed per area
    of ``geography``: rows of level, key, name, year, pillar, new, cumulative_sum. One query
    per page."""
    from django.db.models import CharField, F, Sum, Value
    from django.db.models.functions import Cast

    from allocation.models import PhasingResult

    qs: QuerySet[Any] = PhasingResult.objects.filter(run=run)
    if year is not None:
        qs = qs.filter(year=year)
    if pillar is not None:
        qs = qs.filter(pillar=pillar)
    if level == "area":
        return (
            qs.filter(municipality__memberships__geography__slug=geography)
            .values(
                "year",
                "pillar",
                key=F("municipality__memberships__area__slug"),
                name=F("municipality__memberships__area__name"),
            )
            .annotate(
                level=Value("area", output_field=CharField()),
                new=Sum("capacities"),
                cumulative_sum=Sum("cumulative"),
            )
            .order_by("year", "pillar", "key")
        )
    return qs.values(
        "year",
        "pillar",
        level=Value("municipality", output_field=CharField()),
        key=Cast("municipality_id", CharField()),
        name=F("municipality__name"),
        new=F("capacities"),
        cumulative_sum=F("cumulative"),
    ).order_by("year", "pillar", "municipality_id")


def sensitivity_rows(*, run: AllocationRun, level: str) -> list[dict[str, Any]]:
    """The 5th/50th/95th percentiles of each municipality's or area's capacities; two queries."""
    from allocation.models import SensitivityBand

    bands = list(SensitivityBand.objects.filter(run=run, level=level).order_by("geography", "key"))
    if level == "area":
        names = {
            (geo, slug): name
            for geo, slug, name in Area.objects.filter(
                geography__slug__in={b.geography for b in bands}
            ).values_list("geography__slug", "slug", "name")
        }
    else:
        names = {
            ("", str(code)): name
            for code, name in Municipality.objects.values_list("kommunekode", "name")
        }
    rows: list[dict[str, Any]] = [
        {
            "level": b.level,
            "geography": b.geography or None,
            "key": b.key,
            "name": names.get((b.geography, b.key), b.key),
            "p5": b.p5,
            "p50": b.p50,
            "p95": b.p95,
            "base": b.base,
        }
        for b in bands
    ]
    if level != "area":
        rows.sort(key=lambda r: int(r["key"]) if str(r["key"]).isdigit() else 0)
    return rows


def metric_rows(*, run: AllocationRun) -> list[dict[str, Any]]:
    """A run's metrics as rows: ``before`` and ``after`` where the metric has both, else
    ``value``. A list (the municipalities without supply) is counted: ``<name>_count``."""
    metrics: dict[str, Any] = run.metrics or {}
    before: dict[str, Any] = metrics.get("before") or {}
    after: dict[str, Any] = metrics.get("after") or {}

    def number(value: Any) -> float | None:
        if isinstance(value, list):
            return float(len(value))
        return None if value is None or isinstance(value, str | dict) else float(value)

    def name(key: str, *values: Any) -> str:
        return f"{key}_count" if any(isinstance(v, list) for v in values) else key

    rows = [
        {
            "metric": name(key, before.get(key), after.get(key)),
            "before": number(before.get(key)),
            "after": number(after.get(key)),
            "value": None,
        }
        for key in dict.fromkeys([*before, *after])
    ]
    rows += [
        {"metric": name(key, value), "before": None, "after": None, "value": number(value)}
        for key, value in metrics.items()
        if key not in ("before", "after") and not isinstance(value, dict | str)
    ]
    return rows


def explanation_get(*, run: AllocationRun, kommunekode: int) -> dict[str, Any] | None:
    explanation: dict[str, Any] | None = (
        MunicipalityResult.objects.filter(run=run, municipality_id=kommunekode)
        .values_list("explanation", flat=True)
        .first()
    )
    return explanation


COMPARED = ("transition", "coverage", "accessibility", "total", "load_after")


def compare_rows(
    *, a: AllocationRun, b: AllocationRun, level: str, geography: str
) -> list[dict[str, Any]]:
    """Run ``b`` minus run ``a`` per municipality or area: each pillar, the total and the load
    after. Six queries."""
    rows_a = {r["key"]: r for r in result_rows(run=a, level=level, geography=geography)}
    rows_b = {r["key"]: r for r in result_rows(run=b, level=level, geography=geography)}
    out = []
    for key in dict.fromkeys([*rows_a, *rows_b]):
        ra, rb = rows_a.get(key, {}), rows_b.get(key, {})
        row: dict[str, Any] = {"level": level, "key": key, "name": (ra or rb)["name"]}
        for field in COMPARED:
            va, vb = ra.get(field), rb.get(field)
            row[f"a_{field}"] = va
            row[f"b_{field}"] = vb
            row[f"diff_{field}"] = None if va is None or vb is None else vb - va
        out.append(row)
    return out


def run_state_get(*, user: Any, pk: int) -> AllocationRun | None:
    """A run ``user`` may see, with only what decides whether its results can be served
    (status, error, inputs hash, finish time); one light query, for the result views."""
    from accounts.policies import visible_scenarios

    found = list(
        AllocationRun.objects.filter(
            pk=pk, scenario__in=visible_scenarios(user, Scenario.objects.values("pk"))
        ).only("id", "scenario_id", "status", "error", "inputs_hash", "finished_at")[:1]
    )
    return found[0] if found else None
