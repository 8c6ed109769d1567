"""Read and validate Denmark's reference data (data/denmark/) before anything is written.

``read_reference`` returns plain records or raises :class:`ImportFailed` with every problem,
each naming the file, row and field. The loader applies the records in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.conf import settings

from municipalities import estimates
from municipalities.importing import ErrorCollector, ImportFailed, RowError

DATA_DIR = Path(settings.BASE_DIR) / "data" / "denmark"
REGION_CODES = range(1081, 1086)

# Names and notes of the planning geographies (data/denmark/SOURCES.md, geographies.csv).
GEOGRAPHIES: dict[str, dict[str, object]] = {
    "sundhedsklynger-21": {
        "name": "21 sundhedsklynger",
        "description": "The 21 health clusters as the 2021 agreement and the 2022 law name them, "
        "one per acute hospital (Nordjylland's Midt and Syd merged around Aalborg).",
        "provisional": False,
    },
    "sundhedsklynger-2022": {
        "name": "22 sundhedsklynger (i brug)",
        "description": "The 22 clusters in use since 2022, with Nordjylland's four municipal "
        "clusters.",
        "provisional": False,
    },
    "regioner": {
        "name": "5 regioner",
        "description": "The five regions (1081-1085).",
        "provisional": False,
    },
    "regioner-2027": {
        "name": "4 regioner (2027)",
        "description": "From 1 January 2027 Hovedstaden and Sjælland merge into Region Østdanmark.",
        "provisional": False,
    },
    "sundhedsraad-2027": {
        "name": "17 sundhedsråd (2027, foreløbig)",
        "description": "The health councils from 2027. Provisional: membership is mostly of "
        "medium confidence; Middelfart and Billund are low (see sundhedsraad.csv).",
        "provisional": True,
    },
}
EXPECTED_AREAS = {
    "sundhedsklynger-21": 21,
    "sundhedsklynger-2022": 22,
    "regioner": 5,
    "regioner-2027": 4,
    "sundhedsraad-2027": 17,
}


@dataclass(frozen=True)
class MunicipalityRecord:
    kommunekode: int
    name: str
    region_code: int
    region_name: str
    population: int
    population_date: dt.date
    area_km2: float
    boundary: dict[str, object] | None


@dataclass(frozen=True)
class AreaRecord:
    geography: str
    slug: str
    name: str
    hospital: str


@dataclass(frozen=True)
class IndicatorRecord:
    kommunekode: int
    year: int
    indicator: str
    value: float
    status: str
    source: str


@dataclass(frozen=True)
class ProjectionRecord:
    kommunekode: int
    year: int
    age_band: str
    value: float
    status: str
    source: str


@dataclass
class ReferenceData:
    municipalities: list[MunicipalityRecord] = field(default_factory=list)
    areas: list[AreaRecord] = field(default_factory=list)
    # (geography, kommunekode) -> (area slug, confidence)
    memberships: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    indicators: list[IndicatorRecord] = field(default_factory=list)
    projections: list[ProjectionRecord] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _require_columns(
    rows: list[dict[str, str]], path: Path, columns: list[str], errors: list[RowError]
) -> bool:
    present = set(rows[0].keys()) if rows else set()
    missing = [c for c in columns if c not in present]
    for c in missing:
        errors.append(RowError(path.name, None, c, "required column is missing"))
    return not missing


def read_municipalities(data_dir: Path, errors: list[RowError]) -> list[MunicipalityRecord]:
    path = data_dir / "municipalities.csv"
    rows = _rows(path)
    cols = [
        "kommunekode",
        "name",
        "region_code",
        "region",
        "population",
        "population_date",
        "area_km2",
    ]
    if not _require_columns(rows, path, cols, errors):
        return []
    boundaries = _read_boundaries(data_dir, errors)
    ec = ErrorCollector(path.name)
    seen: dict[int, int] = {}
    out: list[MunicipalityRecord] = []
    for i, row in enumerate(rows, start=1):
        code = ec.integer(i, "kommunekode", row["kommunekode"], minimum=101)
        if code in seen:
            ec.add(i, "kommunekode", f"duplicate code {code} (first on row {seen[code]})")
        seen.setdefault(code, i)
        region_code = ec.integer(i, "region_code", row["region_code"])
        if region_code not in REGION_CODES:
            ec.add(i, "region_code", f"must be one of 1081-1085, got {row['region_code']!r}")
        try:
            date = dt.date.fromisoformat(row["population_date"].strip())
        except ValueError:
            ec.add(
                i, "population_date", f"expected a date YYYY-MM-DD, got {row['population_date']!r}"
            )
            date = dt.date(1970, 1, 1)
        out.append(
            MunicipalityRecord(
                kommunekode=code,
                name=ec.text(i, "name", row["name"]),
                region_code=region_code,
                region_name=ec.text(i, "region", row["region"]),
                population=ec.integer(i, "population", row["population"]),
                population_date=date,
                area_km2=ec.number(i, "area_km2", row["area_km2"], minimum=0.1),
                boundary=boundaries.get(code),
            )
        )
    errors.extend(ec.errors)
    return out


def _read_boundaries(data_dir: Path, errors: list[RowError]) -> dict[int, dict[str, object]]:
    path = data_dir / "municipalities.geojson"
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
        return {int(f["properties"]["kommunekode"]): f["geometry"] for f in collection["features"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        errors.append(RowError(path.name, None, "features", f"cannot read boundaries: {exc}"))
        return {}


def read_geographies(
    data_dir: Path, codes: set[int], errors: list[RowError]
) -> tuple[list[AreaRecord], dict[tuple[str, int], tuple[str, str]]]:
    path = data_dir / "geographies.csv"
    rows = _rows(path)
    if not _require_columns(
        rows, path, ["geography", "area_id", "area_name", "hospital", "kommunekode"], errors
    ):
        return [], {}
    confidence = {
        int(r["kommunekode"]): r["confidence"] for r in _rows(data_dir / "sundhedsraad.csv")
    }
    ec = ErrorCollector(path.name)
    areas: dict[tuple[str, str], AreaRecord] = {}
    members: dict[tuple[str, int], tuple[str, str]] = {}
    first_row: dict[tuple[str, int], int] = {}
    for i, row in enumerate(rows, start=1):
        geo = row["geography"].strip()
        if geo not in GEOGRAPHIES:
            ec.add(i, "geography", f"unknown geography {geo!r}")
            continue
        code = ec.integer(i, "kommunekode", row["kommunekode"])
        if codes and code not in codes:
            ec.add(i, "kommunekode", f"unknown municipality {code}")
        slug = ec.text(i, "area_id", row["area_id"])
        area = AreaRecord(geo, slug, ec.text(i, "area_name", row["area_name"]), row["hospital"])
        areas.setdefault((geo, slug), area)
        if (geo, code) in members:
            ec.add(
                i,
                "kommunekode",
                f"municipality {code} is in two areas of {geo}: {members[(geo, code)][0]!r} "
                f"(row {first_row[(geo, code)]}) and {slug!r}",
            )
            continue
        conf = confidence.get(code, "") if geo == "sundhedsraad-2027" else ""
        members[(geo, code)] = (slug, conf)
        first_row[(geo, code)] = i
    for geo, expected in EXPECTED_AREAS.items():
        missing = sorted(codes - {c for (g, c) in members if g == geo})
        for code in missing:
            ec.add(None, "kommunekode", f"geography {geo}: municipality {code} has no area")
        n = sum(1 for (g, _) in areas if g == geo)
        if n != expected:
            ec.add(None, "area_id", f"geography {geo} has {n} areas, expected {expected}")
    errors.extend(ec.errors)
    return list(areas.values()), members


SOCIO_COLUMNS: dict[str, tuple[str, int, str, str]] = {
    # column in demand_indicators.csv -> (indicator, year, status, source)
    "avg_disposable_income_dkk_2024": (
        "avg_disposable_income_dkk",
        2024,
        "sourced",
        "DST INDKP101 (data/denmark/SOURCES.md)",
    ),
    "unemployment_pct_2024": ("unemployment_pct", 2024, "sourced", "DST AUP02"),
    "higher_education_pct_2022": ("higher_education_pct", 2022, "sourced", "DST HFUDD11"),
    "immigrant_descendant_pct_2026": ("immigrant_descendant_pct", 2026, "sourced", "DST FOLK1E"),
    "one_person_households_pct_2025": ("one_person_households_pct", 2025, "sourced", "DST BOL103"),
    "social_assistance_recipients_2025q4": (
        "social_assistance_recipients",
        2025,
        "sourced",
        "DST AUK01, 2025 Q4",
    ),
    "social_assistance_per_1000_2025q4": (
        "social_assistance_per_1000",
        2025,
        "derived",
        "DST AUK01 2025 Q4 / population 2026-01-01",
    ),
    "laegedaekningstruet_plo_2019": (
        "laegedaekningstruet_plo_2019",
        2019,
        "sourced",
        "PLO list of 42 lægedækningstruede kommuner, May 2019 (Ritzau)",
    ),
}
SHARE_COLUMNS = {
    "pct_0_17_2024": "pct_0_17",
    "pct_65plus_2024": "pct_65plus",
    "pop_65plus_2022": "pop_65plus_2022",
    "pop_80plus_2022": "pop_80plus_2022",
}
NATIONAL_AGES = range(65, estimates.OLDEST + 1)


def read_national_ages(data_dir: Path, errors: list[RowError]) -> pd.DataFrame | None:
    """population_age_national.csv: Denmark's citizens by single age 65..100+ (DST FOLK1A)."""
    path = data_dir / "population_age_national.csv"
    rows = _rows(path)
    if not _require_columns(rows, path, ["age", "pop_2019q1", "pop_2022q1"], errors):
        return None
    ec = ErrorCollector(path.name)
    out: dict[int, dict[str, float]] = {}
    for i, row in enumerate(rows, start=1):
        age = ec.integer(i, "age", row["age"])
        if age not in NATIONAL_AGES:
            ec.add(i, "age", f"expected an age from 65 to 100 (100 = 100 and over), got {age}")
        elif age in out:
            ec.add(i, "age", f"age {age} twice")
        out[age] = {c: ec.number(i, c, row[c], minimum=1.0) for c in ("pop_2019q1", "pop_2022q1")}
    for age in NATIONAL_AGES:
        if age not in out:
            ec.add(None, "age", f"age {age} has no row")
    errors.extend(ec.errors)
    return None if ec.errors else pd.DataFrame.from_dict(out, orient="index").sort_index()


REFERENCE_YEAR = 2026


def read_indicators(
    data_dir: Path, municipalities: list[MunicipalityRecord], errors: list[RowError]
) -> tuple[list[IndicatorRecord], list[ProjectionRecord]]:
    path = data_dir / "demand_indicators.csv"
    rows = _rows(path)
    if not _require_columns(rows, path, ["kommunekode", *SOCIO_COLUMNS, *SHARE_COLUMNS], errors):
        return [], []
    ec = ErrorCollector(path.name)
    known = {m.kommunekode: m for m in municipalities}
    out: list[IndicatorRecord] = []
    base: dict[int, dict[str, float]] = {}
    for i, row in enumerate(rows, start=1):
        code = ec.integer(i, "kommunekode", row["kommunekode"])
        if code not in known:
            ec.add(i, "kommunekode", f"unknown municipality {code}")
            continue
        if code in base:
            ec.add(i, "kommunekode", f"duplicate municipality {code}")
            continue
        values: dict[str, float] = {}
        for col, (ind, year, status, source) in SOCIO_COLUMNS.items():
            v = ec.number(i, col, row[col])
            values[ind] = v
            out.append(IndicatorRecord(code, year, ind, v, status, source))
        for col, key in SHARE_COLUMNS.items():
            values[key] = ec.number(i, col, row[col])
        base[code] = values
    for code in sorted(set(known) - set(base)):
        ec.add(None, "kommunekode", f"municipality {code} has no row")
    errors.extend(ec.errors)
    national = read_national_ages(data_dir, errors)
    if ec.errors or national is None:
        return out, []
    frame = pd.DataFrame.from_dict(base, orient="index")
    frame["population"] = pd.Series({c: m.population for c, m in known.items()})
    frame["area_km2"] = pd.Series({c: m.area_km2 for c, m in known.items()})
    bands = estimates.age_bands_2026(frame, national)
    for ind in bands.columns:
        for kode, v in zip(bands.index, bands[ind], strict=True):
            out.append(
                IndicatorRecord(
                    int(kode),
                    REFERENCE_YEAR,
                    ind,
                    float(v),
                    "estimated",
                    estimates.AGE_BAND_METHOD_2026,
                )
            )
    projection = estimates.project_population(bands, national, base_year=REFERENCE_YEAR)
    projections = [
        ProjectionRecord(int(k), int(y), str(b), float(v), "estimated", projection.method)
        for k, y, b, v in projection.frame[["kommunekode", "year", "band", "value"]].itertuples(
            index=False
        )
    ]
    for ind, (series, method) in estimates.drivers(frame.join(bands)).items():
        for kode, v in zip(series.index, series, strict=True):
            out.append(
                IndicatorRecord(
                    int(kode), REFERENCE_YEAR, ind, round(float(v), 1), "estimated", method
                )
            )
    return out, projections


def read_reference(data_dir: Path = DATA_DIR) -> ReferenceData:
    """Parse and validate every reference file; raise ImportFailed listing all problems."""
    errors: list[RowError] = []
    municipalities = read_municipalities(data_dir, errors)
    dupes = [c for c, n in Counter(m.kommunekode for m in municipalities).items() if n > 1]
    codes = {m.kommunekode for m in municipalities} if not dupes else set()
    areas, memberships = read_geographies(data_dir, codes, errors)
    indicators, projections = (
        read_indicators(data_dir, municipalities, errors) if not errors else ([], [])
    )
    if errors:
        raise ImportFailed(errors)
    return ReferenceData(municipalities, areas, memberships, indicators, projections)
