"""The pages' reads of a run's municipality results, joined to their areas.

The other reads of the pages live with the app that owns the model (allocation, clusters,
municipalities and practices selectors); the pages and the API share them. Every function
here states its query count; the pages' query budgets are tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from allocation.models import AreaResult as StoredAreaResult
from allocation.models import MunicipalityResult
from allocation.selectors import PILLARS

__all__ = [
    "PILLARS",
    "AreaMarks",
    "AreaResult",
    "MuniResult",
    "area_marks",
    "area_results",
    "area_results_by_run",
    "muni_results",
    "results_by_run",
]

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
    # The statutory reference (docs/model.md#the-statutory-reference); None on older runs.
    statutory: int | None = None
    deviation: float | None = None
    statutory_load: float | None = None
    statutory_load_gap: float | None = None

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
    "statutory",
    "deviation",
    "statutory_load",
    "statutory_load_gap",
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


@dataclass(frozen=True)
class AreaMarks:
    """What the overview's area table marks: the areas with a municipality of the region
    the page opens on, and each area's GP shortage municipalities (PLO 2019)."""

    in_region: frozenset[str]
    shortage: dict[str, int]


def area_marks(
    rows: Sequence[MuniResult], *, region: int | None, shortage: frozenset[int]
) -> AreaMarks:
    """From a run's municipality results (:func:`muni_results`); no query."""
    counts: dict[str, int] = {}
    for r in rows:
        if r.code in shortage:
            counts[r.area] = counts.get(r.area, 0) + 1
    return AreaMarks(
        in_region=frozenset(r.area for r in rows if region is not None and r.region == region),
        shortage=counts,
    )


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
