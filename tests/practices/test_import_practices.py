from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from practices.models import Doctor, Practice, RecordSource
from tests.checksums import checksums

pytestmark = pytest.mark.usefixtures("denmark")
HEADER = (
    "ydernummer;name;kommunekode;form;open_to_new_patients;listed_patients;capacities;"
    "doctor_birth_years"
)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "register.csv"
    path.write_text("\ufeff" + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_valid_register_is_imported_and_marked_imported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "012345;Lægehuset Thisted;787;partnership;nej;5100;3;1962|1975|1988",
        "012346;Læge Hansen;101;solo;ja;1450;1,0;1959",
    )
    call_command("import_practices", str(path), stdout=io.StringIO())
    p = Practice.objects.get(ydernummer="012345")
    assert p.source == RecordSource.IMPORTED and not p.open_to_new_patients
    assert p.capacities == 3 and p.doctors.count() == 3
    assert Practice.objects.get(ydernummer="012346").open_to_new_patients


def test_second_import_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "012345;Lægehuset Thisted;787;partnership;nej;5100;3;1962|1975|1988")
    call_command("import_practices", str(path), stdout=io.StringIO())
    before = checksums(Practice, Doctor)
    call_command("import_practices", str(path), stdout=io.StringIO())
    assert checksums(Practice, Doctor) == before


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("012345;X;999;solo;ja;1000;1;", "row 1, field 'kommunekode': unknown municipality"),
        ("012345;X;101;villa;ja;1000;1;", "row 1, field 'form'"),
        ("012345;X;101;solo;maybe;1000;1;", "row 1, field 'open_to_new_patients'"),
        ("012345;X;101;solo;ja;lots;1;", "row 1, field 'listed_patients'"),
        ("012345;X;101;solo;ja;1000;0;", "row 1, field 'capacities'"),
        ("012345;X;101;solo;ja;1000;1;2020", "row 1, field 'doctor_birth_years'"),
    ],
)
def test_bad_rows_change_nothing(tmp_path: Path, line: str, expected: str) -> None:
    good = "012399;Good practice;101;solo;ja;1000;1;1970"
    path = _write(tmp_path, line, good)
    before = checksums(Practice, Doctor)
    with pytest.raises(CommandError) as info:
        call_command("import_practices", str(path))
    assert expected in str(info.value)
    assert "register.csv" in str(info.value)
    assert checksums(Practice, Doctor) == before


def test_duplicate_ydernummer_and_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "1;A;101;solo;ja;1000;1;", "1;B;101;solo;ja;1000;1;")
    with pytest.raises(CommandError, match="row 2, field 'ydernummer': duplicate"):
        call_command("import_practices", str(path))
    bad = tmp_path / "nocol.csv"
    bad.write_text("ydernummer,name\n1,A\n", encoding="utf-8")
    with pytest.raises(CommandError, match="field 'kommunekode': required column is missing"):
        call_command("import_practices", str(bad))
