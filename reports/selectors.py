"""The pages' reads of a run's municipality results, joined to their areas.

The other reads of the pages live with the app that owns the model (allocation, clusters,
municipalities and practices selectors); the pages and the API share them. Every function
here states its query count; the pages' query budgets are tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from allocation.models import MunicipalityResult
from allocation.selectors import PILLARS

__all__ = ["PILLARS", "AreaResult", "MuniResult", "group_areas", "muni_results", "results_by_run"]

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
    slug: str
    name: str
    hospital: str
    members: list[MuniResult] = field(default_factory=list)

    def _sum(self, attr: str) -> float:
        return float(sum(getattr(m, attr) for m in self.members))

    @cached_property
    def population(self) -> int:
        return int(self._sum("population"))

    @cached_property
    def transition(self) -> int:
        return int(self._sum("transition"))

    @cached_property
    def coverage(self) -> int:
        return int(self._sum("coverage"))

    @cached_property
    def accessibility(self) -> int:
        return int(self._sum("accessibility"))

    @cached_property
    def total(self) -> int:
        return int(self._sum("total"))

    @cached_property
    def supply_today(self) -> float:
        return self._sum("supply_today")

    @cached_property
    def supply_at_horizon(self) -> float:
        return self._sum("supply_at_horizon")

    @cached_property
    def load_before(self) -> float | None:
        s = self.supply_at_horizon
        return self._sum("weighted_citizens") / s if s else None

    @cached_property
    def load_after(self) -> float | None:
        s = self.supply_at_horizon + self.total
        return self._sum("weighted_citizens") / s if s else None

    @cached_property
    def per_10k(self) -> float:
        return self.total / self.population * 10_000 if self.population else 0.0


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


def group_areas(
    rows: Sequence[MuniResult], area_of: dict[int, tuple[str, str, str]]
) -> list[AreaResult]:
    """Municipality results summed per area (no query); areas sorted by name."""
    areas: dict[str, AreaResult] = {}
    for slug, name, hospital in area_of.values():
        areas.setdefault(slug, AreaResult(slug, name, hospital))
    for r in rows:
        if r.area in areas:
            areas[r.area].members.append(r)
    return sorted(areas.values(), key=lambda a: a.name)


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
