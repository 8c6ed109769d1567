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
from municipalities.models import ENGINE_INDICATORS, DemandIndicator, Municipality
from practices.models import Doctor, Practice


def build_engine_inputs(*, year: int | None = None) -> EngineInputs:
    """The engine's inputs from the database.

    Each indicator takes its latest year up to ``year`` (all years when None), per
    municipality, so an imported newer value replaces the reference estimate. Five queries.
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
    return EngineInputs(
        municipalities=munis,
        practices=practices,
        doctors=doctors,
        geographies={g: pd.Series(m).sort_index() for g, m in geographies.items()},
        area_names=dict(names),
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
