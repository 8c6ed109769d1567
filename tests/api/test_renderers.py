"""The CSV renderers: flattening, numbers that read back exactly, the Danish dialect."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from api.renderers import CSVRenderer, DanishCSVRenderer, XLSXRenderer, parse_csv, parse_number

ROWS = [
    {
        "name": "Ærø",
        "n": 3,
        "x": 0.1 + 0.2,
        "d": Decimal("2.50"),
        "ok": True,
        "none": None,
        "nested": {"a": {"b": 1.5}},
        "codes": [825, 101],
    },
]


def test_plain_csv_reads_back_exactly() -> None:
    text = CSVRenderer().render(ROWS).decode()
    row = parse_csv(text)[0]
    assert list(row) == ["name", "n", "x", "d", "ok", "none", "nested.a.b", "codes"]
    assert row["name"] == "Ærø" and row["ok"] == "true" and row["none"] == ""
    assert parse_number(row["x"]) == 0.1 + 0.2 and parse_number(row["n"]) == 3
    assert row["d"] == "2.50" and row["nested.a.b"] == "1.5" and row["codes"] == "825|101"


def test_danish_csv_semicolons_decimal_comma_and_bom() -> None:
    raw = DanishCSVRenderer().render(ROWS)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")
    assert text.splitlines()[0].lstrip("\ufeff").split(";")[:3] == ["name", "n", "x"]
    row = parse_csv(text, danish=True)[0]
    assert row["x"] == "0,30000000000000004" and row["d"] == "2,50"
    assert parse_number(row["x"], danish=True) == 0.1 + 0.2
    assert row["name"] == "Ærø"


def test_pages_objects_and_nothing() -> None:
    page = {"count": 1, "next": None, "previous": None, "results": [{"a": 1}]}
    assert parse_csv(CSVRenderer().render(page).decode()) == [{"a": "1"}]
    detail = parse_csv(CSVRenderer().render({"detail": "Not found."}).decode())
    assert detail == [{"field": "detail", "value": "Not found."}]
    assert CSVRenderer().render(None) == b""


FORMULAS = [
    {"name": '=HYPERLINK("http://evil.example")', "n": -3, "x": -0.5, "tags": ["@a", "b"]},
    {"name": "+45", "n": 1, "x": 1.5, "tags": []},
    {"name": "\tTab", "n": 2, "x": 2.0, "tags": ["-1"]},
    {"name": "Læsø", "n": -0, "x": 0.0, "tags": ["x"]},
]


def test_csv_quotes_text_that_starts_like_a_formula_and_keeps_numbers() -> None:
    for renderer, danish in ((CSVRenderer(), False), (DanishCSVRenderer(), True)):
        rows = parse_csv(renderer.render(FORMULAS).decode(), danish=danish)
        assert [r["name"] for r in rows] == [
            '\'=HYPERLINK("http://evil.example")',
            "'+45",
            "'\tTab",
            "Læsø",
        ]
        assert [parse_number(r["n"], danish=danish) for r in rows] == [-3, 1, 2, 0]
        assert parse_number(rows[0]["x"], danish=danish) == -0.5
        assert [r["tags"] for r in rows] == ["'@a|b", "", "'-1", "x"]


def test_xlsx_leaves_out_control_characters_it_cannot_hold() -> None:
    rows = [{"name": "Sce\x01nario\x1b", "n": 3}]
    book = load_workbook(io.BytesIO(XLSXRenderer().render(rows)))
    assert [c.value for c in book.active[2]] == ["Scenario", 3]
