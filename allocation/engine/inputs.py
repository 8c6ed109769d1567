"""Engine inputs: the data frames the engine reads, validated once on construction.

The Django side (allocation.selectors) builds them from the database; tests and the
benchmark build them directly. Validation errors name the column and the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

MUNICIPALITY_COLUMNS: tuple[str, ...] = (
    "population",
    "pop_0_17",
    "pop_18_64",
    "pop_65_79",
    "pop_80_plus",
    "chronic",
    "multimorbid",
    "vulnerable",
    "nursing_home_places",
    "residential_residents",
    "psychiatric",
    "far_from_practice",
)
PRACTICE_COLUMNS: tuple[str, ...] = (
    "ydernummer",
    "kommunekode",
    "capacities",
    "listed_patients",
    "open",
)
DOCTOR_COLUMNS: tuple[str, ...] = ("ydernummer", "kommunekode", "birth_year", "fte")
AGE_BAND_COLUMNS: tuple[str, ...] = ("pop_0_17", "pop_18_64", "pop_65_79", "pop_80_plus")
PROJECTION_COLUMNS: tuple[str, ...] = ("kommunekode", "year", "band", "value")
MAX_POPULATION = 1e8


@dataclass(frozen=True)
class EngineInputs:
    """Municipalities (index kommunekode), practices, doctors and planning geographies.

    - municipalities: `name` and MUNICIPALITY_COLUMNS, all >= 0.
    - practices: PRACTICE_COLUMNS; capacities > 0; a municipality may have none (Læsø).
    - doctors: DOCTOR_COLUMNS; fte per practice should add up to about its capacities.
    - geographies: slug -> Series (index kommunekode) of area slugs, each a partition.
    - area_names: slug -> area slug -> display name (optional).
    - projection: projected citizens, long: PROJECTION_COLUMNS, band one of the age bands,
      every municipality and band in each year it gives (optional; without it the
      population is held at the base year, docs/model.md#need-at-the-horizon).

    The frames are normalised on construction: municipalities sorted by kommunekode,
    practices by (kommunekode, ydernummer), numeric columns as float/int, and doctors get a
    `practice` column: the row of their ydernummer in `practices`.
    """

    municipalities: pd.DataFrame
    practices: pd.DataFrame
    doctors: pd.DataFrame
    geographies: Mapping[str, pd.Series]
    area_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    projection: pd.DataFrame | None = None
    # year -> (M, 4) projected bands, built from `projection` on construction.
    _bands_by_year: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "municipalities", _municipalities(self.municipalities))
        codes = self.municipalities.index
        set_(self, "practices", _practices(self.practices, codes))
        set_(self, "doctors", _doctors(self.doctors, self.practices))
        set_(self, "geographies", _geographies(self.geographies, codes))
        if not isinstance(self.area_names, Mapping):
            raise ValueError("area_names must be a mapping geography -> area -> name")
        set_(self, "area_names", {g: dict(names) for g, names in self.area_names.items()})
        set_(self, "_bands_by_year", _projection(self.projection, codes))

    @property
    def projection_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._bands_by_year))

    def projected_bands(self, year: int) -> np.ndarray | None:
        """(M, 4) projected citizens per age band in ``year``, or None if not projected."""
        return self._bands_by_year.get(int(year))

    @property
    def codes(self) -> np.ndarray:
        return self.municipalities.index.to_numpy()

    @cached_property
    def _matrix(self) -> np.ndarray:
        return self.municipalities.loc[:, list(MUNICIPALITY_COLUMNS)].to_numpy(np.float64)

    def matrix(self, columns: tuple[str, ...]) -> np.ndarray:
        """(M, len(columns)) float array of municipal columns (no pandas indexing cost)."""
        return self._matrix[:, [MUNICIPALITY_COLUMNS.index(c) for c in columns]]

    def area_name(self, geography: str, area: str) -> str:
        return str(self.area_names.get(geography, {}).get(area, area))


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _numeric(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    try:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: column {column} must be numeric") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{what}: column {column} is missing or infinite at row "
            f"{frame.index[np.flatnonzero(bad)[0]]!r}"
        )
    return values


def _first_bad(frame: pd.DataFrame, mask: np.ndarray) -> object:
    return frame.index[np.flatnonzero(mask)[0]]


def _at(frame: pd.DataFrame, row: object, column: str) -> object:
    """A cell for an error message."""
    values: dict[object, object] = frame[column].to_dict()
    return values[row]


def _municipalities(frame: pd.DataFrame) -> pd.DataFrame:
    what = "municipalities"
    _require(frame, ("name", *MUNICIPALITY_COLUMNS), what)
    if len(frame) == 0:
        raise ValueError("municipalities: no rows")
    try:
        index = pd.Index(frame.index.astype(np.int64), name="kommunekode")
    except (TypeError, ValueError):
        raise ValueError("municipalities: the index must be integer kommunekoder") from None
    if index.has_duplicates:
        raise ValueError(f"municipalities: kommunekode {index[index.duplicated()][0]} twice")
    out = pd.DataFrame(index=index)
    out["name"] = frame["name"].astype(str).to_numpy()
    for column in MUNICIPALITY_COLUMNS:
        values = _numeric(frame, column, what)
        if (values < 0).any():
            raise ValueError(
                f"municipalities: column {column} is negative for kommunekode "
                f"{index[np.flatnonzero(values < 0)[0]]}"
            )
        out[column] = values
    # No municipality holds a hundred million people, and no count of its citizens (or of
    # places for them) exceeds its population: such inputs are typing errors, and the engine
    # would otherwise turn them into capacities (1e308 chronically ill citizens moved
    # København from 99 to 777).
    population = out["population"].to_numpy()
    if (population > MAX_POPULATION).any():
        row = index[np.flatnonzero(population > MAX_POPULATION)[0]]
        raise ValueError(
            f"municipalities: population {out.at[row, 'population']:g} for kommunekode {row} "
            f"is not plausible (at most {MAX_POPULATION:,.0f})"
        )
    for column in MUNICIPALITY_COLUMNS[1:]:
        over = out[column].to_numpy() > population * (1 + 1e-9)
        if over.any():
            row = index[np.flatnonzero(over)[0]]
            raise ValueError(
                f"municipalities: column {column} is {out.at[row, column]:g} for kommunekode "
                f"{row}, more than its population {out.at[row, 'population']:g}"
            )
    return out.sort_index()


def _practices(frame: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    what = "practices"
    _require(frame, PRACTICE_COLUMNS, what)
    out = pd.DataFrame(
        {
            "ydernummer": frame["ydernummer"].astype(str).to_numpy(),
            "kommunekode": _numeric(frame, "kommunekode", what).astype(np.int64),
            "capacities": _numeric(frame, "capacities", what),
            "listed_patients": _numeric(frame, "listed_patients", what),
            "open": frame["open"].astype(bool).to_numpy(),
        },
        index=frame.index,
    )
    if out["ydernummer"].duplicated().any():
        dup = out.loc[out["ydernummer"].duplicated(), "ydernummer"].iloc[0]
        raise ValueError(f"practices: ydernummer {dup} appears twice")
    unknown = ~out["kommunekode"].isin(codes).to_numpy()
    if unknown.any():
        row = _first_bad(out, unknown)
        raise ValueError(
            f"practices: unknown kommunekode {_at(out, row, 'kommunekode')} "
            f"(ydernummer {_at(out, row, 'ydernummer')})"
        )
    bad = out["capacities"].to_numpy() <= 0
    if bad.any():
        row = _first_bad(out, bad)
        raise ValueError(
            f"practices: column capacities must be > 0 (ydernummer {_at(out, row, 'ydernummer')})"
        )
    bad = out["listed_patients"].to_numpy() < 0
    if bad.any():
        row = _first_bad(out, bad)
        raise ValueError(
            "practices: column listed_patients must not be negative "
            f"(ydernummer {_at(out, row, 'ydernummer')})"
        )
    out = out.sort_values(["kommunekode", "ydernummer"], kind="stable")
    return out.reset_index(drop=True)


def _doctors(frame: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    what = "doctors"
    _require(frame, DOCTOR_COLUMNS, what)
    out = pd.DataFrame(
        {
            "ydernummer": frame["ydernummer"].astype(str).to_numpy(),
            "kommunekode": _numeric(frame, "kommunekode", what).astype(np.int64),
            "birth_year": _numeric(frame, "birth_year", what).astype(np.int64),
            "fte": _numeric(frame, "fte", what),
        },
        index=frame.index,
    )
    position = pd.Index(practices["ydernummer"]).get_indexer(pd.Index(out["ydernummer"]))
    unknown = position < 0
    if unknown.any():
        row = _first_bad(out, unknown)
        raise ValueError(f"doctors: unknown ydernummer {_at(out, row, 'ydernummer')} (row {row})")
    out["practice"] = position
    home = practices["kommunekode"].to_numpy()[position]
    moved = home != out["kommunekode"].to_numpy()
    if moved.any():
        row = _first_bad(out, moved)
        raise ValueError(
            f"doctors: kommunekode {_at(out, row, 'kommunekode')} differs from the practice's "
            f"for ydernummer {_at(out, row, 'ydernummer')} (row {row})"
        )
    bad = out["fte"].to_numpy() < 0
    if bad.any():
        raise ValueError(f"doctors: column fte is negative at row {_first_bad(out, bad)}")
    return out.reset_index(drop=True)


def _geographies(geographies: Mapping[str, pd.Series], codes: pd.Index) -> dict[str, pd.Series]:
    if not isinstance(geographies, Mapping):
        raise ValueError("geographies must be a mapping slug -> Series")
    out: dict[str, pd.Series] = {}
    for slug, series in geographies.items():
        if not isinstance(series, pd.Series):
            raise ValueError(f"geography {slug}: must be a pandas Series")
        index = pd.Index(series.index.astype(np.int64))
        if index.has_duplicates:
            code = index[index.duplicated()][0]
            raise ValueError(f"geography {slug}: kommunekode {code} is in two areas")
        unknown = index.difference(codes)
        if len(unknown):
            raise ValueError(f"geography {slug}: unknown kommunekode {unknown[0]}")
        missing = codes.difference(index)
        if len(missing):
            raise ValueError(f"geography {slug}: kommunekode {missing[0]} is in no area")
        areas = pd.Series(series.to_numpy(), index=index)
        if areas.isna().any():
            raise ValueError(
                f"geography {slug}: kommunekode {areas.index[areas.isna()][0]} has no area"
            )
        out[str(slug)] = areas.astype(str).reindex(codes).rename("area")
    return out


def _projection(frame: pd.DataFrame | None, codes: pd.Index) -> dict[int, np.ndarray]:
    """year -> (M, 4) citizens per age band, in municipality order."""
    if frame is None:
        return {}
    what = "projection"
    _require(frame, PROJECTION_COLUMNS, what)
    code = _numeric(frame, "kommunekode", what).astype(np.int64)
    year = _numeric(frame, "year", what).astype(np.int64)
    value = _numeric(frame, "value", what)
    band = frame["band"].astype(str).to_numpy()
    if (value < 0).any():
        row = np.flatnonzero(value < 0)[0]
        raise ValueError(f"projection: value is negative for kommunekode {code[row]}, {year[row]}")
    unknown_band = ~np.isin(band, AGE_BAND_COLUMNS)
    if unknown_band.any():
        raise ValueError(f"projection: unknown band {band[np.flatnonzero(unknown_band)[0]]!r}")
    row_of = codes.get_indexer(pd.Index(code))
    if (row_of < 0).any():
        raise ValueError(f"projection: unknown kommunekode {code[np.flatnonzero(row_of < 0)[0]]}")
    col_of = np.array([AGE_BAND_COLUMNS.index(b) for b in band], dtype=np.int64)
    out: dict[int, np.ndarray] = {}
    for y in np.unique(year):
        at = year == y
        cells = row_of[at] * len(AGE_BAND_COLUMNS) + col_of[at]
        if len(np.unique(cells)) != len(cells):
            raise ValueError(f"projection: a municipality and band twice in {y}")
        if len(cells) != len(codes) * len(AGE_BAND_COLUMNS):
            grid = np.zeros(len(codes) * len(AGE_BAND_COLUMNS), dtype=bool)
            grid[cells] = True
            gap = np.flatnonzero(~grid)[0]
            raise ValueError(
                f"projection: kommunekode {codes[gap // len(AGE_BAND_COLUMNS)]} has no "
                f"{AGE_BAND_COLUMNS[gap % len(AGE_BAND_COLUMNS)]} in {y}"
            )
        bands = np.zeros(len(codes) * len(AGE_BAND_COLUMNS))
        bands[cells] = value[at]
        out[int(y)] = bands.reshape(len(codes), len(AGE_BAND_COLUMNS))
    return out
