"""import_projection: a population projection in Statistics Denmark's FRKM layout.

Valid files are summed into the engine's bands and marked imported; a refused file names its
file, row and field and leaves the database as it was (whole-table checksums before and after).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import Role
from municipalities.models import DataStatus, ImportBatch, ImportKind, Municipality
from municipalities.models import PopulationProjection as Projection
from tests.api.conftest import make_user
from tests.checksums import checksums

pytestmark = pytest.mark.usefixtures("denmark")
TABLES = (Projection, ImportBatch, Municipality)
# Single ages per band in the files written here: 0-17, 18-64, 65-79, then 80..99 and 100+.
BANDS = {
    "pop_0_17": [f"{a} år" for a in range(18)],
    "pop_18_64": [f"{a} år" for a in range(18, 65)],
    "pop_65_79": [f"{a} år" for a in range(65, 80)],
    "pop_80_plus": [f"{a} år" for a in range(80, 100)] + ["100 år og derover"],
}


def _counts(year: int = 2030) -> dict[tuple[int, str], int]:
    """A projection to write: the shipped estimate of ``year`` plus 7 in every band."""
    return {
        (p.municipality_id, p.age_band): int(p.value) + 7
        for p in Projection.objects.filter(year=year)
    }


def _frkm(
    counts: dict[tuple[int, str], int],
    *,
    year: int = 2030,
    total_offset: dict[int, int] | None = None,
    skip: set[int] = frozenset(),  # type: ignore[assignment]
) -> str:
    """Single ages (the band spread evenly, the rest on its first age) and each total."""
    names = dict(Municipality.objects.values_list("kommunekode", "name"))
    lines = ["OMRÅDE;KØN;ALDER;TID;INDHOLD", f"Hele landet;I alt;Alder i alt;{year};6.000.000"]
    for code, name in sorted(names.items()):
        if code in skip:
            continue
        total = 0
        for band, ages in BANDS.items():
            value = counts[(code, band)]
            each, rest = divmod(value, len(ages))
            for i, age in enumerate(ages):
                n = each + (rest if i == 0 else 0)
                lines.append(f"{code} {name};I alt;{age};{year};{n:,}".replace(",", "."))
            total += value
        total += (total_offset or {}).get(code, 0)
        lines.append(f"{code} {name};I alt;Alder i alt;{year};{total:,}".replace(",", "."))
    return "\r\n".join(lines) + "\r\n"


def _write(tmp_path: Path, text: str, name: str = "frkm.csv", *, bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_projection", str(path), *args, stdout=out)
    return out.getvalue()


def _refused(path: Path, *expected: str) -> str:
    before = checksums(*TABLES)
    with pytest.raises(CommandError) as info:
        _import(path)
    assert checksums(*TABLES) == before
    message = str(info.value)
    assert message.startswith("Nothing was imported;"), message
    for part in expected:
        assert part in message, message
    return message


def test_frkm_single_ages_are_summed_into_bands_and_survive_a_reload(tmp_path: Path) -> None:
    counts = _counts()
    path = _write(tmp_path, _frkm(counts))
    out = _import(path)
    assert "392 value(s) created" not in out  # the estimate's rows are updated, not doubled
    assert "0 value(s) created, 392 updated" in out

    lolland = Projection.objects.get(municipality_id=360, year=2030, age_band="pop_80_plus")
    assert lolland.value == counts[(360, "pop_80_plus")]
    assert lolland.imported and lolland.status == DataStatus.SOURCED
    assert "frkm.csv" in lolland.source
    # Other years keep the shipped estimate.
    other = Projection.objects.get(municipality_id=360, year=2035, age_band="pop_80_plus")
    assert not other.imported and other.status == DataStatus.ESTIMATED
    batch = ImportBatch.objects.get()
    assert batch.kind == ImportKind.PROJECTION
    # One row per age and municipality plus each total, plus the national row (skipped).
    assert batch.rows == 98 * (18 + 47 + 15 + 21 + 1) + 1

    call_command("load_denmark", "--no-practices", stdout=io.StringIO())
    assert (
        Projection.objects.get(municipality_id=360, year=2030, age_band="pop_80_plus").value
        == counts[(360, "pop_80_plus")]
    )
    assert "Nothing changed" in _import(path)


def test_comma_file_with_groups_and_two_sexes_adds_the_sexes(tmp_path: Path) -> None:
    names = dict(Municipality.objects.values_list("kommunekode", "name"))
    lines = ["municipality,sex,age,year,count"]
    for name in names.values():
        for sex in ("Men", "Women"):
            for group, n in (("0-17", 100), ("18-24", 50), ("25-64", 250), ("65-79", 80)):
                lines.append(f'"{name}",{sex},{group},2031,{n}')
            lines.append(f'"{name}",{sex},80+,2031,40.5')
    _import(_write(tmp_path, "\n".join(lines) + "\n", bom=False))
    got = {
        p.age_band: p.value
        for p in Projection.objects.filter(municipality_id=147, year=2031, imported=True)
    }
    assert got == {"pop_0_17": 200, "pop_18_64": 600, "pop_65_79": 160, "pop_80_plus": 81}


def test_a_missing_municipality_is_refused(tmp_path: Path) -> None:
    _refused(
        _write(tmp_path, _frkm(_counts(), skip={360})),
        "frkm.csv, field 'municipality': municipality 360 Lolland has no rows for 2030",
    )


def test_bands_that_miss_the_total_by_more_than_2_percent_are_refused(tmp_path: Path) -> None:
    counts = _counts()
    total_147 = sum(v for (c, _), v in counts.items() if c == 147)
    # Within 2 % passes the check for 101; 147's total is 3 % off.
    text = _frkm(counts, total_offset={101: 10, 147: round(total_147 * 0.03)})
    message = _refused(_write(tmp_path, text), "field 'count': municipality 147, 2030")
    assert "more than 2 % apart" in message
    assert "municipality 101" not in message
    # The total's row is named: header row 0, the national row 1, then 102 rows a municipality.
    assert "frkm.csv, row 205, field 'count'" in message


def test_a_year_outside_the_range_is_refused(tmp_path: Path) -> None:
    text = _frkm(_counts(), year=2030).replace(";2030;", ";2030;", 1)
    text = text.replace("101 København;I alt;7 år;2030", "101 København;I alt;7 år;2050")
    _refused(
        _write(tmp_path, text),
        "field 'year': year 2050 is outside the projection's range 2026-2045",
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("-5", "must not be negative, got -5"), ("abc", "expected a number, got 'abc'")],
)
def test_a_negative_or_non_numeric_count_is_refused(
    tmp_path: Path, cell: str, expected: str
) -> None:
    lines = _frkm(_counts()).split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("147 Frederiksberg;I alt;3 år"))
    lines[at] = lines[at].rsplit(";", 1)[0] + ";" + cell
    _refused(_write(tmp_path, "\r\n".join(lines)), f"row {at}, field 'count': {expected}")


def test_an_age_group_across_two_bands_and_a_missing_column_are_refused(tmp_path: Path) -> None:
    lines = _frkm(_counts()).split("\r\n")
    lines.insert(2, "101 København;I alt;60-69 år;2030;500")
    _refused(_write(tmp_path, "\r\n".join(lines)), "row 2, field 'age': the age group 60-69 spans")
    _refused(
        _write(tmp_path, "OMRÅDE;ALDER;INDHOLD\r\n101;7 år;5\r\n", name="noyear.csv"),
        "noyear.csv, row 0, field 'year': required column is missing",
    )


def test_only_an_administrator_imports_the_national_projection(tmp_path: Path) -> None:
    path = _write(tmp_path, _frkm(_counts()))
    make_user("nord", Role.PLANNER, region=1081)
    make_user("reader", Role.VIEWER)
    before = checksums(*TABLES)
    for username, expected in (
        ("nord", "nord may not import this file: it holds national data"),
        ("reader", "reader may not import this file: it holds national data"),
        ("nobody", "There is no user 'nobody'."),
    ):
        with pytest.raises(CommandError, match=expected):
            _import(path, "--user", username)
    assert checksums(*TABLES) == before
    make_user("chief", "admin")
    assert "Population projection imported." in _import(path, "--user", "chief")
    assert ImportBatch.objects.filter(kind=ImportKind.PROJECTION, user__username="chief").exists()
