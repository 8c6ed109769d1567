"""Read and validate a demand-data file (CSV or XLSX) before anything is written.

The file has one row per municipality and year and one column per indicator::

    kommunekode;year;chronic;multimorbid;status;source
    101;2027;93.397,9;101226,5;sourced;Sundhedsdatastyrelsen
    147;2027;;21034,0;;

- ``kommunekode`` and ``year`` (2000 to 2050) are required, and at least one indicator column
  named by its :class:`~municipalities.models.Indicator` value (``chronic``, ``pop_80_plus``...).
- ``status`` (sourced, derived or estimated; default sourced) and ``source`` (default: the
  file name) are optional, per row.
- An empty indicator cell means "no value": the database keeps what it has.
- CSV: UTF-8 with or without a BOM, ``;`` or ``,`` separated (read from the header line).
  A ``,`` file uses ``.`` as the decimal mark. A ``;`` file usually comes from Danish Excel,
  so when any of its numbers has a comma, the comma is the decimal mark and ``.`` may group
  thousands (``1.234,5``, ``1234,5``); when one has a dot decimal (``3.58``) and none a comma,
  ``.`` is the decimal mark. A number that reads both ways (``14.375``) in a file that does
  not tell is refused, not guessed: a wrong guess would be off by a factor of 1,000.
- XLSX: the first sheet, header in its first row. Number cells are taken as they are; a
  number typed as text is read like CSV text (a comma there is a decimal comma).
- Files are read by :mod:`municipalities.tabular`, within its limits (size, rows, columns).

:func:`parse_demand` touches no database: it is given the known municipality codes and either
returns every value or raises :class:`ImportFailed` with every problem, each naming its row
and column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from municipalities.importing import ErrorCollector, ImportFailed
from municipalities.models import DataStatus, Indicator
from municipalities.tabular import Decimals, Table, UnsavedFormula, read_table

KEY_COLUMNS: tuple[str, ...] = ("kommunekode", "year")
OPTIONAL_COLUMNS: tuple[str, ...] = ("status", "source")
INDICATOR_COLUMNS: tuple[str, ...] = tuple(Indicator.values)
YEAR_MIN, YEAR_MAX = 2000, 2050

# Thousands may be grouped with a dot (Danish) or a space (also non-breaking, as Excel
# writes them); the grouping characters are removed before the number is read.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")
_DANISH_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# "14.375" is 14375 with Danish thousands grouping and 14.375 with a decimal point.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")

_WHOLE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class DemandValue:
    row: int
    kommunekode: int
    year: int
    indicator: str
    value: float
    status: str
    source: str


@dataclass(frozen=True)
class DemandFile:
    file_name: str
    sha256: str
    rows: int  # data rows with any content; blank rows are skipped
    values: tuple[DemandValue, ...]


def parse_demand(content: bytes, *, file_name: str, known_codes: Collection[int]) -> DemandFile:
    """Every value in ``content``, or :class:`ImportFailed` listing every problem found."""
    ec = ErrorCollector(file_name)
    table = read_table(content, file_name=file_name, ec=ec, numeric_columns=INDICATOR_COLUMNS)
    if table is None:  # the file could not be read as a table; ec says why
        ec.raise_if_any()
        raise ImportFailed(ec.errors)
    values, rows = _validate(table, file_name=file_name, known_codes=set(known_codes), ec=ec)
    if not ec.errors and rows == 0:
        ec.add(None, "file", "the file has a header but no data rows")
    elif not ec.errors and not values:
        ec.add(None, "file", "no values: every indicator cell is empty")
    ec.raise_if_any()
    return DemandFile(
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=rows,
        values=tuple(values),
    )


# --- validating ------------------------------------------------------------------------------


def _validate(
    table: Table, *, file_name: str, known_codes: set[int], ec: ErrorCollector
) -> tuple[list[DemandValue], int]:
    columns = _check_header(table, ec=ec)
    if columns is None:
        return [], 0
    values: list[DemandValue] = []
    seen: dict[tuple[int, int], int] = {}
    statuses = set(DataStatus.values)
    width = len(table.header)
    count = 0
    for n, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        count += 1
        if len(cells) > width and any(not _blank(c) for c in cells[width:]):
            ec.add(n, "file", f"the row has {len(cells)} cells but the header only {width}")
        cells = cells + [None] * (width - len(cells))

        def ref(col: int, n: int = n) -> str:
            return table.cell_ref(n, col)

        code_at, year_at = columns["kommunekode"], columns["year"]
        code = _whole(cells[code_at])
        if code is None:
            ec.add(
                n,
                "kommunekode",
                f"expected a municipality code such as 101, got {_show(cells[code_at])}"
                + ref(code_at),
            )
        elif code not in known_codes:
            ec.add(n, "kommunekode", f"unknown municipality {code}" + ref(code_at))
        year = _whole(cells[year_at])
        if year is None:
            ec.add(n, "year", f"expected a year, got {_show(cells[year_at])}" + ref(year_at))
        elif not YEAR_MIN <= year <= YEAR_MAX:
            ec.add(
                n,
                "year",
                f"impossible year {year}; expected {YEAR_MIN} to {YEAR_MAX}" + ref(year_at),
            )
        if code in known_codes and year is not None and YEAR_MIN <= year <= YEAR_MAX:
            first = seen.setdefault((code, year), n)
            if first != n:
                ec.add(
                    n,
                    "kommunekode",
                    f"duplicate row for municipality {code} and year {year} (first on row {first})"
                    + ref(code_at),
                )

        status = DataStatus.SOURCED.value
        if "status" in columns and not _blank(cells[columns["status"]]):
            status = str(cells[columns["status"]]).strip().lower()
            if status not in statuses:
                ec.add(
                    n,
                    "status",
                    f"must be one of {', '.join(sorted(statuses))}, got "
                    f"{_show(cells[columns['status']])}" + ref(columns["status"]),
                )
        source = file_name
        if "source" in columns and not _blank(cells[columns["source"]]):
            source = str(cells[columns["source"]]).strip()

        for indicator in INDICATOR_COLUMNS:
            at = columns.get(indicator)
            if at is None or _blank(cells[at]):
                continue
            value = _number(cells[at], n=n, column=indicator, ec=ec, table=table, ref=ref(at))
            if value is not None and code is not None and year is not None:
                values.append(DemandValue(n, code, year, indicator, value, status, source))
    return values, count


def _check_header(table: Table, *, ec: ErrorCollector) -> dict[str, int] | None:
    """Column name -> position; None (with errors) when a row cannot be read at all.

    Problems with the columns are reported at row 0, the header (RowError's convention).
    """
    columns: dict[str, int] = {}
    known = set(KEY_COLUMNS + OPTIONAL_COLUMNS + INDICATOR_COLUMNS)
    for i, raw in enumerate(table.header):
        name = "" if raw is None else str(raw).strip().lower()
        if not name:
            first = next(
                (n for n, cells in table.rows if i < len(cells) and not _blank(cells[i])), None
            )
            if first is not None:
                ec.add(
                    first,
                    f"column {i + 1}",
                    "a value in a column without a name" + table.cell_ref(first, i),
                )
            continue
        if name in columns:
            ec.add(
                0,
                name,
                f"the column appears twice (columns {columns[name] + 1} and {i + 1})"
                + table.cell_ref(0, i),
            )
            continue
        if name not in known:
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            ec.add(
                0,
                name,
                "unknown column"
                + (f" (did you mean '{hint[0]}'?)" if hint else "")
                + table.cell_ref(0, i)
                + "; the columns are kommunekode, year, status, source and the indicators "
                + ", ".join(INDICATOR_COLUMNS),
            )
            continue
        columns[name] = i
    missing = [c for c in KEY_COLUMNS if c not in columns]
    for col in missing:
        ec.add(0, col, "required column is missing from the header")
    if not any(c in columns for c in INDICATOR_COLUMNS):
        ec.add(
            0,
            "indicator",
            "no indicator column in the header; expected at least one of "
            + ", ".join(INDICATOR_COLUMNS),
        )
    # Unknown or repeated columns still let every row be checked, so that one pass reports
    # everything; without kommunekode or year no row can be read.
    return None if missing else columns


def _number(
    cell: Any, *, n: int, column: str, ec: ErrorCollector, table: Table, ref: str
) -> float | None:
    if isinstance(cell, UnsavedFormula):
        ec.add(
            n,
            column,
            f"the formula {cell.formula} has no saved result; open and save the file in Excel, "
            "or paste the values" + ref,
        )
        return None
    value: float
    if isinstance(cell, bool | dt.date | dt.time | dt.timedelta):
        # bool is an int in Python and a date is a number in Excel; neither is meant here.
        ec.add(n, column, f"expected a number, got {_show(cell)}{ref}")
        return None
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        parsed = _parse_number(str(cell), decimals=table.decimals)
        if isinstance(parsed, str):
            ec.add(n, column, f"expected a number, got {_show(cell)}{parsed}{ref}")
            return None
        value = parsed
    if math.isnan(value) or math.isinf(value):
        ec.add(n, column, f"expected a finite number, got {_show(cell)}{ref}")
        return None
    if value < 0:
        ec.add(n, column, f"must not be negative, got {value:g}{ref}")
        return None
    return value


def _parse_number(text: str, *, decimals: Decimals) -> float | str:
    """The number in ``text``, or the end of a message saying why it is not one."""
    compact = text.strip().translate(_GROUP_SPACES)
    if decimals == "unknown" and "," in compact:
        decimals = "comma"
    if decimals == "comma":
        if _DANISH_NUMBER.fullmatch(compact):
            return float(compact.replace(".", "").replace(",", "."))
        if _PLAIN_NUMBER.fullmatch(compact):
            return " (this file writes decimals with a comma, so '.' can only group thousands)"
        return ""
    if decimals == "unknown" and _GROUPED.fullmatch(compact):
        plain = compact.replace(".", "")
        return (
            f" (it reads as {plain} with '.' grouping thousands or as {compact} with a decimal "
            f"point, and nothing else in the file tells which; write {plain} for the whole "
            f"number or {compact.replace('.', ',')} for the decimal)"
        )
    if _PLAIN_NUMBER.fullmatch(compact):
        return float(compact)
    if "," in compact:
        return " (a comma-separated file must use '.' for decimals)"
    return ""


def _whole(cell: Any) -> int | None:
    """A code or year: an integer, an integral XLSX number, or digits in text."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, str) and _WHOLE.fullmatch(cell.strip()):
        return int(cell.strip())
    return None


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _show(cell: Any) -> str:
    if _blank(cell):
        return "an empty cell"
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, dt.date | dt.time | dt.timedelta):
        return f"a date or time ({cell})"
    return repr(cell.strip() if isinstance(cell, str) else cell)
