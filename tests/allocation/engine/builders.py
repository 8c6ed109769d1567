"""Engine inputs for tests: small synthetic ones and a realistic Denmark from data/denmark.

The realistic inputs use the same pure helpers as the loader (age bands and estimated
drivers from municipalities.estimates, the seeded synthetic practice register from
practices.synthetic), read straight from the CSV files, with no database.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from allocation.engine import EngineInputs
from allocation.engine.inputs import DOCTOR_COLUMNS, MUNICIPALITY_COLUMNS, PRACTICE_COLUMNS
from municipalities import estimates
from practices.synthetic import MunicipalityInput, generate_register

DATA = Path(__file__).resolve().parents[3] / "data" / "denmark"
# The engine's own list, so the builders never drift from what it validates.
ENGINE_COLUMNS = MUNICIPALITY_COLUMNS


def small_inputs(
    population: list[float],
    capacities: list[list[float]],
    *,
    seed: int = 0,
    areas: list[str] | None = None,
    listed_per_capacity: float = 1500.0,
    retiring_share: float = 0.2,
) -> EngineInputs:
    """Inputs with len(population) municipalities coded 101, 102, ...

    capacities[i] lists the practices of municipality i (may be empty). Drivers are
    fixed shares of the population, jittered by a seeded generator.
    """
    rng = np.random.default_rng(seed)
    n = len(population)
    codes = np.arange(101, 101 + n)
    pop = np.asarray(population, dtype=float)
    jitter = rng.uniform(0.8, 1.2, size=(n, 11))
    shares = np.array([0.2, 0.6, 0.15, 0.05, 0.25, 0.04, 0.05, 0.01, 0.005, 0.02, 0.03])
    values = pop[:, None] * shares[None, :] * jitter
    # Frames from columns, not from rows: a frame of row dicts costs more to build than the
    # engine's run on it, once per hypothesis example.
    muni = pd.DataFrame(
        {
            "name": [f"Kommune {c}" for c in codes],
            "population": pop,
            **dict(zip(ENGINE_COLUMNS[1:], values.T, strict=True)),
        },
        index=codes,
    )

    practices: dict[str, list] = {c: [] for c in PRACTICE_COLUMNS}
    doctors: dict[str, list] = {c: [] for c in DOCTOR_COLUMNS}
    number = 100000
    for code, caps in zip(codes, capacities, strict=True):
        for cap in caps:
            number += 1
            yder = str(number)
            practices["ydernummer"].append(yder)
            practices["kommunekode"].append(code)
            practices["capacities"].append(float(cap))
            practices["listed_patients"].append(
                int(cap * listed_per_capacity * rng.uniform(0.8, 1.2))
            )
            practices["open"].append(bool(rng.random() < 0.3))
            whole = int(np.ceil(cap))
            for k in range(whole):
                fte = cap - k if k == whole - 1 and cap != whole else 1.0
                old = rng.random() < retiring_share
                birth = int(rng.integers(1955, 1970) if old else rng.integers(1972, 1995))
                doctors["ydernummer"].append(yder)
                doctors["kommunekode"].append(code)
                doctors["birth_year"].append(birth)
                doctors["fte"].append(fte)
    area = areas or [f"area-{i % 3}" for i in range(n)]
    geo = {
        "sundhedsklynger-21": pd.Series(area, index=codes),
        # The statutory reference's default geography: two areas across the clusters.
        "sundhedsraad-2027": pd.Series([f"raad-{i % 2}" for i in range(n)], index=codes),
    }
    return EngineInputs(
        municipalities=muni,
        practices=pd.DataFrame(practices),
        doctors=pd.DataFrame(doctors),
        geographies=geo,
    )


@cache
def national_ages() -> pd.DataFrame:
    """Denmark's citizens by single age 65..100+ in 2019 and 2022 (DST FOLK1A)."""
    return pd.read_csv(DATA / "population_age_national.csv").set_index("age")


@cache
def denmark_inputs(seed: int = 2026) -> EngineInputs:
    """The 98 municipalities with estimated drivers, the shipped population projection and
    the seeded synthetic register."""
    muni = pd.read_csv(DATA / "municipalities.csv").set_index("kommunekode")
    demand = pd.read_csv(DATA / "demand_indicators.csv").set_index("kommunekode")
    frame = pd.DataFrame(
        {
            "population": muni["population"],
            "area_km2": muni["area_km2"],
            "pct_0_17": demand["pct_0_17_2024"],
            "pct_65plus": demand["pct_65plus_2024"],
            "pop_65plus_2022": demand["pop_65plus_2022"],
            "pop_80plus_2022": demand["pop_80plus_2022"],
            "unemployment_pct": demand["unemployment_pct_2024"],
            "avg_disposable_income_dkk": demand["avg_disposable_income_dkk_2024"],
            "higher_education_pct": demand["higher_education_pct_2022"],
        }
    )
    frame = frame.join(estimates.age_bands_2026(frame, national_ages()))
    for name, (series, _method) in estimates.drivers(frame).items():
        frame[name] = series
    frame["name"] = muni["name"]

    register = generate_register(
        [
            MunicipalityInput(
                kommunekode=int(code),
                name=str(muni.at[code, "name"]),
                region_code=int(muni.at[code, "region_code"]),
                population=int(muni.at[code, "population"]),
                shortage=bool(demand.at[code, "laegedaekningstruet_plo_2019"]),
            )
            for code in muni.index
        ],
        seed=seed,
    )
    practices = pd.DataFrame(
        {
            "ydernummer": [r.ydernummer for r in register],
            "kommunekode": [r.kommunekode for r in register],
            "capacities": [float(r.capacities) for r in register],
            "listed_patients": [r.listed_patients for r in register],
            "open": [r.open_to_new_patients for r in register],
        }
    )
    doctors = pd.DataFrame(
        [
            {"ydernummer": r.ydernummer, "kommunekode": r.kommunekode, "birth_year": y, "fte": 1.0}
            for r in register
            for y in r.doctor_birth_years
        ]
    )
    geo_rows = pd.read_csv(DATA / "geographies.csv")
    geographies = {
        str(g): pd.Series(rows["area_id"].astype(str).to_numpy(), index=rows["kommunekode"])
        for g, rows in geo_rows.groupby("geography")
    }
    names = {
        str(g): dict(zip(rows["area_id"].astype(str), rows["area_name"], strict=False))
        for g, rows in geo_rows.groupby("geography")
    }
    bands = frame.loc[:, list(estimates.BANDS)]
    projection = estimates.project_population(bands, national_ages()).frame
    return EngineInputs(
        municipalities=frame.loc[:, ["name", *ENGINE_COLUMNS]],
        practices=practices,
        doctors=doctors,
        geographies=geographies,
        area_names=names,
        projection=projection,
    )
