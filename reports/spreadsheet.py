"""What every CSV and XLSX export writes into a cell.

A name typed by one user (a practice, a scenario, a demand file's source) reaches other users'
spreadsheets. Excel and LibreOffice run text that begins with ``=``, ``+``, ``-`` or ``@`` as
a formula (``=HYPERLINK(...)``), and a leading tab or carriage return can hide such a start,
so such text is written with a single quote in front (the OWASP rule against CSV injection).
Only the export changes: the stored text stays as typed. Numbers are not text and stay
numbers, negative ones included. Control characters other than tab and line breaks (which
XLSX cannot hold, and which only garble a CSV) are left out.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The characters XML 1.0 refuses (openpyxl raises on them in a cell).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it literally."""
    text = CONTROL_CHARACTERS.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: Any) -> Any:
    """A cell value ready for a spreadsheet: text neutralised, anything else unchanged."""
    if hasattr(value, "__html__"):  # a lazy or safe string from a template or a translation
        value = str(value)
    return safe_text(value) if isinstance(value, str) else value


def safe_row(row: Any) -> list[Any]:
    return [safe_cell(v) for v in row]
