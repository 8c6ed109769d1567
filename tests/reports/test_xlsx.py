"""reports.xlsx writes the cells itself: the file must be the one openpyxl's own writer makes
of the same cells, part for part, for every kind of value an export can hold."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import IllegalCharacterError

from reports.xlsx import Sheet, Style, Styled, xlsx_bytes

BOLD = Style(bold=True)
WHOLE = Style(number_format="#,##0")
STAMP = Style(number_format="yyyy-mm-dd hh:mm")
SHARE = Style(number_format="0.0%")

ROWS: list[list[Any]] = [
    [Styled("Name", BOLD), Styled(" padded ", BOLD), Styled("", BOLD), Styled("Æ & <ø>", BOLD)],
    ["København", 101, 0.1 + 0.2, Decimal("2.50")],
    [],  # an empty row: skipped, the rows after it keep their numbers
    [True, False, None, "#N/A"],
    [Styled(1_500, WHOLE), Styled(2167.163557836866, WHOLE), Styled(0.1394, SHARE), "   "],
    [Styled(dt.datetime(2026, 3, 1, 14, 5, 33, 120_000), STAMP), dt.datetime(2026, 3, 1)],
    [
        dt.date(2026, 3, 1),
        dt.time(7, 30),
        dt.timedelta(hours=36),
        Styled(dt.date(2026, 1, 1), STAMP),
    ],
    [float("nan"), float("inf"), 12345678901234567, -0.0],
    [np.float64(2.5), np.int64(7), np.bool_(True), Styled(None, WHOLE)],
    [None, None],  # written as an empty row, as openpyxl does
    ["line\nbreak", "tab\there", "x" * 40_000, "'=HYPERLINK(1)"],
]


def _openpyxl_file(rows: list[list[Any]]) -> bytes:
    """The same sheets through openpyxl's ordinary writer, styled cell by cell."""
    book = Workbook()
    book.remove(book.active)
    for title in ("data", "more"):
        ws = book.create_sheet(title)
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["B"].width = 10
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = "A1:D11"
        for r, row in enumerate(rows, start=1):
            ws.append([v.value if isinstance(v, Styled) else v for v in row])
            for c, value in enumerate(row, start=1):
                if isinstance(value, Styled):
                    cell = ws.cell(row=r, column=c)
                    if value.style.bold:
                        cell.font = Font(bold=True)
                    if value.style.number_format:
                        cell.number_format = value.style.number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    # the save time is the only thing that may differ
    stamp = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    parts["docProps/core.xml"] = re.sub(stamp, b"", parts["docProps/core.xml"])
    return parts


def test_the_file_is_openpyxls_own_part_for_part() -> None:
    sheets = [
        Sheet(title=title, rows=ROWS, widths=[18, 10], freeze="A2", auto_filter="A1:D11")
        for title in ("data", "more")
    ]
    ours, theirs = _parts(xlsx_bytes(sheets)), _parts(_openpyxl_file(ROWS))
    assert list(ours) == list(theirs)
    for name in theirs:
        assert ours[name] == theirs[name], name
    ws = load_workbook(io.BytesIO(xlsx_bytes(sheets)))["data"]
    assert ws["A1"].font.b and ws["B5"].number_format == "#,##0" and ws["D4"].data_type == "e"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D11"


def test_sheets_without_cells_and_without_settings() -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes([Sheet("empty", []), Sheet("blank", [[], []])])))
    assert book.sheetnames == ["empty", "blank"]
    assert book["empty"].calculate_dimension() == "A1:A1" and book["blank"].max_row == 1


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("=HYPERLINK(1)", ValueError),  # text must be formula-safe before it gets here
        ("bell\x07", IllegalCharacterError),
        (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), TypeError),
        (object(), ValueError),
    ],
)
def test_what_cannot_be_written_is_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        xlsx_bytes([Sheet("data", [[value]])])
