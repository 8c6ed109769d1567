"""XLSX files for the exports, written fast: openpyxl writes the package (workbook, styles,
sheet settings) and this module writes the cells.

openpyxl builds an XML element for every cell and serialises it in pure Python (tens of
microseconds a cell: about a second for a run's workbook of 33,000 cells). Here each cell is
formatted straight into text, as openpyxl's writer formats it: the same types (inline
strings, numbers, booleans, error codes, times as serial numbers), the same digits, and
styles that openpyxl itself registers in the order its writer would. The file is the one
openpyxl's ordinary (not write-only) writer makes of the same cells, part for part
(tests/reports/test_xlsx.py). Text must already be formula-safe (reports/spreadsheet.py):
a formula is refused rather than written.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, TIME_TYPES
from openpyxl.compat import NUMERIC_TYPES, safe_string
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError

MAX_TEXT = 32_767  # characters in a cell; openpyxl cuts longer text there too


class Style(NamedTuple):  # a tuple, not a dataclass: it is hashed for every styled cell
    """Bold text, a number format, or both."""

    bold: bool = False
    number_format: str | None = None


class Styled(NamedTuple):
    """A cell value with its style."""

    value: Any
    style: Style


@dataclass(frozen=True)
class Sheet:
    """One worksheet: rows of values (or :class:`Styled` values), from A1."""

    title: str
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] = ()  # of the columns from A
    freeze: str | None = None  # the top-left cell of the part that scrolls
    auto_filter: str | None = None  # the filtered range, such as "A1:D20"


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The workbook of ``sheets``, in their order."""
    book = Workbook(write_only=True)
    cells: list[tuple[str, str]] = []
    for sheet in sheets:
        ws = book.create_sheet(title=sheet.title)
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
        if sheet.auto_filter:
            ws.auto_filter.ref = sheet.auto_filter
        cells.append(_sheet_data(rows=sheet.rows, style_id=_StyleIds(ws)))
    package = BytesIO()
    book.save(package)  # every sheet empty: openpyxl writes no cell
    return _with_cells(package=package.getvalue(), book=book, cells=cells)


class _StyleIds:
    """A style's index in the workbook's cell formats, as openpyxl registers it: a cell of
    that style (and kind of date, which openpyxl gives its own default number format) asks
    for its id, in the order openpyxl's writer would ask."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids: dict[tuple[Style | None, type | None], int] = {}

    def __call__(self, style: Style | None, value: Any) -> int | None:
        temporal = type(value) if isinstance(value, TIME_TYPES) else None
        if style is None and temporal is None:
            return None
        key = (style, temporal)
        if key not in self._ids:
            cell = WriteOnlyCell(self._ws, value if temporal else None)
            if style is not None and style.bold:
                cell.font = Font(bold=True)
            if style is not None and style.number_format:
                cell.number_format = style.number_format
            self._ids[key] = cell.style_id if cell.has_style else -1
        found = self._ids[key]
        return None if found < 0 else found


def _sheet_data(*, rows: Sequence[Sequence[Any]], style_id: _StyleIds) -> tuple[str, str]:
    """The sheet's dimension and its ``sheetData`` rows. As openpyxl counts them, the
    dimension spans every cell given, empty ones included, and a row is written if it has
    cells at all: ``[]`` skips one, ``[None]`` is an empty row."""
    out: list[str] = []
    letters: list[str] = []
    first = last = width = 0
    for r, row in enumerate(rows, start=1):
        if not row:
            continue
        first, last, width = first or r, r, max(width, len(row))
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        written = "".join(
            _cell(ref=f"{letters[c]}{r}", value=value, style_id=style_id)
            for c, value in enumerate(row)
        )
        out.append(f'<row r="{r}">{written}</row>')
    dimension = f"A{first}:{get_column_letter(width)}{last}" if width else "A1:A1"
    return dimension, "".join(out)


def _cell(*, ref: str, value: Any, style_id: _StyleIds) -> str:
    style: Style | None = None
    if type(value) is Styled:
        value, style = value
    sid = style_id(style, value)
    s = "" if sid is None else f' s="{sid}"'
    if value is None:
        return "" if sid is None else f'<c r="{ref}"{s} t="n" />'
    if type(value) is bool:
        return f'<c r="{ref}"{s} t="b"><v>{safe_string(value)}</v></c>'
    if isinstance(value, NUMERIC_TYPES):
        return f'<c r="{ref}"{s} t="n">{_v(safe_string(value))}</c>'
    if isinstance(value, str):
        return _text(ref=ref, s=s, text=value)
    if isinstance(value, TIME_TYPES):
        if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
            raise TypeError("Excel has no time zones: give the time without tzinfo")
        serial = to_excel(value)
        if serial is None:  # pandas' NaT
            return f'<c r="{ref}"{s} t="n" />'
        return f'<c r="{ref}"{s} t="n">{_v(safe_string(serial))}</c>'
    raise ValueError(f"Cannot convert {value!r} to Excel")


def _text(*, ref: str, s: str, text: str) -> str:
    text = str(text)[:MAX_TEXT]
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
    if len(text) > 1 and text.startswith("="):
        raise ValueError(f"a formula is not written as text: {text!r}")
    if text in ERROR_CODES:
        return f'<c r="{ref}"{s} t="e"><v>{text}</v></c>'
    if text == "":
        return f'<c r="{ref}"{s} t="inlineStr" />'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _v(text: str) -> str:
    return f"<v>{text}</v>" if text else "<v />"


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_EMPTY_DATA = b"<sheetData></sheetData>"
_VIEWS = b"<sheetViews>"


def _with_cells(*, package: bytes, book: Workbook, cells: Sequence[tuple[str, str]]) -> bytes:
    """openpyxl's package with each sheet's dimension and rows put in."""
    parts = {ws.path.lstrip("/"): data for ws, data in zip(book.worksheets, cells, strict=True)}
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(package)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename in parts:
                dimension, rows = parts.pop(info.filename)
                # openpyxl's empty write-only sheet, as the cells are put into it; another
                # layout (a new openpyxl) must fail here, not give a garbled file.
                if data.count(_EMPTY_DATA) != 1 or data.count(_VIEWS) != 1 or b"<dimension" in data:
                    raise RuntimeError(f"unexpected worksheet layout in {info.filename}")
                data = data.replace(
                    _VIEWS, f'<dimension ref="{dimension}" />'.encode() + _VIEWS
                ).replace(_EMPTY_DATA, b"<sheetData>" + rows.encode() + b"</sheetData>")
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
            target.writestr(copy, data)
    if parts:
        raise RuntimeError(f"worksheets missing from the package: {sorted(parts)}")
    return out.getvalue()
