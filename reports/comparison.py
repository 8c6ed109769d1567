"""Side-by-side results of two or more scenarios (no queries: the selectors fetch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from allocation.engine import NATION
from allocation.models import Scenario
from practices.selectors import SupplySources
from reports.results import AreaResult, MuniResult

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
    reports.results.area_results_by_run with ``geography`` and NATION); nothing is summed here.
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


# --- key figures side by side ----------------------------------------------------------


def _metric(run: Any, *path: str) -> Any:
    value: Any = getattr(run, "metrics", None) or {}
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _first(*values: Any) -> Any:
    """The first value that is there (0 counts: a P5 of 0 % is a value)."""
    return next((v for v in values if v is not None), None)


@dataclass(frozen=True)
class FigureSpec:
    """One key figure of the side-by-side table: where each run's value comes from.

    ``value`` reads a run and its stored nation row; ``low``/``high`` the range a run may
    give it (the open share's P5-P95 from the sensitivity draws). ``kind`` says how it is
    written: number, load or share. ``pending`` is shown while no run has the figure (the
    deviation from the statutory model, until runs carry the statutory reference).
    """

    key: str
    label: Any
    kind: str
    value: Callable[[Any, AreaResult | None], Any]
    low: Callable[[Any], Any] | None = None
    high: Callable[[Any], Any] | None = None
    better: str = ""  # "lower" or "higher": which way a difference is an improvement
    pending: Any = ""


KEY_FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "capacities_horizon",
        _("GP capacities at the horizon"),
        "number",
        lambda run, n: None if n is None else n.supply_after,
        better="higher",
    ),
    FigureSpec("new_total", _("New capacities"), "number", lambda run, n: n.total if n else None),
    FigureSpec(
        "max_load_after",
        _("Largest load after"),
        "load",
        lambda run, n: _metric(run, "after", "max_load"),
        better="lower",
    ),
    FigureSpec(
        "p90_load_after",
        _("Load after, 90th percentile"),
        "load",
        lambda run, n: _metric(run, "after", "p90_load"),
        better="lower",
    ),
    FigureSpec(
        "above_norm_after",
        _("Municipalities above the norm after"),
        "number",
        lambda run, n: _metric(run, "after", "municipalities_above_norm"),
        better="lower",
    ),
    FigureSpec(
        "citizens_above_after",
        _("Citizens above the norm after"),
        "number",
        lambda run, n: _metric(run, "after", "citizens_above_norm"),
        better="lower",
    ),
    FigureSpec(
        "open_share_after",
        _("Practices open to new patients after (projected)"),
        "share",
        lambda run, n: _metric(run, "after", "open_share"),
        low=lambda run: _first(
            _metric(run, "after", "open_share_p5"), _metric(run, "open_share_p5")
        ),
        high=lambda run: _first(
            _metric(run, "after", "open_share_p95"), _metric(run, "open_share_p95")
        ),
        better="higher",
    ),
    # The statutory reference (docs/model.md#the-statutory-reference): the sum over the
    # areas of the statutory geography of |capacities after - statutory share|. The
    # reference distributes today's stock plus the 1,500, so a scenario whose supply at the
    # horizon is lower (retirements not all replaced) deviates by that shortfall as well.
    FigureSpec(
        "statutory_deviation",
        _("Deviation from the statutory model (capacities, summed over its areas)"),
        "number",
        lambda run, n: _metric(run, "statutory", "absolute_deviation"),
        better="lower",
        pending=_("appears once runs carry the statutory reference"),
    ),
)


@dataclass
class FigureRow:
    key: str
    label: str
    kind: str
    values: list[Any]
    ranges: list[tuple[Any, Any] | None]
    diffs: list[Any]  # each scenario minus A (None for A and where a value is missing)
    better: str
    pending: str

    @property
    def cells(self) -> list[tuple[Any, tuple[Any, Any] | None, Any]]:
        return list(zip(self.values, self.ranges, self.diffs, strict=True))

    def improves(self, diff: Any) -> bool | None:
        """Whether a difference from A is for the better; None when it does not show (it
        rounds to nothing as written: a whole number, or a share to 0.1 point)."""
        shown = 0.0005 if self.kind == "share" else 0.5
        if diff is None or abs(diff) < shown or not self.better:
            return None
        return (diff < 0) == (self.better == "lower")


def key_figure_rows(
    columns: Sequence[Column], runs: Sequence[Any], nation: Sequence[AreaResult | None]
) -> list[FigureRow]:
    """The key figures of each compared run (its metrics and its stored nation row), with
    each scenario's difference from A. No queries."""
    out = []
    for spec in KEY_FIGURES:
        values = [spec.value(run, n) for run, n in zip(runs, nation, strict=True)]
        ranges: list[tuple[Any, Any] | None] = []
        for run in runs:
            low = spec.low(run) if spec.low else None
            high = spec.high(run) if spec.high else None
            ranges.append((low, high) if low is not None and high is not None else None)
        base = values[0] if values else None
        diffs = [
            None if i == 0 or v is None or base is None else v - base for i, v in enumerate(values)
        ]
        out.append(
            FigureRow(
                key=spec.key,
                label=str(spec.label),
                kind=spec.kind,
                values=values,
                ranges=ranges,
                diffs=diffs,
                better=spec.better,
                pending=str(spec.pending) if all(v is None for v in values) else "",
            )
        )
    return out
