"""Every class of bad file, through the upload page and the command alike: a clear message
naming row and column, and unchanged tables (whole-table checksums)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.roles import Role
from imports.models import PendingUpload
from municipalities.models import DemandChange, DemandIndicator, ImportBatch
from practices.models import Doctor, Practice, RegisterBatch, RegisterChange
from tests.checksums import checksums
from tests.factories import user_with_role

pytestmark = pytest.mark.usefixtures("denmark")
TABLES = (
    DemandIndicator,
    ImportBatch,
    DemandChange,
    Practice,
    Doctor,
    RegisterBatch,
    RegisterChange,
)
NORDJYLLAND, HOVEDSTADEN = 1081, 1084
PRACTICE_HEADER = (
    "ydernummer;name;kommunekode;form;open_to_new_patients;listed_patients;capacities;"
    "doctor_birth_years"
)


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _huge_used_range() -> bytes:
    """A few KB of XLSX whose sheet claims A1:XFD20000 (the whole width, 20,000 rows)."""
    content = _xlsx([["kommunekode", "year", "chronic"], [851, 2026, 41000]])
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index('<dimension ref="') + len('<dimension ref="')
                end = text.index('"', start)
                text = text[:start] + "A1:XFD20000" + text[end:]
                # The last row holds a cell in column XFD, so the range is really used.
                text = text.replace(
                    "</sheetData>",
                    '<row r="20000"><c r="XFD20000" t="inlineStr"><is><t>x</t></is></c></row>'
                    "</sheetData>",
                )
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


# (name, kind, file bytes, what the message must say)
CASES: list[tuple[str, str, bytes, list[str]]] = [
    (
        "absurd.csv",
        "demand",
        b"kommunekode;year;chronic\n851;2026;1e308\n",
        ["row 1", "'chronic'", "851 Aalborg"],
    ),
    (
        "bands.csv",
        "demand",
        b"kommunekode,year,pop_0_17,pop_18_64,pop_65_79,pop_80_plus\n825,2026,100000,100000,"
        b"100000,100000\n",
        ["row 1", "'pop_0_17'", "825 Læsø"],
    ),
    (
        "multimorbid.csv",
        "demand",
        b"kommunekode,year,chronic,multimorbid\n851,2026,40000,45000\n",
        ["row 1", "'multimorbid'", "multisyge"],
    ),
    (
        "outside.csv",
        "demand",
        b"kommunekode,year,chronic\n101,2026,95000\n",
        ["row 1", "'kommunekode'", "101 København", "Region Hovedstaden", "Region Nordjylland"],
    ),
    (
        "nul.csv",
        "demand",
        b"kommunekode,year,chronic\n851,2026,4\x001000\n",
        ["NUL", "2"],
    ),
    (
        "extra.csv",
        "demand",
        b"kommunekode,year,chronic\n851,2026,41000,7\n",
        ["row 1", "the row has 4 cells but the header only 3"],
    ),
    ("huge-range.xlsx", "demand", _huge_used_range(), ["A1:XFD20000", "60"]),
    (
        "taken.csv",
        "practices",
        f"{PRACTICE_HEADER}\n{{synthetic}};X;851;solo;ja;1000;1;1970\n".encode(),
        ["row 1", "'ydernummer'", "Lægepraksis"],
    ),
    (
        "zero.csv",
        "practices",
        f"{PRACTICE_HEADER}\n999001;X;851;solo;ja;1000;0,004;1970\n".encode(),
        ["row 1", "'capacities'", "0,01"],
    ),
    (
        "digits.csv",
        "practices",
        f"{PRACTICE_HEADER}\n999002;X;851;solo;ja;12345678901234567890123;1;\n".encode(),
        ["row 1", "'listed_patients'", "60.000"],
    ),
    ("one-column.csv", "practices", b"ydernummer\n999003\n", ["row 0", "'name'"]),
    (
        "quotes-extra.csv",
        "practices",
        f'{PRACTICE_HEADER}\n999004;"Dr ""Hansen""";851;solo;ja;1000;1;1970;extra\n'.encode(),
        ["row 1", "the row has 9 cells but the header only 8"],
    ),
    (
        "long-name.csv",
        "practices",
        f"{PRACTICE_HEADER}\n999005;{'x' * 201};851;solo;ja;1000;1;1970\n".encode(),
        ["row 1", "'name'", "200"],
    ),
]


def _content(content: bytes) -> bytes:
    if b"{synthetic}" in content:
        yder = Practice.objects.filter(source="synthetic", municipality_id=851).first()
        assert yder is not None
        content = content.replace(b"{synthetic}", yder.ydernummer.encode())
    return content


@pytest.fixture
def planner(db: None) -> Any:
    return user_with_role("nord", Role.PLANNER, region=NORDJYLLAND)


@pytest.mark.parametrize(("name", "kind", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_through_the_command(
    tmp_path: Path, planner: Any, name: str, kind: str, content: bytes, expected: list[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(_content(content))
    before = checksums(*TABLES)
    command = "import_demand" if kind == "demand" else "import_practices"
    with pytest.raises(CommandError) as info:
        call_command(command, str(path), "--user", "nord", stdout=io.StringIO())
    message = str(info.value)
    assert message.startswith("Nothing was imported;"), message
    assert name in message
    for part in expected:
        assert part in message, message
    assert checksums(*TABLES) == before


@pytest.mark.parametrize(("name", "kind", "content", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_through_the_page(
    planner: Any, name: str, kind: str, content: bytes, expected: list[str]
) -> None:
    client = Client()
    client.force_login(planner)
    before = checksums(*TABLES)
    upload = io.BytesIO(_content(content))
    upload.name = name
    response = client.post("/imports/", {"kind": kind, "file": upload}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-preview="errors"' in html, html[:2000]
    assert "Confirm and apply" not in html and "Bekræft og indlæs" not in html
    for part in expected:
        # The page shows the row and the column in their own cells.
        part = part.replace("row 0", "overskrift").removeprefix("row ")
        part = part.strip("'")
        assert part in html, part
    # A confirm anyway is refused: the file has errors.
    pending = PendingUpload.objects.get()
    response = client.post(
        f"/imports/uploads/{pending.pk}/", {"sha256": pending.sha256, "accept_warnings": "on"}
    )
    assert response.status_code == 400
    assert checksums(*TABLES) == before


def test_errors_are_capped_with_their_count(tmp_path: Path, planner: Any) -> None:
    lines = "".join(f"851;2026;{n}x\n" for n in range(1000))
    path = tmp_path / "many.csv"
    path.write_text("kommunekode;year;chronic\n" + lines, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("import_demand", str(path), "--user", "nord")
    message = str(info.value)
    # Each row is a bad number, and every row after the first a duplicate: 1,999 problems.
    assert "1999 problem(s)" in message
    assert "... and 1799 more (the first 200 shown)" in message
    assert message.count("many.csv, row") == 200


def test_a_viewer_cannot_import(tmp_path: Path) -> None:
    user_with_role("looker", Role.VIEWER)
    path = tmp_path / "ok.csv"
    path.write_bytes(b"kommunekode,year,chronic\n851,2026,41000\n")
    before = checksums(*TABLES)
    with pytest.raises(CommandError, match="looker may not import"):
        call_command("import_demand", str(path), "--user", "looker")
    with pytest.raises(CommandError, match="looker may not import"):
        call_command("import_practices", str(path), "--user", "looker")
    client = Client()
    client.force_login(user_with_role("looker2", Role.VIEWER))
    assert client.get("/imports/").status_code == 403
    assert checksums(*TABLES) == before


def test_warnings_refuse_the_command_unless_accepted(tmp_path: Path, planner: Any) -> None:
    path = tmp_path / "tripled.csv"
    path.write_bytes(b"kommunekode,year,chronic\n851,2026,150000\n")  # Aalborg: 37,370 today
    before = checksums(*TABLES)
    with pytest.raises(CommandError) as info:
        call_command("import_demand", str(path), "--user", "nord")
    assert "warning(s) to confirm with --accept-warnings" in str(info.value)
    assert "row 1, field 'chronic'" in str(info.value)
    assert checksums(*TABLES) == before
    call_command(
        "import_demand", str(path), "--user", "nord", "--accept-warnings", stdout=io.StringIO()
    )
    value = DemandIndicator.objects.get(municipality_id=851, year=2026, indicator="chronic")
    assert value.value == 150000
    assert ImportBatch.objects.get().warnings_accepted


def test_a_confirm_with_another_hash_is_refused(planner: Any) -> None:
    client = Client()
    client.force_login(planner)
    upload = io.BytesIO(b"kommunekode,year,chronic\n851,2026,41000\n")
    upload.name = "ok.csv"
    client.post("/imports/", {"kind": "demand", "file": upload})
    pending = PendingUpload.objects.get()
    before = checksums(*TABLES)
    response = client.post(f"/imports/uploads/{pending.pk}/", {"sha256": "0" * 64})
    assert response.status_code == 400
    assert checksums(*TABLES) == before
    # Another user cannot see or confirm it.
    other = Client()
    other.force_login(user_with_role("nord2", Role.PLANNER, region=NORDJYLLAND))
    assert other.get(f"/imports/uploads/{pending.pk}/").status_code == 404
    assert (
        other.post(f"/imports/uploads/{pending.pk}/", {"sha256": pending.sha256}).status_code == 404
    )
    assert checksums(*TABLES) == before
