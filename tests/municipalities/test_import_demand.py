"""import_demand: CSV and XLSX demand data, applied atomically, or refused with every error named.

A refused file must leave the database as it was: each bad-input test compares whole-table
checksums before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.roles import Role
from municipalities.demand_import import parse_demand
from municipalities.importing import ImportFailed
from municipalities.models import DataStatus, DemandIndicator, ImportBatch, Municipality
from municipalities.services import import_demand
from tests.checksums import checksums
from tests.factories import user_with_role

pytestmark = pytest.mark.usefixtures("denmark")
TABLES = (DemandIndicator, ImportBatch, Municipality)


def _value(code: int, year: int, indicator: str) -> DemandIndicator:
    return DemandIndicator.objects.get(municipality_id=code, year=year, indicator=indicator)


def _write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _xlsx(tmp_path: Path, rows: list[list[Any]], name: str = "demand.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Ark1"
    for row in rows:
        ws.append(row)
    # A second sheet must be ignored: the first one is the data.
    wb.create_sheet("Noter").append(["kommunekode", "year", "chronic"])
    path = tmp_path / name
    wb.save(path)
    return path


def _import(path: Path, *args: str, accept_warnings: bool = True) -> str:
    """Import with the command. The reading tests use small numbers (1.5 chronically ill
    citizens in København) that are implausible on purpose; the plausibility tests pass
    ``accept_warnings=False``."""
    out = io.StringIO()
    extra = ("--accept-warnings",) if accept_warnings else ()
    call_command("import_demand", str(path), *args, *extra, stdout=out)
    return out.getvalue()


def _fails_and_changes_nothing(path: Path, *expected: str) -> str:
    before = checksums(*TABLES)
    with pytest.raises(CommandError) as info:
        _import(path)
    assert checksums(*TABLES) == before
    message = str(info.value)
    assert message.startswith("Nothing was imported;"), message
    for part in expected:
        assert part in message, message
    return message


# --- valid files -----------------------------------------------------------------------------


def test_semicolon_file_with_decimal_comma_and_bom(tmp_path: Path) -> None:
    user_with_role("planner-h", Role.PLANNER, region=1084)  # Hovedstaden: 101 and 147
    path = _write(
        tmp_path,
        "demand.csv",
        "kommunekode;year;chronic;multimorbid;status;source\r\n"
        "101;2030;1.234,5;99,5;estimated;Region Hovedstaden\r\n"
        "147;2030;12345,25;;;\r\n"
        "\r\n",
        bom=True,
    )
    out = _import(path, "--user", "planner-h", "--note", "first upload")

    chronic = _value(101, 2030, "chronic")
    assert chronic.value == 1234.5
    assert (chronic.status, chronic.source) == (DataStatus.ESTIMATED, "Region Hovedstaden")
    assert _value(101, 2030, "multimorbid").value == 99.5
    frb = _value(147, 2030, "chronic")
    # Without status and source the defaults apply: sourced, from this file.
    assert (frb.value, frb.status, frb.source) == (12345.25, DataStatus.SOURCED, "demand.csv")
    # An empty cell is no value: nothing was written for it.
    assert not DemandIndicator.objects.filter(
        municipality_id=147, year=2030, indicator="multimorbid"
    ).exists()

    batch = ImportBatch.objects.get()
    assert batch.user is not None and batch.user.username == "planner-h"
    assert (batch.file_name, batch.rows, batch.values_created, batch.values_updated) == (
        "demand.csv",
        2,
        3,
        0,
    )
    assert batch.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.note == "first upload"
    assert "2 row(s); 3 value(s) created, 0 updated" in out


def test_comma_file_updates_and_creates_and_leaves_the_rest(tmp_path: Path) -> None:
    untouched = _value(101, 2026, "multimorbid")
    total = DemandIndicator.objects.count()
    path = _write(
        tmp_path,
        "demand.csv",
        "kommunekode,year,chronic,pop_80_plus,status\n"
        "101,2026,95000.5,,sourced\n"
        "860,2031,1e3,2,derived\n",
    )
    out = _import(path)

    assert _value(101, 2026, "chronic").value == 95000.5
    assert _value(101, 2026, "chronic").status == DataStatus.SOURCED
    assert _value(860, 2031, "chronic").value == 1000.0
    assert _value(860, 2031, "pop_80_plus").status == DataStatus.DERIVED
    assert DemandIndicator.objects.count() == total + 2
    assert _value(101, 2026, "multimorbid").value == untouched.value
    batch = ImportBatch.objects.get()
    assert (batch.user, batch.rows, batch.values_created, batch.values_updated) == (None, 2, 2, 1)
    assert "Demand data imported." in out


def test_xlsx_file(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["kommunekode", "year", "chronic", "vulnerable", "Source"],
            [101, 2030, 1234.5, 17, "DST"],
            [],  # a blank row in the middle is skipped
            ["147", 2030.0, "1234,5", None, None],  # numbers typed as text are read too
        ],
    )
    _import(path)
    assert _value(101, 2030, "chronic").value == 1234.5
    assert _value(101, 2030, "vulnerable").source == "DST"
    assert _value(147, 2030, "chronic").value == 1234.5
    assert _value(147, 2030, "chronic").source == "demand.xlsx"
    batch = ImportBatch.objects.get()
    assert (batch.rows, batch.values_created, batch.values_updated) == (2, 3, 0)


def test_reimport_changes_nothing_and_says_so(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "demand.csv",
        "kommunekode;year;chronic;psychiatric\n101;2026;1,5;2\n751;2030;3;\n",
    )
    _import(path)
    values = checksums(DemandIndicator)
    out = _import(path)
    assert checksums(DemandIndicator) == values
    first, second = ImportBatch.objects.order_by("id")
    assert (first.values_created, first.values_updated) == (1, 2)
    assert (second.values_created, second.values_updated) == (0, 0)
    assert second.file_sha256 == first.file_sha256
    assert "Nothing changed" in out


def test_service_raises_every_error_and_writes_nothing() -> None:
    before = checksums(*TABLES)
    with pytest.raises(ImportFailed) as info:
        import_demand(
            content=b"kommunekode;year;chronic\n999;2030;1\n101;1890;-2\n",
            file_name="upload.csv",
            user=None,
        )
    assert checksums(*TABLES) == before
    assert [(e.row, e.field) for e in info.value.errors] == [
        (1, "kommunekode"),
        (2, "year"),
        (2, "chronic"),
    ]


# --- bad files: each names its row and column, and nothing changes ---------------------------


def test_unknown_kommunekode(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;chronic\n101;2030;1\n999;2030;2\n")
    _fails_and_changes_nothing(
        path, "demand.csv, row 2, field 'kommunekode': unknown municipality 999"
    )


def test_duplicate_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "demand.csv",
        "kommunekode;year;chronic\n101;2030;1\n147;2030;2\n101;2030;3\n",
    )
    _fails_and_changes_nothing(
        path,
        "demand.csv, row 3, field 'kommunekode'",
        "duplicate row for municipality 101 and year 2030 (first on row 1)",
    )


def test_missing_required_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;chronic\n101;1\n")
    _fails_and_changes_nothing(
        path, "demand.csv, row 0, field 'year': required column is missing from the header"
    )


def test_no_indicator_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;source\n101;2030;DST\n")
    _fails_and_changes_nothing(path, "row 0, field 'indicator': no indicator column")


def test_unknown_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "demand.csv", "kommunekode;year;chronic;chronc;borgere\n101;2030;1;2;3\n"
    )
    message = _fails_and_changes_nothing(
        path,
        "2 problem(s)",
        "row 0, field 'chronc': unknown column (did you mean 'chronic'?)",
        "row 0, field 'borgere': unknown column;",
    )
    assert "pop_80_plus" in message  # the message lists the columns that are known


def test_non_numeric_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;chronic\n101;2030;1\n147;2030;many\n")
    _fails_and_changes_nothing(
        path, "demand.csv, row 2, field 'chronic': expected a number, got 'many'"
    )


def test_dot_decimal_in_a_decimal_comma_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;chronic\n101;2030;1,5\n147;2030;3.58\n")
    _fails_and_changes_nothing(
        path, "row 2, field 'chronic': expected a number, got '3.58' (this file writes decimals"
    )


def test_number_that_reads_two_ways_is_refused(tmp_path: Path) -> None:
    # 14.375 is 14375 in Danish notation and 14.375 in English; the file gives no clue.
    path = _write(tmp_path, "demand.csv", "kommunekode;year;pop_80_plus\n101;2030;14.375\n")
    _fails_and_changes_nothing(
        path, "row 1, field 'pop_80_plus'", "write 14375 for the whole number or 14,375"
    )


def test_negative_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode,year,multimorbid\n101,2030,-4.5\n")
    _fails_and_changes_nothing(
        path, "demand.csv, row 1, field 'multimorbid': must not be negative, got -4.5"
    )


@pytest.mark.parametrize("year", ["1999", "2051", "20300", "2030.5"])
def test_impossible_year(tmp_path: Path, year: str) -> None:
    path = _write(tmp_path, "demand.csv", f"kommunekode;year;chronic\n101;2030;1\n101;{year};1\n")
    _fails_and_changes_nothing(path, "demand.csv, row 2, field 'year'", year)


def test_bad_status(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;chronic;status\n101;2030;1;guessed\n")
    _fails_and_changes_nothing(
        path, "row 1, field 'status': must be one of derived, estimated, sourced, got 'guessed'"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf\r\n", "the file is empty"),
        (b"kommunekode;year;chronic\n", "the file has a header but no data rows"),
        (b"kommunekode;year;chronic\n101;2030;\n", "no values: every indicator cell is empty"),
    ],
)
def test_empty_file(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes(content)
    _fails_and_changes_nothing(path, f"demand.csv, field 'file': {expected}")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes("kommunekode;year;chronic;source\n101;2030;1;Ærø\n".encode("cp1252"))
    _fails_and_changes_nothing(path, "field 'file': not UTF-8 text", "CSV UTF-8")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("n/a", "got 'n/a'"),
        (True, "got TRUE"),
        (dt.date(2030, 1, 1), "got a date or time"),
        ("=B3*2", "the formula =B3*2 has no saved result"),
    ],
)
def test_xlsx_with_a_bad_cell(tmp_path: Path, cell: Any, shown: str) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["kommunekode", "year", "chronic"],
            [101, 2030, 1.5],
            [147, 2030, cell],
        ],
    )
    _fails_and_changes_nothing(path, "demand.xlsx, row 2, field 'chronic'", shown, "(cell C3)")


def test_xlsx_unknown_column_names_its_cell(tmp_path: Path) -> None:
    path = _xlsx(tmp_path, [["kommunekode", "year", "chronic", "2030"], [101, 2030, 1, 2]])
    _fails_and_changes_nothing(path, "row 0, field '2030': unknown column (cell D1)")


def test_damaged_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "demand.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    _fails_and_changes_nothing(path, "demand.xlsx, field 'file': cannot read the file as XLSX")


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "demand.csv",
        "kommunekode;year;chronic;multimorbid\n"
        "999;2030;1;2\n"
        "101;3000;x;\n"
        "147;2030;;-1\n"
        "147;2030;1;1\n",
    )
    message = _fails_and_changes_nothing(path, "5 problem(s)")
    for where in (
        "row 1, field 'kommunekode'",
        "row 2, field 'year'",
        "row 2, field 'chronic'",
        "row 3, field 'multimorbid'",
        "row 4, field 'kommunekode'",
    ):
        assert where in message, message


def test_unknown_user_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "demand.csv", "kommunekode;year;chronic\n101;2030;1\n")
    before = checksums(*TABLES)
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        _import(path, "--user", "nobody")
    assert checksums(*TABLES) == before


# --- the decimal comma, for any value --------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_danish_notation_reads_back_exactly(value: Any) -> None:
    whole, _, cents = f"{value:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    content = f"kommunekode;year;chronic;multimorbid\n101;2030;{grouped},{cents};{whole},{cents}\n"
    parsed = parse_demand(content.encode(), file_name="x.csv", known_codes={101})
    assert [v.value for v in parsed.values] == [float(value), float(value)]


def test_reloading_the_reference_data_keeps_imported_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "chronic.csv", "kommunekode,year,chronic\n787,2026,9999\n")
    _import(path)
    assert _value(787, 2026, "chronic").imported
    out = io.StringIO()
    call_command("load_denmark", stdout=out)
    assert "Nothing changed" in out.getvalue()
    assert _value(787, 2026, "chronic").value == 9999
    # Other municipalities keep the reference estimate.
    assert not _value(101, 2026, "chronic").imported
