"""What a demand-data file would change, before anything is written.

:func:`preview_demand` reads and validates the file (:mod:`municipalities.demand_import`),
refuses the rows of municipalities outside the regions its user may import for, compares
every value with the database (created, updated old → new, unchanged) and checks the
values the municipalities would then hold (:mod:`municipalities.plausibility`). The upload
page shows the preview; the import service applies it only when it has no errors and its
warnings are confirmed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from accounts.policies import importable_regions
from municipalities.demand_import import DemandValue, parse_demand
from municipalities.importing import (
    Change,
    ErrorCollector,
    ImportFailed,
    Preview,
    PreviewItem,
    failed_preview,
)
from municipalities.models import DataStatus, DemandIndicator, Municipality, Region
from municipalities.plausibility import AGE_BANDS, Value, check

DEMAND = "demand"


@dataclass(frozen=True)
class Stored:
    year: int
    value: float
    status: str
    source: str
    imported: bool

    @property
    def estimated(self) -> bool:
        return self.status == DataStatus.ESTIMATED and not self.imported


@dataclass(frozen=True)
class DemandPlan:
    """A validated file and what it does: the preview, and each value's stored state."""

    preview: Preview
    values: tuple[DemandValue, ...]
    before: dict[tuple[int, int, str], Stored]  # only the keys that exist


def stored_values(
    *, codes: Iterable[int], indicators: Iterable[str]
) -> dict[tuple[int, str], list[Stored]]:
    """(kommunekode, indicator) -> stored values, oldest year first; one query."""
    out: dict[tuple[int, str], list[Stored]] = defaultdict(list)
    rows = (
        DemandIndicator.objects.filter(
            municipality_id__in=set(codes), indicator__in=set(indicators)
        )
        .order_by("year")
        .values_list(
            "municipality_id", "indicator", "year", "value", "status", "source", "imported"
        )
    )
    for code, indicator, year, value, status, source, imported in rows:
        out[(code, indicator)].append(Stored(year, value, status, source, imported))
    return out


def _latest_up_to(history: list[Stored], year: int) -> Stored | None:
    found = None
    for s in history:
        if s.year <= year:
            found = s
    return found


def plan_demand(*, content: bytes, file_name: str, user: Any) -> DemandPlan:
    """The preview of a demand file for ``user`` (None: a shell command without a user)."""
    sha256 = hashlib.sha256(content).hexdigest()
    munis = {
        m.kommunekode: m for m in Municipality.objects.select_related("region").defer("boundary")
    }
    try:
        parsed = parse_demand(content, file_name=file_name, known_codes=set(munis))
    except ImportFailed as exc:
        return DemandPlan(
            failed_preview(kind=DEMAND, file_name=file_name, sha256=sha256, exc=exc), (), {}
        )

    ec = ErrorCollector(file_name)
    allowed = importable_regions(user)
    if allowed is not None:
        regions = dict(Region.objects.values_list("code", "name"))
        own = ", ".join(f"Region {regions[r]}" for r in sorted(allowed)) or gettext("no region")
        refused: set[int] = set()
        for v in parsed.values:
            m = munis[v.kommunekode]
            if m.region_id not in allowed and v.row not in refused:
                refused.add(v.row)
                ec.add(
                    v.row,
                    "kommunekode",
                    gettext("%(municipality)s is in %(region)s; you may import for %(own)s only")
                    % {"municipality": f"{m.kommunekode} {m.name}", "region": m.region, "own": own},
                )
    if ec.errors:
        failure = ImportFailed(ec.errors, total=ec.total)
        return DemandPlan(
            failed_preview(kind=DEMAND, file_name=file_name, sha256=sha256, exc=failure), (), {}
        )

    history = stored_values(
        codes={v.kommunekode for v in parsed.values},
        indicators={i for v in parsed.values for i in _related(v.indicator)},
    )
    before: dict[tuple[int, int, str], Stored] = {}
    by_row: dict[int, list[Change]] = defaultdict(list)
    created_rows: set[int] = set()
    updated_rows: set[int] = set()
    unchanged = 0
    keys: dict[int, str] = {}
    for v in parsed.values:
        m = munis[v.kommunekode]
        keys[v.row] = f"{m.kommunekode} {m.name}, {v.year}"
        same_year = next(
            (s for s in history.get((v.kommunekode, v.indicator), []) if s.year == v.year), None
        )
        if same_year is None:
            by_row[v.row].append(Change(v.indicator, None, v.value))
            created_rows.add(v.row)
            continue
        before[(v.kommunekode, v.year, v.indicator)] = same_year
        changes = []
        if abs(same_year.value - v.value) > 1e-9 * max(1.0, abs(v.value)):
            changes.append(Change(v.indicator, same_year.value, v.value))
        if same_year.status != v.status:
            changes.append(Change(f"{v.indicator} · status", same_year.status, v.status))
        if same_year.source != v.source:
            changes.append(Change(f"{v.indicator} · source", same_year.source, v.source))
        if not same_year.imported and not changes:
            # The same value, now a planner's: reloading the reference data must keep it.
            changes.append(Change(f"{v.indicator} · imported", False, True))
        if changes:
            by_row[v.row].extend(changes)
            updated_rows.add(v.row)
        else:
            unchanged += 1

    warnings = ErrorCollector(file_name)
    today = timezone.localdate().year
    per_year: dict[tuple[int, int], list[DemandValue]] = defaultdict(list)
    for v in parsed.values:
        per_year[(v.kommunekode, v.year)].append(v)
    for (code, year), new in per_year.items():
        m = munis[code]
        values: dict[str, Value] = {}
        previous: dict[str, float] = {}
        for (c, indicator), hist in history.items():
            if c != code:
                continue
            latest = _latest_up_to(hist, year)
            if latest is not None:
                values[indicator] = Value(latest.value, latest.estimated)
        for v in new:
            old = values.get(v.indicator)
            if old is not None:
                previous[v.indicator] = old.value
            values[v.indicator] = Value(v.value, estimated=False)
        row_of = {v.indicator: v.row for v in new}
        findings = check(
            kommunekode=code,
            name=m.name,
            year=year,
            population=m.population,
            population_year=m.population_date.year,
            values=values,
            previous=previous,
            changed=set(row_of),
            today_year=today,
        )
        for f in findings:
            target = ec if f.is_error else warnings
            target.add(row_of.get(f.indicator, min(row_of.values())), f.indicator, f.message)

    if ec.errors:
        failure = ImportFailed(ec.errors, total=ec.total)
        return DemandPlan(
            failed_preview(kind=DEMAND, file_name=file_name, sha256=sha256, exc=failure), (), {}
        )
    created = tuple(
        PreviewItem(row, keys[row], tuple(by_row[row]))
        for row in sorted(created_rows - updated_rows)
    )
    updated = tuple(PreviewItem(row, keys[row], tuple(by_row[row])) for row in sorted(updated_rows))
    preview = Preview(
        kind=DEMAND,
        file_name=file_name,
        sha256=sha256,
        rows=parsed.rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        warnings=tuple(warnings.errors),
        warning_total=warnings.total,
    )
    return DemandPlan(preview, parsed.values, before)


def _related(indicator: str) -> tuple[str, ...]:
    """The indicators a rule compares ``indicator`` with (read together with it)."""
    if indicator in AGE_BANDS:
        return AGE_BANDS
    if indicator in ("chronic", "multimorbid"):
        return ("chronic", "multimorbid")
    return (indicator,)


def preview_demand(*, content: bytes, file_name: str, user: Any) -> Preview:
    return plan_demand(content=content, file_name=file_name, user=user).preview
