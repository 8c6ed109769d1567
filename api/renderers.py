"""CSV renderers: plain CSV (``?format=csv``), a Danish Excel variant (``?format=csv-da``)
and an Excel workbook (``?format=xlsx``).

Lists (and paginated pages: their ``results``) become one row per item; nested objects are
flattened into dotted column names (``indicators.chronic.value``). Any other object (one
run's explanation, an error) becomes ``field,value`` rows. Numbers are written so that they
parse back to exactly the numbers of the JSON response: integers as integers, floats by
their shortest round-trip form. The Danish variant separates by ``;``, writes the decimal
point as a comma and starts with a UTF-8 byte-order mark, which is what Danish Excel expects
when a file is opened by double-click.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rest_framework.renderers import BaseRenderer

from reports.spreadsheet import safe_text
from reports.xlsx import Sheet, xlsx_bytes


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as one level of dotted keys; lists of scalars joined by ``|``."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, Mapping) and item:
                out.update(flatten(item, name))
            else:
                out[name] = item
        return out
    return {prefix or "value": value}


def rows_of(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("results"), list) and "count" in data:
        data = data["results"]
    if isinstance(data, list):
        return [flatten(item) if isinstance(item, Mapping) else {"value": item} for item in data]
    if isinstance(data, Mapping):
        return [{"field": k, "value": v} for k, v in flatten(data).items()]
    return [{"value": data}]


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    delimiter = ","
    decimal_comma = False
    byte_order_mark = False

    def cell(self, value: Any) -> str:
        """The text of one cell. Numbers as numbers; any other text neutralised so that a
        spreadsheet shows it rather than running it as a formula (reports/spreadsheet.py)."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float | Decimal):
            text = repr(value) if isinstance(value, float) else str(value)
            return text.replace(".", ",") if self.decimal_comma else text
        if isinstance(value, list | tuple):
            if all(not isinstance(v, Mapping | list) for v in value):
                return safe_text("|".join(self._plain(v) for v in value))
            return safe_text(json.dumps(value, ensure_ascii=False))
        if isinstance(value, Mapping):  # an empty mapping, the only one left after flatten
            return json.dumps(value, ensure_ascii=False)
        return safe_text(str(value))

    def _plain(self, value: Any) -> str:
        """A scalar of a list, neutralised only once the list is joined."""
        return str(value) if isinstance(value, str) else self.cell(value)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        rows = rows_of(data)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\r\n")
        writer.writerow([safe_text(c) for c in columns])
        writer.writerows([self.cell(row.get(c)) for c in columns] for row in rows)
        self._name_download(renderer_context)
        text = buffer.getvalue()
        return (("\ufeff" + text) if self.byte_order_mark else text).encode(self.charset)

    def _name_download(
        self, renderer_context: Mapping[str, Any] | None, *, extension: str = "csv"
    ) -> None:
        if not renderer_context:
            return
        request, response = renderer_context.get("request"), renderer_context.get("response")
        if request is None or response is None:
            return
        path = request.path.removeprefix("/api/v1/").strip("/")
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-") or "klyngeplan"
        suffix = "-da" if self.decimal_comma else ""
        response["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.{extension}"'


class DanishCSVRenderer(CSVRenderer):
    """Semicolon-separated, decimal comma, UTF-8 with BOM: opens as numbers in Danish Excel."""

    format = "csv-da"
    delimiter = ";"
    decimal_comma = True
    byte_order_mark = True


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XLSXRenderer(CSVRenderer):
    """``?format=xlsx``: the CSV's rows and columns as one worksheet. Numbers are numbers,
    text is neutralised against formulas (reports/spreadsheet.py)."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None  # type: ignore[assignment]
    render_style = "binary"

    def xlsx_cell(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Decimal):
            return float(value)
        return self.cell(value)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        rows = rows_of(data)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        table = [[safe_text(c) for c in columns]]
        table += ([self.xlsx_cell(row.get(c)) for c in columns] for row in rows)
        content = xlsx_bytes([Sheet(title="data", rows=table)])
        self._name_download(renderer_context, extension="xlsx")
        return content


def parse_csv(text: str, *, danish: bool = False) -> list[dict[str, str]]:
    """Read a CSV produced here back into rows of strings (for clients and tests)."""
    text = text.removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";" if danish else ","))


def parse_number(text: str, *, danish: bool = False) -> int | float | None:
    if text == "":
        return None
    if danish:
        text = text.replace(",", ".")
    return float(text) if any(c in text for c in ".eEn") else int(text)
