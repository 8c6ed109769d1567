"""Read an uploaded table (CSV or XLSX) within stated limits, for every import.

The demand and the practice imports read their files here, so that both refuse the same
things the same way, each problem named by row and column:

- size: at most :data:`MAX_FILE_BYTES` bytes, :data:`MAX_ROWS` data rows and
  :data:`MAX_COLUMNS` columns (Denmark has 98 municipalities and about 1,800 practices, so a
  file beyond these is not a register but a mistake);
- CSV: UTF-8 with or without a BOM; ``;`` or ``,`` separated, decided from the header line
  (it holds only names, so its separators are unambiguous; no guessing from the data, which
  could turn off the doubled-quote escape); standard quoting (a quote inside a quoted cell is
  written twice); a NUL
  byte is refused (it is never text, and it cuts strings short in C libraries);
- XLSX: the first sheet, header in its first non-blank row, read with openpyxl in read-only
  mode and never beyond the row and column caps, whatever used range the file claims (a
  5 KB file may claim A1:XFD20000, 327 million cells);
- the old binary .xls format is refused with a hint.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openpyxl
from django.utils.formats import number_format
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from municipalities.importing import ErrorCollector

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 60

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 binary .xls format
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# "14.375" is 14375 with Danish thousands grouping and 14.375 with a decimal point.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
# A formula element, with or without a namespace prefix (<f>, <x:f ...>); other elements
# that begin with an f (<filter>, <font>) have more letters after it.
_FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
# How much unpacked XML is searched for a formula before the workbook is read for its
# formulas anyway: a zip bomb is not unpacked for the search.
_FORMULA_SEARCH_BYTES = 64 * 1024 * 1024

# How a file writes decimals: "comma" (1.234,5), "point" (1234.5), or "unknown" when nothing
# in the file tells (then a number that reads both ways is refused rather than guessed).
Decimals = Literal["comma", "point", "unknown"]


@dataclass(frozen=True)
class Table:
    kind: Literal["csv", "xlsx"]
    header: list[Any]
    rows: list[tuple[int, list[Any]]]  # (1-based data row, cells); the header is row 0
    # How text numbers write decimals, decided per file for CSV (see decimals_of).
    decimals: Decimals
    # Where a cell is, for messages: Excel users look for "C5", not "row 4".
    cell_ref: Callable[[int, int], str]


@dataclass(frozen=True)
class UnsavedFormula:
    """An XLSX formula cell whose result Excel never saved (read as empty otherwise)."""

    formula: str


def read_table(
    content: bytes, *, file_name: str, ec: ErrorCollector, numeric_columns: Collection[str]
) -> Table | None:
    """The file as a table, or None with the reason in ``ec``.

    ``numeric_columns`` are the header names whose cells are numbers: in a ``;`` file they
    decide whether a comma or a point is the decimal mark.
    """
    if len(content) > MAX_FILE_BYTES:
        ec.add(
            None,
            "file",
            gettext("the file is %(size)s MB; at most %(max)s MB are read")
            % {
                "size": number_format(len(content) / 1024 / 1024, decimal_pos=1, use_l10n=True),
                "max": MAX_FILE_BYTES // 1024 // 1024,
            },
        )
        return None
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
) -> Table | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ec.add(
            None,
            "file",
            f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' or as .xlsx",
        )
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        ec.add(
            None,
            "file",
            gettext("a NUL byte on line %(line)s: this is not a text file") % {"line": line},
        )
        return None
    # The header line decides: it holds only names, so its separators are unambiguous.
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, doublequote=True, strict=True
    )
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                break
            if len(record) > MAX_COLUMNS:
                ec.add(
                    len(records) - 1,
                    "file",
                    gettext("%(cells)s cells in one row; at most %(max)s columns are read")
                    % {"cells": len(record), "max": MAX_COLUMNS},
                )
                return None
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
    if len(body) > MAX_ROWS:
        ec.add(
            None, "file", gettext("more than %(max)s data rows; split the file") % {"max": _rows()}
        )
        return None
    decimals: Decimals = (
        decimals_of(header, body, numeric_columns=numeric_columns) if delimiter == ";" else "point"
    )
    return Table(
        kind="csv",
        header=list(header),
        rows=[(n, list(cells)) for n, cells in enumerate(body, start=1)],
        decimals=decimals,
        cell_ref=lambda _row, _col: "",
    )


def decimals_of(
    header: Sequence[str], body: Sequence[Sequence[str]], *, numeric_columns: Collection[str]
) -> Decimals:
    """How a ``;`` file writes decimals, from the evidence in its numeric cells.

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


def _grid(ws: Any) -> list[list[Any]] | str:
    """The sheet's cells within the caps, or why it is refused.

    One row and one column past the caps are read, so that content beyond them is seen
    (and refused) without ever reading the whole used range a file may claim.
    """
    # The used range the file claims (its dimension element; None when it has none). Cells
    # beyond the caps would never be read, so such a sheet is refused rather than cut short.
    claimed_rows, claimed_columns = ws.max_row, ws.max_column
    if (claimed_columns or 0) > MAX_COLUMNS or (claimed_rows or 0) > MAX_ROWS + 1:
        used = ws.calculate_dimension() if claimed_rows and claimed_columns else "?"
        return gettext(
            "the first sheet's used range is %(range)s, beyond %(columns)s columns or %(rows)s "
            "rows; delete the empty rows and columns after the data, or copy the data to a new "
            "sheet"
        ) % {"range": used, "columns": MAX_COLUMNS, "rows": _rows()}
    rows = [
        list(r)
        for r in ws.iter_rows(
            min_row=1, max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1, values_only=True
        )
    ]
    if any(len(r) > MAX_COLUMNS and not blank(r[MAX_COLUMNS]) for r in rows):
        return gettext("the first sheet has more than %(max)s columns") % {"max": MAX_COLUMNS}
    rows = [r[:MAX_COLUMNS] for r in rows]
    while rows and all(blank(c) for c in rows[-1]):
        rows.pop()  # trailing blank rows of a used range larger than the data
    if len(rows) > MAX_ROWS + 1:
        return gettext("the first sheet has more than %(max)s data rows; split the file") % {
            "max": _rows()
        }
    return rows


def _read_xlsx(content: bytes, *, ec: ErrorCollector) -> Table | None:
    try:
        # data_only gives formulas' saved results; the second read (of a workbook that has
        # formulas at all) shows which cells hold one, so that one never saved by Excel is
        # reported instead of read as empty.
        values_wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        formula_wb = (
            openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
            if _may_hold_formulas(content)
            else None
        )
    except Exception as exc:  # openpyxl raises many kinds on a damaged file: report any
        ec.add(None, "file", f"cannot read the file as XLSX: {exc}")
        return None
    try:
        if not values_wb.worksheets:
            ec.add(None, "file", "the workbook has no worksheet")
            return None
        grid = _grid(values_wb.worksheets[0])
        formulas: list[list[Any]] | str = grid if isinstance(grid, str) else []
        if formula_wb is not None and not isinstance(grid, str):
            formulas = _grid(formula_wb.worksheets[0])
    except Exception as exc:  # a damaged sheet inside a readable archive
        ec.add(None, "file", gettext("cannot read the first sheet: %(error)s") % {"error": exc})
        return None
    finally:
        values_wb.close()
        if formula_wb is not None:
            formula_wb.close()
    if isinstance(grid, str) or isinstance(formulas, str):
        ec.add(None, "file", grid if isinstance(grid, str) else str(formulas))
        return None
    formulas = (formulas + [[]] * len(grid))[: len(grid)]
    above = 0  # sheet rows above the header
    while grid and all(blank(c) for c in grid[0]):
        grid.pop(0)
        formulas.pop(0)
        above += 1
    if not grid:
        ec.add(None, "file", "the file is empty: its first sheet has no cells")
        return None
    for cells, raw in zip(grid[1:], formulas[1:], strict=True):
        for i, (value, formula) in enumerate(zip(cells, raw, strict=False)):
            if value is None and isinstance(formula, str) and formula.startswith("="):
                # Mark it so validation reports it at its row and column.
                cells[i] = UnsavedFormula(formula)
    header = _trim(grid[0], 0)
    return Table(
        kind="xlsx",
        header=header,
        rows=[(n, _trim(cells, len(header))) for n, cells in enumerate(grid[1:], start=1)],
        # XLSX numbers are typed; a text cell stands alone, so nothing is assumed for it.
        decimals="unknown",
        cell_ref=lambda row, col: f" (cell {get_column_letter(col + 1)}{row + 1 + above})",
    )


def _may_hold_formulas(content: bytes) -> bool:
    """Whether any part of the XLSX archive may hold a formula element. A workbook without
    one (most exports) needs no second read for its formulas: there is no unsaved result to
    report. Any part is searched, not only the sheets openpyxl would find; an element found
    elsewhere (a chart's series formula) only costs the second read."""
    budget = _FORMULA_SEARCH_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                with archive.open(info) as part:
                    tail = b""
                    while chunk := part.read(1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0 or _FORMULA_ELEMENT.search(tail + chunk):
                            return True
                        tail = chunk[-64:]  # an element cut in two by the chunks
    except Exception:  # a damaged archive: the second read reports it, as it always did
        return True
    return False


def _trim(cells: list[Any], width: int) -> list[Any]:
    """A row without the blank cells right of the header's width (a used range wider than
    the data pads every row); a non-blank cell there stays, to be refused as an extra cell."""
    last = len(cells)
    while last > width and blank(cells[last - 1]):
        last -= 1
    return cells[:last]


def _rows() -> str:
    return str(number_format(MAX_ROWS, use_l10n=True, force_grouping=True))


def blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
