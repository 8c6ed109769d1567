"""XLSX workbooks with openpyxl: one sheet per table, a header row, frozen and filtered."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.spreadsheet import safe_row

Sheet = tuple[str, Sequence[Any], Sequence[Sequence[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    for title, head, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        if head:
            ws.append(safe_row(str(h) for h in head))
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
        for row in rows:
            ws.append(safe_row(row))
        if head and rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
        for i, h in enumerate(head or [""], start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(h)) + 2))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_response(sheets: Sequence[Sheet], filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
