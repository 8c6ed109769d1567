"""A practice register file (CSV or XLSX) read, checked and compared, before anything is written.

The file has one row per ydernummer with the columns of
:data:`practices.services.REQUIRED_COLUMNS` and optionally ``doctor_birth_years``. It is
read by :mod:`municipalities.tabular` (the same limits and quoting as the demand import);
every row is validated by the models (:func:`practices.services.validate_practice_rows`);
then :func:`plan_register` refuses rows outside the user's region and ydernumre held by
another source (the synthetic register), and compares each practice with the database.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from accounts.policies import importable_regions
from municipalities.importing import (
    Change,
    ErrorCollector,
    ImportFailed,
    Preview,
    PreviewItem,
    failed_preview,
)
from municipalities.models import Municipality, Region
from municipalities.tabular import blank, read_table
from practices.models import Doctor, Practice, RecordSource
from practices.validation import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ValidPractice,
    validate_practice_rows,
)

PRACTICES = "practices"
# Capacities or listed patients more than this many times (or under this fraction of) the
# stored value look like a typing error: a warning to confirm, as for demand values.
CHANGE_FACTOR = 3.0


def _text(cell: Any) -> str:
    """A cell as the text the validation reads (XLSX cells are typed)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.date | dt.time | dt.timedelta):
        return f"a date ({cell})"
    return str(cell).strip()


def read_register(content: bytes, *, file_name: str) -> tuple[list[dict[str, str]], list[int]]:
    """The file's rows as column -> text, and each row's number in the file; or ImportFailed
    naming every problem with the columns and cells."""
    ec = ErrorCollector(file_name)
    table = read_table(content, file_name=file_name, ec=ec, numeric_columns=("capacities",))
    if table is None:
        ec.raise_if_any()
        raise ImportFailed(ec.errors)
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    names: list[str] = []
    for i, raw in enumerate(table.header):
        name = _text(raw).lower()
        if not name:
            first = next(
                (n for n, cells in table.rows if i < len(cells) and not blank(cells[i])), None
            )
            if first is not None:
                ec.add(
                    first,
                    f"column {i + 1}",
                    "a value in a column without a name" + table.cell_ref(first, i),
                )
        elif name in names:
            ec.add(
                0, name, f"the column appears twice (columns {names.index(name) + 1} and {i + 1})"
            )
        elif name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            ec.add(
                0,
                name,
                "unknown column"
                + (f" (did you mean '{hint[0]}'?)" if hint else "")
                + "; the columns are "
                + ", ".join(known),
            )
        names.append(name)
    for col in REQUIRED_COLUMNS:
        if col not in names:
            ec.add(0, col, "required column is missing")
    ec.raise_if_any()
    width = len(table.header)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for n, cells in table.rows:
        if all(blank(c) for c in cells):
            continue
        if len(cells) > width and any(not blank(c) for c in cells[width:]):
            ec.add(n, "file", f"the row has {len(cells)} cells but the header only {width}")
        padded = cells + [None] * (width - len(cells))
        rows.append({name: _text(padded[i]) for i, name in enumerate(names) if name})
        numbers.append(n)
    if not rows and not ec.errors:
        ec.add(None, "file", "the file has a header but no data rows")
    ec.raise_if_any()
    return rows, numbers


def snapshot(
    practice: Practice | None, doctors: list[tuple[int, Decimal, str]]
) -> dict[str, Any] | None:
    """A practice and its doctors as JSON, to compare and to restore."""
    if practice is None:
        return None
    return {
        "name": practice.name,
        "municipality_id": practice.municipality_id,
        "form": practice.form,
        "open_to_new_patients": practice.open_to_new_patients,
        "listed_patients": practice.listed_patients,
        "capacities": str(practice.capacities),
        "source": practice.source,
        "doctors": [[year, str(fte), source] for year, fte, source in sorted(doctors)],
    }


@dataclass(frozen=True)
class RegisterPlan:
    preview: Preview
    practices: tuple[ValidPractice, ...]


_FIELDS = ("name", "kommunekode", "form", "open_to_new_patients", "listed_patients", "capacities")


def plan_register(*, content: bytes, file_name: str, user: Any) -> RegisterPlan:
    """The preview of a register file for ``user`` (None: a shell command without a user)."""
    sha256 = hashlib.sha256(content).hexdigest()
    munis = {
        m.kommunekode: m for m in Municipality.objects.select_related("region").defer("boundary")
    }
    try:
        rows, numbers = read_register(content, file_name=file_name)
        valid = validate_practice_rows(
            rows, file=file_name, known_codes=set(munis), row_numbers=numbers
        )
    except ImportFailed as exc:
        return RegisterPlan(
            failed_preview(kind=PRACTICES, file_name=file_name, sha256=sha256, exc=exc), ()
        )

    ec = ErrorCollector(file_name)
    allowed = importable_regions(user)
    regions = dict(Region.objects.values_list("code", "name"))
    own = ", ".join(f"Region {regions[r]}" for r in sorted(allowed or ())) or gettext("no region")
    stored = {
        p.ydernummer: p
        for p in Practice.objects.filter(
            ydernummer__in=[v.ydernummer for v in valid]
        ).select_related("municipality")
    }
    doctors: dict[int, list[tuple[int, Decimal, str]]] = {}
    for pid, year, fte, source in Doctor.objects.filter(
        practice_id__in=[p.pk for p in stored.values()]
    ).values_list("practice_id", "birth_year", "fte", "source"):
        doctors.setdefault(pid, []).append((year, fte, source))

    created: list[PreviewItem] = []
    updated: list[PreviewItem] = []
    warnings = ErrorCollector(file_name)
    unchanged = 0
    for row, v in zip(numbers, valid, strict=True):
        m = munis[v.kommunekode]
        old = stored.get(v.ydernummer)
        if allowed is not None:
            for where in {m, *([old.municipality] if old else [])}:
                if where.region_id not in allowed:
                    ec.add(
                        row,
                        "kommunekode",
                        gettext(
                            "%(municipality)s is in %(region)s; you may import for %(own)s only"
                        )
                        % {
                            "municipality": f"{where.kommunekode} {where.name}",
                            "region": f"Region {regions[where.region_id]}",
                            "own": own,
                        },
                    )
        if old is not None and old.source != RecordSource.IMPORTED:
            ec.add(
                row,
                "ydernummer",
                gettext(
                    "ydernummer %(ydernummer)s is already held by a %(source)s practice "
                    "(%(name)s, %(municipality)s); an imported register may not take over its "
                    "number"
                )
                % {
                    "ydernummer": v.ydernummer,
                    "source": old.get_source_display(),
                    "name": old.name,
                    "municipality": old.municipality,
                },
            )
            continue
        key = f"{v.ydernummer} {v.name}"
        new: dict[str, Any] = {
            "name": v.name,
            "kommunekode": v.kommunekode,
            "form": v.form,
            "open_to_new_patients": v.open_to_new_patients,
            "listed_patients": v.listed_patients,
            "capacities": v.capacities,
        }
        if old is None:
            created.append(PreviewItem(row, key, tuple(Change(f, None, new[f]) for f in _FIELDS)))
            continue
        before: dict[str, Any] = {
            "name": old.name,
            "kommunekode": old.municipality_id,
            "form": old.form,
            "open_to_new_patients": old.open_to_new_patients,
            "listed_patients": old.listed_patients,
            "capacities": old.capacities,
        }
        changes = [Change(f, before[f], new[f]) for f in _FIELDS if before[f] != new[f]]
        years = tuple(sorted(y for y, _fte, _s in doctors.get(old.pk, [])))
        if v.doctor_birth_years and years != v.doctor_birth_years:
            changes.append(
                Change(
                    "doctor_birth_years",
                    " ".join(map(str, years)),
                    " ".join(map(str, v.doctor_birth_years)),
                )
            )
        for f in ("listed_patients", "capacities"):
            was, now = float(before[f]), float(new[f])
            if was > 0 and (now / was > CHANGE_FACTOR or now / was < 1 / CHANGE_FACTOR):
                warnings.add(
                    row,
                    f,
                    gettext(
                        "%(new)s replaces %(old)s: more than %(factor)s times either way needs "
                        "a confirmation"
                    )
                    % {"new": f"{now:g}", "old": f"{was:g}", "factor": f"{CHANGE_FACTOR:g}"},
                )
        if changes:
            updated.append(PreviewItem(row, key, tuple(changes)))
        else:
            unchanged += 1
    if ec.errors:
        failure = ImportFailed(ec.errors, total=ec.total)
        return RegisterPlan(
            failed_preview(kind=PRACTICES, file_name=file_name, sha256=sha256, exc=failure), ()
        )
    preview = Preview(
        kind=PRACTICES,
        file_name=file_name,
        sha256=sha256,
        rows=len(valid),
        created=tuple(created),
        updated=tuple(updated),
        unchanged=unchanged,
        warnings=tuple(warnings.errors),
        warning_total=warnings.total,
    )
    return RegisterPlan(preview, tuple(valid))
