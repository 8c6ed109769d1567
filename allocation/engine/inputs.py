"""Engine inputs: the data frames the engine reads, validated once on construction.

The Django side (allocation.selectors) builds them from the database; tests and the
benchmark build them directly. Validation errors name the column and the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    # (M, len(MUNICIPALITY_COLUMNS)) float copy of the municipal columns, built on
    # construction from the validated arrays (reading it back from the frame costs more).
    _matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), init=False, repr=False)
    # (P,) row in `municipalities` of each practice's municipality.
    _practice_row: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64), init=False, repr=False
    )

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        municipalities, matrix = _municipalities(self.municipalities)
        set_(self, "municipalities", municipalities)
        set_(self, "_matrix", matrix)
        codes = municipalities.index
        practices, practice_row = _practices(self.practices, codes)
        set_(self, "practices", practices)
        set_(self, "_practice_row", practice_row)
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

    def matrix(self, columns: tuple[str, ...]) -> np.ndarray:
        """(M, len(columns)) float array of municipal columns (no pandas indexing cost)."""
        return self._matrix[:, [_COLUMN[c] for c in columns]]

    def column(self, column: str) -> np.ndarray:
        """(M,) one municipal column as floats (a read-only view)."""
        return self._matrix[:, _COLUMN[column]]

    @property
    def practice_municipality(self) -> np.ndarray:
        """(P,) position in `municipalities` of each practice's municipality (read-only)."""
        return self._practice_row

    def area_name(self, geography: str, area: str) -> str:
        return str(self.area_names.get(geography, {}).get(area, area))


_COLUMN: dict[str, int] = {c: i for i, c in enumerate(MUNICIPALITY_COLUMNS)}


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def _numeric(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    series = frame[column]
    dtype = getattr(series, "dtype", None)
    if isinstance(series, pd.Series) and isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        # Already numbers: pd.to_numeric would return the column as it is, and costs more
        # than the rest of the validation on a small frame.
        values = series.to_numpy(dtype=np.float64)
    else:
        try:
            values = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: column {column} must be numeric") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{what}: column {column} is missing or infinite at row "
            f"{frame.index[np.flatnonzero(bad)[0]]!r}"
        )
    return values


def _read_only(array: np.ndarray) -> np.ndarray:
    """The inputs' arrays are shared by every run on them: nobody may write into them."""
    array.flags.writeable = False
    return array


# The dtype pandas infers for a column of strings, and whether it is the Python-backed one
# that pd.arrays.StringArray builds.
_STRINGS = pd.Series(["x"]).dtype
_PYTHON_STRINGS = pd.StringDtype("python", na_value=np.nan) == _STRINGS


def strings(values: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """An object array of strings (missing ones NaN) as the column pandas infers from it,
    built directly: inferring the dtype costs more than the rest of a small column. (An
    empty array stays as it is: pandas gives it the object dtype.)"""
    if _PYTHON_STRINGS and len(values):
        return pd.arrays.StringArray(values, dtype=_STRINGS)
    return values


_MISSING = object()


def _keys(values: np.ndarray) -> list[object]:
    """Hashable keys, every missing value (NaN) as the same one, as pandas' hash tables
    match them."""
    return [v if v == v else _MISSING for v in values.tolist()]


def positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(N,) int64: the position of each of `values` in `keys` (unique), -1 where absent;
    what pd.Index(keys).get_indexer(values) gives, by a dict (the Index costs more to build
    than a run's look-ups on a small input)."""
    where = {k: i for i, k in enumerate(_keys(keys))}
    return np.array([where.get(v, -1) for v in _keys(values)], dtype=np.int64)


def rows_in(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(N,) int64: the row of each of `values` in the sorted unique `codes`, -1 where absent
    (pd.Index(codes).get_indexer(values), by a binary search)."""
    row = np.searchsorted(codes, values)
    found = row < len(codes)
    found[found] = codes[row[found]] == values[found]
    return np.where(found, row, -1).astype(np.int64)


def _first_repeat(values: np.ndarray) -> int | None:
    """The position of the first value seen before (missing ones alike), or None."""
    keys = _keys(values)
    if len(set(keys)) == len(keys):
        return None
    seen: set[object] = set()
    for i, key in enumerate(keys):
        if key in seen:
            return i
        seen.add(key)
    raise AssertionError("unreachable")  # pragma: no cover


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _at(index: pd.Index, values: np.ndarray, i: int) -> object:
    """A cell for an error message: the value under row i's label (under a label used twice,
    the later row's, as a dict of the column has it)."""
    cells: dict[object, object] = pd.Series(values, index=index).to_dict()
    return cells[index[i]]


def _municipalities(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame sorted by kommunekode, and its MUNICIPALITY_COLUMNS as one float matrix."""
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
    names = frame["name"].astype(str).to_numpy()
    columns: list[np.ndarray] = []
    for column in MUNICIPALITY_COLUMNS:
        values = _numeric(frame, column, what)
        if (values < 0).any():
            raise ValueError(
                f"municipalities: column {column} is negative for kommunekode "
                f"{index[_first(values < 0)]}"
            )
        columns.append(values)
    # No municipality holds a hundred million people, and no count of its citizens (or of
    # places for them) exceeds its population: such inputs are typing errors, and the engine
    # would otherwise turn them into capacities (1e308 chronically ill citizens moved
    # København from 99 to 777).
    population = columns[0]
    if (population > MAX_POPULATION).any():
        i = _first(population > MAX_POPULATION)
        raise ValueError(
            f"municipalities: population {population[i]:g} for kommunekode {index[i]} "
            f"is not plausible (at most {MAX_POPULATION:,.0f})"
        )
    for column, values in zip(MUNICIPALITY_COLUMNS[1:], columns[1:], strict=True):
        over = values > population * (1 + 1e-9)
        if over.any():
            i = _first(over)
            raise ValueError(
                f"municipalities: column {column} is {values[i]:g} for kommunekode "
                f"{index[i]}, more than its population {population[i]:g}"
            )
    order = np.argsort(index.to_numpy(), kind="stable")
    # One (K, M) array, transposed: the (M, K) matrix in the column-major layout that
    # DataFrame.to_numpy gives, so that the arithmetic on it sums in the same order.
    matrix = _read_only(np.array([values[order] for values in columns]).T)
    data: dict[str, Any] = {"name": strings(names[order])}
    data.update(zip(MUNICIPALITY_COLUMNS, matrix.T, strict=True))
    return pd.DataFrame(data, index=index[order]), matrix


def _practices(frame: pd.DataFrame, codes: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame sorted by (kommunekode, ydernummer), and each sorted row's municipality
    position in `codes`."""
    what = "practices"
    _require(frame, PRACTICE_COLUMNS, what)
    ydernummer = frame["ydernummer"].astype(str).to_numpy()
    code = _numeric(frame, "kommunekode", what).astype(np.int64)
    capacities = _numeric(frame, "capacities", what)
    listed = _numeric(frame, "listed_patients", what)
    is_open = frame["open"].astype(bool).to_numpy()
    labels = frame.index
    dup = _first_repeat(ydernummer)
    if dup is not None:
        raise ValueError(f"practices: ydernummer {ydernummer[dup]} appears twice")
    row = rows_in(codes.to_numpy(), code)
    unknown = row < 0
    if unknown.any():
        i = _first(unknown)
        raise ValueError(
            f"practices: unknown kommunekode {_at(labels, code, i)} "
            f"(ydernummer {_at(labels, ydernummer, i)})"
        )
    bad = capacities <= 0
    if bad.any():
        raise ValueError(
            "practices: column capacities must be > 0 "
            f"(ydernummer {_at(labels, ydernummer, _first(bad))})"
        )
    bad = listed < 0
    if bad.any():
        raise ValueError(
            "practices: column listed_patients must not be negative "
            f"(ydernummer {_at(labels, ydernummer, _first(bad))})"
        )
    order = _by_municipality_and_ydernummer(code, ydernummer)
    out = pd.DataFrame(
        {
            "ydernummer": strings(ydernummer[order]),
            "kommunekode": code[order],
            "capacities": capacities[order],
            "listed_patients": listed[order],
            "open": is_open[order],
        }
    )
    return out, _read_only(np.asarray(row[order], dtype=np.int64))


def _by_municipality_and_ydernummer(code: np.ndarray, ydernummer: np.ndarray) -> np.ndarray:
    """The order of the practices by (kommunekode, ydernummer). The ydernumre are unique, so
    the order is total and any sort gives it; a missing one (NaN, which no string compares
    with) goes last in its municipality, where pandas sorts it."""
    try:
        return np.lexsort((ydernummer, code))
    except TypeError:
        keys = pd.DataFrame({"kommunekode": code, "ydernummer": ydernummer})
        return keys.sort_values(["kommunekode", "ydernummer"], kind="stable").index.to_numpy()


def _doctors(frame: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    what = "doctors"
    _require(frame, DOCTOR_COLUMNS, what)
    ydernummer = frame["ydernummer"].astype(str).to_numpy()
    code = _numeric(frame, "kommunekode", what).astype(np.int64)
    birth_year = _numeric(frame, "birth_year", what).astype(np.int64)
    fte = _numeric(frame, "fte", what)
    labels = frame.index
    position = positions(practices["ydernummer"].to_numpy(), ydernummer)
    unknown = position < 0
    if unknown.any():
        i = _first(unknown)
        raise ValueError(
            f"doctors: unknown ydernummer {_at(labels, ydernummer, i)} (row {labels[i]})"
        )
    home = practices["kommunekode"].to_numpy()[position]
    moved = home != code
    if moved.any():
        i = _first(moved)
        raise ValueError(
            f"doctors: kommunekode {_at(labels, code, i)} differs from the practice's "
            f"for ydernummer {_at(labels, ydernummer, i)} (row {labels[i]})"
        )
    bad = fte < 0
    if bad.any():
        raise ValueError(f"doctors: column fte is negative at row {labels[_first(bad)]}")
    return pd.DataFrame(
        {
            "ydernummer": strings(ydernummer),
            "kommunekode": code,
            "birth_year": birth_year,
            "fte": fte,
            "practice": position,
        }
    )


def _geographies(geographies: Mapping[str, pd.Series], codes: pd.Index) -> dict[str, pd.Series]:
    """Each geography as a Series of area slugs in municipality order; `codes` is sorted."""
    if not isinstance(geographies, Mapping):
        raise ValueError("geographies must be a mapping slug -> Series")
    out: dict[str, pd.Series] = {}
    for slug, series in geographies.items():
        if not isinstance(series, pd.Series):
            raise ValueError(f"geography {slug}: must be a pandas Series")
        code = series.index.astype(np.int64).to_numpy()
        dup = _first_repeat(code)
        if dup is not None:
            raise ValueError(f"geography {slug}: kommunekode {code[dup]} is in two areas")
        row = rows_in(codes.to_numpy(), code)
        if (row < 0).any():
            raise ValueError(f"geography {slug}: unknown kommunekode {code[row < 0].min()}")
        if len(row) < len(codes):
            covered = np.zeros(len(codes), dtype=bool)
            covered[row] = True
            raise ValueError(
                f"geography {slug}: kommunekode {codes[_first(~covered)]} is in no area"
            )
        values = series.to_numpy()
        missing = pd.isna(values)
        if missing.any():
            raise ValueError(f"geography {slug}: kommunekode {code[_first(missing)]} has no area")
        # Area slugs as strings (astype(str) leaves strings as they are).
        if all(type(v) is str for v in values.tolist()):
            slugs = np.asarray(values, dtype=object)
        else:
            slugs = pd.Series(values).astype(str).to_numpy()
        in_order = np.empty_like(slugs)
        in_order[row] = slugs
        out[str(slug)] = pd.Series(strings(in_order), index=codes, name="area")
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
    row_of = rows_in(codes.to_numpy(), code)
    if (row_of < 0).any():
        raise ValueError(f"projection: unknown kommunekode {code[np.flatnonzero(row_of < 0)[0]]}")
    col_of = pd.Index(AGE_BAND_COLUMNS).get_indexer(band)  # every band is known here
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
