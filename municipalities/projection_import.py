"""Read and validate a population projection file before anything is written.

The layout is Statistics Denmark's FRKM table as the statbank exports it: one row per
municipality, age (or age group), year and count, optionally split by sex::

    OMRÅDE;ALDER;TID;INDHOLD
    101 København;0 år;2030;9.871
    101 København;1 år;2030;9.410
    ...
    101 København;Alder i alt;2030;712.034

- Columns (any case, Danish or English): municipality (``område``, ``kommune``,
  ``kommunekode``, ``municipality``), age (``alder``, ``age``), year (``tid``, ``år``,
  ``year``), count (``indhold``, ``antal``, ``count``, ``value``); optional sex (``køn``,
  ``sex``): rows for both sexes together (``I alt``, ``Total``) are used when present,
  otherwise the sexes are added up.
- A municipality is its code (``101``, ``101 København``) or its name. Rows for all of
  Denmark, a region or a landsdel are skipped: they are sums, not municipalities.
- An age is a single age (``0 år``, ``7``, ``99 years``), the open top (``100 år og
  derover``, ``80+``), a group (``65-69 år``, ``0-17``) or the total (``Alder i alt``,
  ``I alt``, ``Total``). Ages are summed into the engine's bands 0-17, 18-64, 65-79 and 80+;
  a group that spans two bands is refused.
- Years from PROJECTION_YEAR_MIN (the base year) to PROJECTION_YEAR_MAX (ten years past the
  horizon).
- Every year in the file must cover every municipality and all four bands; where the file
  gives a total, the bands must add up to it within 2 %.
- CSV or XLSX, as the demand import reads them: UTF-8 with or without BOM, ``;`` or ``,``,
  decimal comma in ``;`` files. Counts are whole persons, so in a ``;`` file without a
  decimal comma a ``.`` groups thousands (``2.161`` is 2161), as the statbank writes them.

:func:`parse_projection` touches no database; it returns every value or raises
:class:`ImportFailed` naming file, row and field of every problem.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from municipalities.demand_import import _blank, _number, _show, _whole
from municipalities.importing import ErrorCollector, ImportFailed
from municipalities.models import AgeBand
from municipalities.tabular import Table, read_table

PROJECTION_YEAR_MIN = 2026  # the planning period's base year
PROJECTION_YEAR_MAX = 2045  # ten years past its horizon, 2035
TOTAL_TOLERANCE = 0.02

BAND_RANGES: dict[str, tuple[int, int]] = {  # keyed by the band's value
    AgeBand.POP_0_17: (0, 17),
    AgeBand.POP_18_64: (18, 64),
    AgeBand.POP_65_79: (65, 79),
    AgeBand.POP_80_PLUS: (80, 10_000),
}
BAND_LABELS: dict[str, str] = {
    AgeBand.POP_0_17: "0-17",
    AgeBand.POP_18_64: "18-64",
    AgeBand.POP_65_79: "65-79",
    AgeBand.POP_80_PLUS: "80+",
}

_HEADERS: dict[str, tuple[str, ...]] = {
    "municipality": ("omrade", "område", "kommune", "kommunekode", "municipality", "region"),
    "age": ("alder", "age"),
    "year": ("tid", "ar", "år", "aar", "year"),
    "count": ("indhold", "antal", "count", "value", "personer", "persons"),
    "sex": ("kon", "køn", "sex"),
}
NUMERIC_HEADERS: tuple[str, ...] = _HEADERS["count"]

_TOTAL_AGE = re.compile(r"(alder i alt|i alt|total|age,? total|alle aldre|all ages)")
_TOTAL_SEX = re.compile(r"(i alt|total|kon i alt|køn i alt|begge kon|begge køn|both sexes)")
_AGGREGATE_AREA = re.compile(
    r"(hele landet|all denmark|danmark|denmark|region |landsdel |province )"
)
_SINGLE = re.compile(r"(\d{1,3})(?: ?(?:år|ar|aar|years?|yrs?))?")
_RANGE = re.compile(r"(\d{1,3}) ?- ?(\d{1,3})(?: ?(?:år|ar|aar|years?))?")
_OPEN = re.compile(
    r"(\d{1,3}) ?(?:\+|år\+|ar\+|år og derover|ar og derover|år og over"
    r"|years and over|years\+|\+ år)"
)
_CODE_FIRST = re.compile(r"0?(\d{3})\b.*")
_BAND_NAME = {str(b): b for b in AgeBand.values}

_T = TypeVar("_T")


@dataclass(frozen=True)
class ProjectionValue:
    kommunekode: int
    year: int
    band: str
    value: float


@dataclass(frozen=True)
class ProjectionFile:
    file_name: str
    sha256: str
    rows: int  # data rows used or skipped as aggregates; blank rows are not counted
    values: tuple[ProjectionValue, ...]
    skipped_aggregates: int


def _fold(text: str) -> str:
    """Lower case, trimmed, 'å' kept but other accents dropped, so 'OMRÅDE' = 'område'."""
    text = " ".join(str(text).strip().lower().split())
    return unicodedata.normalize("NFC", text)


def _plain(text: str) -> str:
    return _fold(text).replace("å", "a").replace("ø", "o").replace("æ", "ae")


def _remembered(*, of: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """``of`` with its result kept for each distinct text or integer cell: a file repeats
    the same few ages, names, years and sexes thousands of times. Other cells are worked
    out each time: 1.0, -0.0 or True equal cells (1, 0.0, 1) that are shown differently."""
    known: dict[str | int, _T] = {}

    def remembered(cell: Any) -> _T:
        if type(cell) is not str and type(cell) is not int:
            return of(cell)
        if cell not in known:
            known[cell] = of(cell)
        return known[cell]

    return remembered


def _sex(cell: Any) -> tuple[str, bool]:
    """The sex cell's folded text (for telling duplicate rows apart) and whether the row is
    for both sexes together."""
    label = _fold(str(cell or ""))
    return label, bool(_TOTAL_SEX.fullmatch(label) or _TOTAL_SEX.fullmatch(_plain(label)))


def parse_projection(
    content: bytes, *, file_name: str, municipalities: Mapping[int, str]
) -> ProjectionFile:
    """Every value in ``content``, or :class:`ImportFailed` listing every problem found.

    ``municipalities`` maps each known kommunekode to its name.
    """
    ec = ErrorCollector(file_name)
    table = read_table(content, file_name=file_name, ec=ec, numeric_columns=NUMERIC_HEADERS)
    if table is None:
        raise ImportFailed(ec.errors)
    if table.kind == "csv" and table.decimals == "unknown":
        # A ';' file with no decimal comma: counts are whole persons, and Statistics
        # Denmark's Danish export groups thousands with '.', so '2.161' is 2161.
        table = replace(table, decimals="comma")
    values, rows, skipped = _validate(table, municipalities=municipalities, ec=ec)
    if not ec.errors and rows == 0:
        ec.add(None, "file", "the file has a header but no data rows")
    ec.raise_if_any()
    return ProjectionFile(
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=rows,
        values=tuple(values),
        skipped_aggregates=skipped,
    )


def _columns(table: Table, ec: ErrorCollector) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for i, raw in enumerate(table.header):
        name = _plain("" if raw is None else str(raw))
        for key, names in _HEADERS.items():
            if name in {_plain(n) for n in names}:
                if key in found:
                    ec.add(
                        0, str(raw), f"a second {key} column (columns {found[key] + 1} and {i + 1})"
                    )
                else:
                    found[key] = i
    for key in ("municipality", "age", "year", "count"):
        if key not in found:
            ec.add(
                0,
                key,
                "required column is missing from the header; expected one of "
                + ", ".join(_HEADERS[key]),
            )
    return found if all(k in found for k in ("municipality", "age", "year", "count")) else None


def _age(cell: Any) -> tuple[str, str | None] | str:
    """('total', None), ('band', band) or an error message."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if float(cell).is_integer() and cell >= 0:
            return _band_of(int(cell), int(cell))
        return f"expected an age, got {_show(cell)}"
    text = _fold("" if cell is None else str(cell))
    if text in _BAND_NAME:
        return ("band", _BAND_NAME[text])
    if _TOTAL_AGE.fullmatch(text) or _TOTAL_AGE.fullmatch(_plain(text)):
        return ("total", None)
    if m := _OPEN.fullmatch(text) or _OPEN.fullmatch(_plain(text)):
        return _band_of(int(m.group(1)), 10_000)
    if m := _RANGE.fullmatch(text) or _RANGE.fullmatch(_plain(text)):
        return _band_of(int(m.group(1)), int(m.group(2)))
    if m := _SINGLE.fullmatch(text) or _SINGLE.fullmatch(_plain(text)):
        return _band_of(int(m.group(1)), int(m.group(1)))
    return f"expected an age such as '7 år', '65-69', '80+' or 'Alder i alt', got {_show(cell)}"


def _band_of(lo: int, hi: int) -> tuple[str, str | None] | str:
    if hi < lo:
        return f"the age group {lo}-{hi} runs backwards"
    for band, (b_lo, b_hi) in BAND_RANGES.items():
        if b_lo <= lo and hi <= b_hi:
            return ("band", band)
    top = "+" if hi >= 10_000 else f"-{hi}"
    return (
        f"the age group {lo}{top} spans two of the engine's bands (0-17, 18-64, 65-79, 80+); "
        "give single ages or groups within one band"
    )


def _municipality(
    cell: Any, municipalities: Mapping[int, str], by_name: Mapping[str, int]
) -> int | str | None:
    """A kommunekode, None for an aggregate row (nation, region), or an error message."""
    code = _whole(cell)
    text = _fold("" if cell is None else str(cell))
    words = re.sub(r"^\d+\s*", "", text)
    if code is None and (_AGGREGATE_AREA.match(words) or _AGGREGATE_AREA.match(_plain(words))):
        return None
    if code is None and (m := _CODE_FIRST.fullmatch(text)):
        code = int(m.group(1))
    if code is not None:
        return code if code in municipalities else f"unknown municipality {code}"
    name = _plain(re.sub(r"\s+kommune$", "", text))
    if name in by_name:
        return by_name[name]
    return f"unknown municipality {_show(cell)}"


def _validate(
    table: Table, *, municipalities: Mapping[int, str], ec: ErrorCollector
) -> tuple[list[ProjectionValue], int, int]:
    columns = _columns(table, ec)
    if columns is None:
        return [], 0, 0
    by_name = {_plain(name): code for code, name in municipalities.items()}
    municipality_of = _remembered(of=lambda cell: _municipality(cell, municipalities, by_name))
    age_of, year_of, sex_of = _remembered(of=_age), _remembered(of=_whole), _remembered(of=_sex)
    label_of = _remembered(of=lambda cell: _fold(str(cell)))
    counts: dict[str, float] = {}
    width = len(table.header)
    # (code, year, sex-is-total) -> band -> count; totals separately, with their row.
    bands: dict[tuple[int, int, bool], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[tuple[int, int, bool], tuple[float, int]] = {}
    first_row: dict[tuple[int, int, bool], int] = {}
    seen: dict[tuple[int, int, str, str], int] = {}
    count = skipped = 0
    for n, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        count += 1
        cells = cells + [None] * (width - len(cells))

        def ref(col: int, n: int = n) -> str:
            return table.cell_ref(n, col)

        at = columns["municipality"]
        code = municipality_of(cells[at])
        if code is None:
            skipped += 1
            continue
        if isinstance(code, str):
            ec.add(n, "municipality", code + ref(at))
        year = year_of(cells[columns["year"]])
        if year is None:
            ec.add(
                n,
                "year",
                f"expected a year, got {_show(cells[columns['year']])}" + ref(columns["year"]),
            )
        elif not PROJECTION_YEAR_MIN <= year <= PROJECTION_YEAR_MAX:
            ec.add(
                n,
                "year",
                f"year {year} is outside the projection's range {PROJECTION_YEAR_MIN}-"
                f"{PROJECTION_YEAR_MAX} (the base year to ten years past the horizon)"
                + ref(columns["year"]),
            )
            year = None
        age = age_of(cells[columns["age"]])
        if isinstance(age, str):
            ec.add(n, "age", age + ref(columns["age"]))
        sex_total = True
        sex_label = ""
        if "sex" in columns:
            sex_label, sex_total = sex_of(cells[columns["sex"]])
        # A count text read before is that number again; a bad one is reported on every
        # row it is on, so only good ones are kept.
        text = cells[columns["count"]]
        value = counts.get(text) if type(text) is str else None
        if value is None:
            value = _number(
                text, n=n, column="count", ec=ec, table=table, ref=ref(columns["count"])
            )
            if value is not None and type(text) is str:
                counts[text] = value
        if not isinstance(code, int) or year is None or isinstance(age, str) or value is None:
            continue
        label = label_of(cells[columns["age"]])
        dup = (code, year, label, sex_label)
        if dup in seen:
            ec.add(
                n,
                "age",
                f"duplicate row for municipality {code}, age {_show(cells[columns['age']])} and "
                f"year {year} (first on row {seen[dup]})" + ref(columns["age"]),
            )
            continue
        seen[dup] = n
        key = (code, year, sex_total)
        first_row.setdefault(key, n)
        kind, band = age
        if kind == "total":
            totals[key] = (value, n)
        else:
            assert band is not None
            bands[key][band] += value

    # Both sexes together where the file has them; otherwise the sexes added up.
    merged: dict[tuple[int, int], dict[str, float]] = {}
    merged_total: dict[tuple[int, int], tuple[float, int]] = {}
    merged_first: dict[tuple[int, int], int] = {}
    with_total_sex = {(c, y) for (c, y, t) in list(bands) + list(totals) if t}
    for (c, y, t), per_band in bands.items():
        if t or (c, y) not in with_total_sex:
            target = merged.setdefault((c, y), defaultdict(float))
            for band, v in per_band.items():
                target[band] += v
            merged_first[(c, y)] = min(
                merged_first.get((c, y), first_row[(c, y, t)]), first_row[(c, y, t)]
            )
    for (c, y, t), (v, row) in totals.items():
        if t or (c, y) not in with_total_sex:
            old = merged_total.get((c, y))
            merged_total[(c, y)] = (v + (old[0] if old else 0.0), row)
            merged_first.setdefault((c, y), row)

    years = sorted({y for (_, y) in merged} | {y for (_, y) in merged_total})
    for year in years:
        for code in sorted(municipalities):
            if (code, year) not in merged and (code, year) not in merged_total:
                ec.add(
                    None,
                    "municipality",
                    f"municipality {code} {municipalities[code]} has no rows for {year}; the "
                    "projection must cover every municipality in every year it gives",
                )
    values: list[ProjectionValue] = []
    for (code, year), per_band in sorted(merged.items()):
        row = merged_first[(code, year)]
        missing = [BAND_LABELS[b] for b in BAND_RANGES if b not in per_band]
        if missing:
            ec.add(
                row,
                "age",
                f"municipality {code}, {year}: no ages in the band(s) {', '.join(missing)}",
            )
            continue
        total = merged_total.get((code, year))
        summed = sum(per_band.values())
        if total is not None and abs(summed - total[0]) > TOTAL_TOLERANCE * max(total[0], 1.0):
            ec.add(
                total[1],
                "count",
                f"municipality {code}, {year}: the ages add up to {summed:,.0f}, but the total "
                f"says {total[0]:,.0f} (more than {TOTAL_TOLERANCE * 100:g} % apart)",
            )
            continue
        for band in BAND_RANGES:
            values.append(ProjectionValue(code, year, str(band), float(per_band[band])))
    for (code, year), (_, row) in sorted(merged_total.items()):
        if (code, year) not in merged:
            ec.add(row, "age", f"municipality {code}, {year}: a total but no ages")
    return values, count, skipped
