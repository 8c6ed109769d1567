"""load_denmark refuses bad files with the file, row and field named, and changes nothing."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clusters.models import Area, Membership
from municipalities.models import DemandIndicator, Municipality, Region
from municipalities.reference import DATA_DIR
from practices.models import Doctor, Practice
from tests.checksums import checksums

pytestmark = pytest.mark.usefixtures("denmark")
TABLES = (Region, Municipality, Area, Membership, DemandIndicator, Practice, Doctor)


def _edit_csv(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows = edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "denmark"
    shutil.copytree(DATA_DIR, target)
    return target


def _first_municipality_changed(
    key: str, value: str
) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0][key] = value
        return rows

    return edit


def _fails_and_changes_nothing(data_dir: Path, *expected: str) -> str:
    before = checksums(*TABLES)
    with pytest.raises(CommandError) as info:
        call_command("load_denmark", "--data-dir", str(data_dir), "--seed", "7")
    assert checksums(*TABLES) == before
    message = str(info.value)
    for part in expected:
        assert part in message, message
    return message


def test_non_numeric_population(data_dir: Path) -> None:
    _edit_csv(data_dir / "municipalities.csv", _first_municipality_changed("population", "many"))
    _fails_and_changes_nothing(data_dir, "municipalities.csv, row 1, field 'population'", "'many'")


def test_duplicate_code(data_dir: Path) -> None:
    def duplicate(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[5]["kommunekode"] = rows[4]["kommunekode"]
        return rows

    _edit_csv(data_dir / "municipalities.csv", duplicate)
    _fails_and_changes_nothing(
        data_dir, "municipalities.csv, row 6, field 'kommunekode'", "duplicate code", "row 5"
    )


def test_missing_municipality_in_a_geography(data_dir: Path) -> None:
    def drop(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [
            r
            for r in rows
            if not (r["geography"] == "sundhedsklynger-21" and r["kommunekode"] == "860")
        ]

    _edit_csv(data_dir / "geographies.csv", drop)
    _fails_and_changes_nothing(
        data_dir,
        "geographies.csv",
        "field 'kommunekode'",
        "sundhedsklynger-21: municipality 860 has no area",
    )


def test_missing_municipality_in_demand_indicators(data_dir: Path) -> None:
    _edit_csv(data_dir / "demand_indicators.csv", lambda rows: rows[1:])
    _fails_and_changes_nothing(data_dir, "demand_indicators.csv", "municipality 101 has no row")


def test_municipality_in_two_areas(data_dir: Path) -> None:
    def second_area(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        extra = next(r for r in rows if r["geography"] == "regioner" and r["area_id"] == "1084")
        return [*rows, {**extra, "kommunekode": "773"}]

    _edit_csv(data_dir / "geographies.csv", second_area)
    message = _fails_and_changes_nothing(
        data_dir,
        "geographies.csv, row 491, field 'kommunekode'",
        "municipality 773 is in two areas of regioner",
    )
    assert "'1081'" in message and "'1084'" in message


def test_unknown_municipality_in_a_geography(data_dir: Path) -> None:
    def unknown(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["kommunekode"] = "999"
        return rows

    _edit_csv(data_dir / "geographies.csv", unknown)
    _fails_and_changes_nothing(
        data_dir, "geographies.csv, row 1, field 'kommunekode'", "unknown municipality 999"
    )


def test_every_error_is_reported_at_once(data_dir: Path) -> None:
    def two(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["population"] = "x"
        rows[1]["area_km2"] = "-3"
        return rows

    _edit_csv(data_dir / "municipalities.csv", two)
    message = _fails_and_changes_nothing(data_dir, "2 problem(s)")
    assert "row 1, field 'population'" in message and "row 2, field 'area_km2'" in message
