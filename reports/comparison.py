"""Side-by-side results of two or more scenarios (no queries: the selectors fetch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from allocation.engine import NATION
from allocation.models import Scenario
from practices.selectors import SupplySources
from reports.selectors import AreaResult, MuniResult

FIELDS = ("transition", "coverage", "accessibility", "total")
NATION_SLUG = "danmark"  # the one area of allocation.engine.aggregate(..., NATION)


@dataclass
class Column:
    scenario: Scenario
    run_id: int
    letter: str


@dataclass
class Line:
    """One area or municipality: per scenario its numbers, and each scenario minus A."""

    key: str
    name: str
    area: str = ""
    area_name: str = ""
    population: int = 0
    supply_today: float = 0.0
    values: list[dict[str, int]] = field(default_factory=list)
    members: list[Line] = field(default_factory=list)

    def diffs(self) -> list[int]:
        base = self.values[0]["total"] if self.values else 0
        return [v["total"] - base for v in self.values[1:]]

    @property
    def cells(self) -> list[tuple[dict[str, int], int | None]]:
        base = self.values[0]["total"] if self.values else 0
        return [(v, None if i == 0 else v["total"] - base) for i, v in enumerate(self.values)]


def letters(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def choose(
    visible: Sequence[Scenario],
    requested: Sequence[str],
    *,
    baseline: str = "",
    user_id: int | None = None,
    limit: int = 6,
) -> list[Scenario]:
    """The scenarios to compare, baseline first, from those ``visible`` to the user that
    have a succeeded run. ``requested`` are scenario ids in the order chosen; ids of
    scenarios not visible or without results are ignored. ``baseline`` (an id), when it is
    among those requested, is moved first. Nothing requested: the default scenario against
    the user's latest one."""
    with_results = [s for s in visible if getattr(s, "last_ok_run_id", None)]
    by_id = {str(s.pk): s for s in with_results}
    wanted = [by_id[i] for i in dict.fromkeys(requested) if i in by_id]
    if baseline in by_id and by_id[baseline] in wanted:
        base = by_id[baseline]
        wanted = [base, *(s for s in wanted if s is not base)]
    if not wanted:
        default = next((s for s in with_results if s.is_default), None)
        mine = sorted(
            (s for s in with_results if s.owner_id == user_id),
            key=lambda s: getattr(s, "last_run_at", None) or s.created_at,
            reverse=True,
        )
        others = mine[:1] or [x for x in with_results if x is not default][:1]
        wanted = [s for s in (default, *others) if s]
    return wanted[:limit]


def build(
    columns: Sequence[Column],
    results: dict[int, list[MuniResult]],
    areas_by_run: dict[int, dict[str, dict[str, AreaResult]]],
    *,
    geography: str,
) -> tuple[list[Line], list[Line], Line]:
    """(areas with their municipalities, municipalities, the nation).

    Areas and the nation take the figures stored with each run (``areas_by_run``, from
    selectors.area_results_by_run with ``geography`` and NATION); nothing is summed here.
    """
    munis: dict[int, Line] = {}
    for i, col in enumerate(columns):
        for r in results.get(col.run_id, []):
            line = munis.get(r.code)
            if line is None:
                line = Line(
                    key=str(r.code),
                    name=r.name,
                    area=r.area,
                    area_name=r.area_name,
                    population=r.population,
                    supply_today=r.supply_today,
                    values=[dict.fromkeys(FIELDS, 0) for _c in columns],
                )
                munis[r.code] = line
            line.values[i] = {f: int(getattr(r, f)) for f in FIELDS}
    areas: dict[str, Line] = {}
    for m in sorted(munis.values(), key=lambda x: x.name):
        a = areas.get(m.area)
        if a is None:
            a = Line(
                key=m.area,
                name=m.area_name or m.area,
                values=[dict.fromkeys(FIELDS, 0) for _c in columns],
            )
            areas[m.area] = a
        a.members.append(m)
    nation = Line(key="DK", name="Danmark", values=[dict.fromkeys(FIELDS, 0) for _c in columns])
    for line, geo in [*((a, geography) for a in areas.values()), (nation, NATION)]:
        slug = NATION_SLUG if geo == NATION else line.key
        for i, col in enumerate(columns):
            stored = areas_by_run.get(col.run_id, {}).get(geo, {}).get(slug)
            if stored is None:
                continue
            line.values[i] = {f: int(getattr(stored, f)) for f in FIELDS}
            line.population = stored.population
            line.supply_today = stored.supply_today
    return sorted(areas.values(), key=lambda a: a.name), list(munis.values()), nation


def export_rows(
    columns: Sequence[Column], areas: Sequence[Line], *, level: str, sources: SupplySources
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for CSV/XLSX: one row per municipality (or area). The status of
    today's capacities is their practices' source (``sources``)."""
    head = (
        ["kommunekode", "municipality", "area"]
        if level == "municipality"
        else ["area_slug", "area"]
    )
    head += ["population", "capacities_today", "capacities_today_status"]
    for c in columns:
        head += [f"{c.letter}_{f}" for f in FIELDS]
    for c in columns[1:]:
        head.append(f"{c.letter}_minus_A_total")
    rows: list[list[Any]] = []
    for a in areas:
        lines = a.members if level == "municipality" else [a]
        for line in lines:
            row: list[Any] = (
                [int(line.key), line.name, a.name] if level == "municipality" else [a.key, a.name]
            )
            codes = [int(m.key) for m in (line.members or [line])]
            row += [line.population, round(line.supply_today, 2), sources.of(*codes)]
            for v in line.values:
                row += [v[f] for f in FIELDS]
            row += line.diffs()
            rows.append(row)
    return head, rows
