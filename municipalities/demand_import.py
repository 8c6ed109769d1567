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

:func:`parse_demand` touches no database: it is given the known municipality codes and either
returns every value or raises :class:`ImportFailed` with every problem, each naming its row
and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openpyxl
from openpyxl.utils import get_column_letter

from municipalities.importing import ErrorCollector, ImportFailed
from municipalities.models import DataStatus, Indicator

KEY_COLUMNS: tuple[str, ...] = ("kommunekode", "year")
OPTIONAL_COLUMNS: tuple[str, ...] = ("status", "source")
INDICATOR_COLUMNS: tuple[str, ...] = tuple(Indicator.values)
YEAR_MIN, YEAR_MAX = 2000, 2050

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 binary .xls format
# Thousands may be grouped with a dot (Danish) or a space (also non-breaking, as Excel
# writes them); the grouping characters are removed before the number is read.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")
_DANISH_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# "14.375" is 14375 with Danish thousands grouping and 14.375 with a decimal point.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")

# How a file writes decimals: "comma" (1.234,5), "point" (1234.5), or "unknown" when nothing
# in the file tells (then a number that reads both ways is refused rather than guessed).
Decimals = Literal["comma", "point", "unknown"]
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


@dataclass(frozen=True)
class _Table:
    kind: Literal["csv", "xlsx"]
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  # (1-based data row, cells); the header is row 0
    # How text numbers write decimals, decided per file for CSV (see the module docstring).
    decimals: Decimals
    # Where a cell is, for messages: Excel users look for "C5", not "row 4".
    cell_ref: Callable[[int, int], str]


def parse_demand(content: bytes, *, file_name: str, known_codes: Collection[int]) -> DemandFile:
    """Every value in ``content``, or :class:`ImportFailed` listing every problem found."""
    ec = ErrorCollector(file_name)
    table = _read_table(content, file_name=file_name, ec=ec)
    if table is None:  # the file could not be read as a table; ec says why
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


# --- reading ---------------------------------------------------------------------------------


def _read_table(
    content: bytes,
    *,
    file_name: str,
    ec: ErrorCollector,
    numeric_columns: Collection[str] = INDICATOR_COLUMNS,
) -> _Table | None:
    """The file as a table; ``numeric_columns`` are the header names whose cells tell how a
    ``;`` file writes decimals (the projection import shares this reader)."""
    if not content.strip() or content.strip() == b"\xef\xbb\xbf":
        ec.add(None, "file", "the file is empty")
        return None
    if content.startswith(_OLE_MAGIC) or file_name.lower().endswith(".xls"):
        ec.add(None, "file", "the old .xls format is not supported; save it as .xlsx or CSV UTF-8")
        return None
    if content.startswith(_ZIP_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content, ec=ec)
    return _read_csv(content, ec=ec, numeric_columns=numeric_columns)


def _read_csv(
    content: bytes, *, ec: ErrorCollector, numeric_columns: Collection[str]
) -> _Table | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ec.add(
            None,
            "file",
            f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' or as .xlsx",
        )
        return None
    # The header line decides: it holds only names, so its separators are unambiguous.
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        # The reader stops at the broken record; it is the next data row after those read.
        ec.add(len(records), "file", f"cannot read the CSV here: {exc}")
        return None
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)  # blank lines before the header
    if not records:
        ec.add(None, "file", "the file is empty")
        return None
    header, body = records[0], records[1:]
    decimals: Decimals = (
        _decimals_of(header, body, numeric_columns) if delimiter == ";" else "point"
    )
    return _Table(
        kind="csv",
        header=list(header),
        rows=[(n, list(cells)) for n, cells in enumerate(body, start=1)],
        decimals=decimals,
        cell_ref=lambda _row, _col: "",
    )


def _decimals_of(
    header: Sequence[str], body: Sequence[Sequence[str]], numeric_columns: Collection[str]
) -> Decimals:
    """How a ``;`` file writes decimals, from the evidence in its indicator cells.

    A ``;`` file usually comes from Danish Excel (comma decimals, dot thousands), but it may
    also come from a program writing dot decimals; a cell like ``3.58`` or ``1,5`` decides.
    """
    columns = [i for i, h in enumerate(header) if h.strip().lower() in numeric_columns]
    cells = [
        row[i].strip().translate(_GROUP_SPACES) for row in body for i in columns if i < len(row)
    ]
    if any("," in c for c in cells):
        return "comma"  # cells with a dot decimal, if any, are then reported one by one
    if any("." in c and _PLAIN_NUMBER.fullmatch(c) and not _GROUPED.fullmatch(c) for c in cells):
        return "point"
    return "unknown"


def _read_xlsx(content: bytes, *, ec: ErrorCollector) -> _Table | None:
    try:
        # data_only gives formulas' saved results; the second read shows which cells hold a
        # formula, so that one never saved by Excel is reported instead of read as empty.
        values_wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formula_wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file: report any
        ec.add(None, "file", f"cannot read the file as XLSX: {exc}")
        return None
    try:
        if not values_wb.worksheets:
            ec.add(None, "file", "the workbook has no worksheet")
            return None
        values_ws, formula_ws = values_wb.worksheets[0], formula_wb.worksheets[0]
        grid = [list(r) for r in values_ws.iter_rows(values_only=True)]
        formulas = [list(r) for r in formula_ws.iter_rows(values_only=True)]
    finally:
        values_wb.close()
        formula_wb.close()
    while grid and all(_blank(c) for c in grid[0]):
        grid.pop(0)  # blank rows above the header
        formulas.pop(0)
    if not grid:
        ec.add(None, "file", "the file is empty: its first sheet has no cells")
        return None
    offset = len(formulas) - len(grid)  # sheet rows above the header
    for cells, raw in zip(grid[1:], formulas[1:], strict=True):
        for i, (value, formula) in enumerate(zip(cells, raw, strict=False)):
            if value is None and isinstance(formula, str) and formula.startswith("="):
                # Mark it so validation reports it at its row and column.
                cells[i] = _UnsavedFormula(formula)
    return _Table(
        kind="xlsx",
        header=grid[0],
        rows=[(n, cells) for n, cells in enumerate(grid[1:], start=1)],
        # XLSX numbers are typed; a text cell stands alone, so nothing is assumed for it.
        decimals="unknown",
        cell_ref=lambda row, col: f" (cell {get_column_letter(col + 1)}{row + 1 + offset})",
    )


@dataclass(frozen=True)
class _UnsavedFormula:
    formula: str


# --- validating ------------------------------------------------------------------------------


def _validate(
    table: _Table, *, file_name: str, known_codes: set[int], ec: ErrorCollector
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


def _check_header(table: _Table, *, ec: ErrorCollector) -> dict[str, int] | None:
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
    cell: Any, *, n: int, column: str, ec: ErrorCollector, table: _Table, ref: str
) -> float | None:
    if isinstance(cell, _UnsavedFormula):
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
