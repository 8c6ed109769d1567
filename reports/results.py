"""A run's results shaped for the pages: one dataclass per municipality or area row.

The rows are read by allocation.selectors (`municipality_result_rows`,
`area_result_rows`), the one read path of stored results that the API uses too; here they
are only shaped for templates and charts, joined to the areas the caller already has. Each
function states the queries its selector makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allocation.selectors import PILLARS, area_result_rows, municipality_result_rows

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


# The fields of an area row that AreaResult keeps besides slug, name and hospital.
AREA_FIELDS = (
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


def _area(row: Mapping[str, Any], hospital: str) -> AreaResult:
    return AreaResult(
        slug=row["area"], name=row["name"], hospital=hospital, **{f: row[f] for f in AREA_FIELDS}
    )


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
    rows = area_result_rows(run_ids=[run_id], geographies=[geography], areas=slugs)
    return [_area(r, hospitals.get(r["area"], "")) for r in rows]


def area_results_by_run(
    run_ids: Sequence[int], geographies: Sequence[str]
) -> dict[int, dict[str, dict[str, AreaResult]]]:
    """Stored area results of several runs: run -> geography -> area slug -> area (no
    hospital). ``nation`` (allocation.engine.NATION) is Denmark as one area. One query."""
    out: dict[int, dict[str, dict[str, AreaResult]]] = {
        r: {g: {} for g in geographies} for r in run_ids
    }
    for r in area_result_rows(run_ids=run_ids, geographies=geographies):
        out[r["run_id"]][r["geography"]][r["area"]] = _area(r, "")
    return out


def _muni(row: Mapping[str, Any], area_of: dict[int, tuple[str, str, str]]) -> MuniResult:
    code = row["municipality_id"]
    area = area_of.get(code, ("", "", ""))
    return MuniResult(
        code=code,
        name=row["municipality__name"],
        region=row["municipality__region_id"],
        population=row["municipality__population"],
        area=area[0],
        area_name=area[1],
        transition=row["transition"],
        coverage=row["coverage"],
        accessibility=row["accessibility"],
        total=row["total"],
        weighted_citizens=row["weighted_citizens"],
        supply_today=row["supply_today"],
        supply_at_horizon=row["supply_at_horizon"],
        load_before=row["load_before"],
        load_after=row["load_after"],
        coverage_rank=row["coverage_rank"],
    )


def muni_results(
    *, run_id: int, area_of: dict[int, tuple[str, str, str]], codes: Iterable[int] | None = None
) -> list[MuniResult]:
    """A run's municipality results by name, with their area in a geography. One query."""
    rows = municipality_result_rows(run_ids=[run_id], codes=codes, by_name=True)
    return [_muni(r, area_of) for r in rows]


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
    """Municipality results of several runs, each by name. One query."""
    out: dict[int, list[MuniResult]] = {r: [] for r in run_ids}
    for r in municipality_result_rows(run_ids=run_ids, by_name=True):
        out[r["run_id"]].append(_muni(r, area_of))
    return out
