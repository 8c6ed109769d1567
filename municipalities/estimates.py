"""Estimates of demand drivers that have no municipal source.

No public per-municipality count exists (see data/denmark/SOURCES.md, "Not found") for
chronic disease, multimorbidity, nursing-home places, residential facilities, psychiatric
illness, social vulnerability or distance to an open practice. Klyngeplan estimates them
from each municipality's age structure and socioeconomic indicators with the national
rates below. Every value produced here is stored with status ``estimated`` and the method
text, and the pages show it as estimated.

Pure pandas: a frame in, a frame out; the loader stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class NationalRate:
    value: float
    source: str


# Each rate names its source (IDs from data/denmark/SOURCES.md, national_rates.csv) or says
# plainly that it is an assumption made here.
RATES: dict[str, NationalRate] = {
    # Chronic disease (one or more of six register diseases): 20 % of adults, 45 % of 85+ (N4).
    # Band rates chosen so the adult national rate comes out near 20 %.
    "chronic_0_17": NationalRate(
        0.03, "assumption: childhood asthma/type 1 diabetes, N1 order of magnitude"
    ),
    "chronic_18_64": NationalRate(0.13, "assumption calibrated to N4: 20 % of adults"),
    "chronic_65_79": NationalRate(0.38, "assumption calibrated to N4: 20 % of adults, 45 % of 85+"),
    "chronic_80_plus": NationalRate(0.45, "N4: 45 % of those aged 85+"),
    # Multimorbidity: about 1.2 million Danes with two or more chronic diseases (N5; also
    # Danske Patienter, see docs/model.md#sources).
    "multimorbid_total": NationalRate(
        1_200_000, "N5 and Danske Patienter: about 1.2 million Danes"
    ),
    # Relative age profile of multimorbidity: N4 finds 15 % of chronically ill adults and 25 % of
    # chronically ill 75+ multimorbid; applied to the chronic rates above.
    "multimorbid_share_of_chronic_under_65": NationalRate(0.15, "N4"),
    "multimorbid_share_of_chronic_65_plus": NationalRate(0.25, "N4 (75+)"),
    # Nursing homes: 10.6 % of 80+ and 1.3 % of 65-79 lived in a plejebolig in 2020 (N8).
    "nursing_home_80_plus": NationalRate(0.106, "N8 (2020)"),
    "nursing_home_65_79": NationalRate(0.013, "N8 (2020)"),
    # Residential facilities (botilbud §107, §108, §85): 27,100 adults in 2018 (N13).
    "residential_total": NationalRate(27_100, "N13 (2018)"),
    # Psychiatry: about 150,000 treated in 2022 (N14); 43,530 under 18 with hospital contact in
    # 2022 (N16); about 90 % of patients under 65 (N15).
    "psychiatric_total": NationalRate(150_000, "N14 (2022)"),
    "psychiatric_0_17": NationalRate(43_530, "N16 (2022)"),
    "psychiatric_share_under_65": NationalRate(0.90, "N15"),
    # Socially vulnerable citizens: no national count was found. 5 % of adults is an assumption
    # made here, spread by the deprivation index below.
    "vulnerable_adult_share": NationalRate(0.05, "assumption: no source found"),
    # Citizens far from an open practice: no source found. 4 % of citizens nationally is an
    # assumption, spread by how sparsely the municipality is populated.
    "far_from_practice_share": NationalRate(0.04, "assumption: no source found"),
}

# A one-standard-deviation worse deprivation index raises a municipality's disease rates by
# this factor. An assumption (no Danish municipal gradient was found); kept small so the age
# structure dominates.
DEPRIVATION_ELASTICITY = 0.05


def deprivation_index(frame: pd.DataFrame) -> pd.Series:
    """A z-score of deprivation: unemployment up, income and education down.

    Equal weights; an assumption named in the method text of every value that uses it.
    """

    def z(col: pd.Series) -> pd.Series:
        sd = col.std(ddof=0)
        return (col - col.mean()) / sd if sd > 0 else col * 0.0

    return (
        z(frame["unemployment_pct"])
        - z(frame["avg_disposable_income_dkk"])
        - z(frame["higher_education_pct"])
    ) / 3


def drivers(frame: pd.DataFrame) -> dict[str, tuple[pd.Series, str]]:
    """The pillar drivers per municipality, each with the method text stored beside it.

    ``frame`` needs the age bands (see :func:`age_bands_2026`), unemployment_pct,
    avg_disposable_income_dkk, higher_education_pct, population and area_km2.
    """
    b = frame
    dep = deprivation_index(frame)
    # Keep the national totals where the national rates put them: the deprivation factor only
    # moves need between municipalities.
    factor = (1 + DEPRIVATION_ELASTICITY * dep).clip(lower=0.5)
    r = {k: v.value for k, v in RATES.items()}

    def spread(raw: pd.Series, weight: pd.Series) -> pd.Series:
        weighted = raw * weight
        total = weighted.sum()
        return weighted * (raw.sum() / total) if total > 0 else weighted

    chronic_raw = (
        b["pop_0_17"] * r["chronic_0_17"]
        + b["pop_18_64"] * r["chronic_18_64"]
        + b["pop_65_79"] * r["chronic_65_79"]
        + b["pop_80_plus"] * r["chronic_80_plus"]
    )
    chronic = spread(chronic_raw, factor)

    mm_profile = (
        b["pop_0_17"] * r["chronic_0_17"] * r["multimorbid_share_of_chronic_under_65"]
        + b["pop_18_64"] * r["chronic_18_64"] * r["multimorbid_share_of_chronic_under_65"]
        + b["pop_65_79"] * r["chronic_65_79"] * r["multimorbid_share_of_chronic_65_plus"]
        + b["pop_80_plus"] * r["chronic_80_plus"] * r["multimorbid_share_of_chronic_65_plus"]
    )
    multimorbid = spread(mm_profile, factor) * (r["multimorbid_total"] / mm_profile.sum())

    nursing = (
        b["pop_80_plus"] * r["nursing_home_80_plus"] + b["pop_65_79"] * r["nursing_home_65_79"]
    )

    adults_18_64 = b["pop_18_64"]
    residential = spread(adults_18_64, factor) * (r["residential_total"] / adults_18_64.sum())

    young = b["pop_0_17"] / b["pop_0_17"].sum() * r["psychiatric_0_17"]
    adult_total = r["psychiatric_total"] - r["psychiatric_0_17"]
    share_u65 = r["psychiatric_share_under_65"]
    old = b["pop_65_79"] + b["pop_80_plus"]
    adult = b["pop_18_64"] / b[
        "pop_18_64"
    ].sum() * adult_total * share_u65 + old / old.sum() * adult_total * (1 - share_u65)
    psychiatric = spread(young + adult, factor)

    adults = b["pop_18_64"] + b["pop_65_79"] + b["pop_80_plus"]
    vuln_weight = np.exp(dep)  # stronger gradient: vulnerability is the deprivation itself
    vulnerable = spread(adults, vuln_weight) * r["vulnerable_adult_share"]

    density = b["population"] / b["area_km2"].astype(float)
    sparsity = 1 / np.sqrt(density.clip(lower=1.0))
    far_raw = b["population"] * sparsity
    far = far_raw / far_raw.sum() * b["population"].sum() * r["far_from_practice_share"]
    far = far.clip(upper=b["population"] * 0.5)

    dep_note = (
        f"times a deprivation factor 1 + {DEPRIVATION_ELASTICITY} x z (unemployment AUP02 2024, "
        "income INDKP101 2024, education HFUDD11 2022; equal weights, an assumption), "
        "rescaled to keep the national total"
    )
    return {
        "chronic": (
            chronic,
            "estimated: age bands x national rates 3/13/38/45 % (N4: 20 % of adults, 45 % of "
            f"85+), {dep_note}",
        ),
        "multimorbid": (
            multimorbid,
            "estimated: 1.2 million nationally (N5, Danske Patienter) spread by the chronic "
            "estimate with 15 % of chronically ill under 65 and 25 % over 65 multimorbid (N4), "
            f"{dep_note}",
        ),
        "nursing_home_places": (
            nursing,
            "estimated: 10.6 % of citizens 80+ and 1.3 % of 65-79 live in a plejebolig (N8, "
            "2020); no municipal count found",
        ),
        "residential_residents": (
            residential,
            "estimated: 27,100 adults in botilbud (N13, 2018) spread by citizens 18-64, "
            f"{dep_note}",
        ),
        "psychiatric": (
            psychiatric,
            "estimated: 150,000 treated in psychiatry (N14, 2022), 43,530 of them under 18 "
            f"(N16), 90 % of adults under 65 (N15), spread by age bands, {dep_note}",
        ),
        "vulnerable": (
            vulnerable,
            "estimated: 5 % of adults (an assumption; no national count found) spread by "
            "exp(deprivation z-score)",
        ),
        "far_from_practice": (
            far,
            "estimated: 4 % of citizens nationally (an assumption; no source found) spread by "
            "population / sqrt(density), at most half the municipality",
        ),
    }


# --- population by age band: today (2026) and projected to the horizon ------------------------

BANDS: tuple[str, ...] = ("pop_0_17", "pop_18_64", "pop_65_79", "pop_80_plus")
# Inclusive single ages of each band; 100 stands for 100 and over.
BAND_AGES: dict[str, tuple[int, int]] = {
    "pop_0_17": (0, 17),
    "pop_18_64": (18, 64),
    "pop_65_79": (65, 79),
    "pop_80_plus": (80, 100),
}
OLDEST = 100
PROJECTION_BASE_YEAR = 2026
PROJECTION_HORIZON = 2035

# Annual survival below 65: no national life table is in the stored sources, so these are
# assumptions of the order of Denmark's life tables (mortality about 0.02 % a year for
# children, 0.1 % at 18-49 and 0.5 % at 50-64). They matter little: the projection's weight
# is in the old bands, where survival is derived from the register (see `survival`).
YOUNG_SURVIVAL: dict[tuple[int, int], float] = {(0, 17): 0.9998, (18, 49): 0.999, (50, 64): 0.995}

# Births a year, nationally: Statistics Denmark's 2024 projection expects about 64,000 births
# in 2030 (dst.dk Nyt, "Befolkningsfremskrivninger 2024-2070"); held constant over the period
# and shared by each municipality's citizens aged 0-17.
NATIONAL_BIRTHS = NationalRate(64_000, "DST Befolkningsfremskrivning 2024 (dst.dk Nyt cid 49070)")

# National citizens 80+ that the projection is calibrated to (data/denmark/SOURCES.md,
# "Population projection"). Between anchors the calibration factor is interpolated linearly;
# the base year is the cohort estimate itself (factor 1).
NATIONAL_80_PLUS: dict[int, NationalRate] = {
    2030: NationalRate(
        431_000, "DST Befolkningsfremskrivning 2021: 431,000 aged 80+ in 2030 (Ritzau, May 2021)"
    ),
    2035: NationalRate(
        470_000,
        "Sundhedsstrukturkommissionen (June 2024): about 470,000 aged 80+ around 2035 (DR)",
    ),
}


def survival(national: pd.DataFrame) -> np.ndarray:
    """Annual survival by single age 0..100 (100 = 100 and over).

    65 and over: derived from the register, as the cube root of the three-year cohort ratio
    between 1 January 2019 and 1 January 2022 (DST FOLK1A; ``national`` indexed by age with
    columns pop_2019q1 and pop_2022q1). The ratio also holds the small net migration of the
    old, and the COVID-19 years. A ratio over ages a..a+2 is given to the middle age a+1.
    From 97 the rate of 96 is used (small numbers). Below 65: YOUNG_SURVIVAL (assumptions).
    """
    p19 = national["pop_2019q1"].astype(float)
    p22 = national["pop_2022q1"].astype(float)
    s = np.ones(OLDEST + 1)
    for (lo, hi), rate in YOUNG_SURVIVAL.items():
        s[lo : hi + 1] = rate
    s[65] = float(p22[68] / p19[65]) ** (1 / 3)  # no 64-year-olds in the source
    for age in range(66, 97):
        s[age] = float(p22[age + 2] / p19[age - 1]) ** (1 / 3)
    s[97:] = s[96]
    return np.clip(s, 0.0, 1.0)


def _band_profiles(national: pd.DataFrame, s: np.ndarray) -> dict[str, np.ndarray]:
    """Within-band age split of 2026, per band a vector over its single ages summing to 1.

    0-17 and 18-64: even (an assumption; no single-age data below 65 is in the sources).
    65-79 and 80+: the national 2022 single ages aged four years with `survival`; 65-68 in
    2026 were 61-64 in 2022, which the source does not hold, so 2022's 65-68 stand in for them.
    """
    p22 = national["pop_2022q1"].astype(float).reindex(range(65, OLDEST + 1), fill_value=0.0)
    aged = np.zeros(OLDEST + 1)
    for age in range(65, OLDEST + 1):
        count = float(p22[age])
        for step in range(4):
            count *= s[min(age + step, OLDEST)]
        aged[min(age + 4, OLDEST)] += count
    aged[65:69] = p22.loc[65:68].to_numpy()
    out: dict[str, np.ndarray] = {}
    for band, (lo, hi) in BAND_AGES.items():
        even = band in ("pop_0_17", "pop_18_64")
        part = np.ones(hi - lo + 1) if even else aged[lo : hi + 1]
        out[band] = part / part.sum()
    return out


def eighty_plus_2026(frame: pd.DataFrame, national: pd.DataFrame) -> pd.Series:
    """Citizens 80+ on 1 January 2026 by cohort ageing of the sourced 2022 counts.

    ``frame`` (index kommunekode) holds pop_65plus_2022 and pop_80plus_2022 (DST FOLK1A
    2022K1). Those 76-79 in 2022 (the national split within 65-79) and those 80+ survive four
    years at the national rates of `survival`; migration of the old is left out (small).
    """
    s = survival(national)
    p22 = national["pop_2022q1"].astype(float)
    band_65_79 = p22.loc[65:79]
    share_76_79 = band_65_79.loc[76:79] / band_65_79.sum()
    old = p22.loc[80:]
    share_80 = old / old.sum()

    def four_years(age: int) -> float:
        return float(np.prod([s[min(age + k, OLDEST)] for k in range(4)]))

    surv_76_79 = float(sum(share_76_79[a] * four_years(a) for a in share_76_79.index))
    surv_80 = float(sum(share_80[a] * four_years(a) for a in share_80.index))
    younger = (frame["pop_65plus_2022"] - frame["pop_80plus_2022"]).clip(lower=0)
    return younger * surv_76_79 + frame["pop_80plus_2022"] * surv_80


AGE_BAND_METHOD_2026 = (
    "estimated: the municipality's 2026-01-01 population (DST FOLK1AM) times its age shares "
    "0-17 and 65+ (DST FOLK1A 2024); 80+ by cohort ageing of the 2022 counts (DST FOLK1A "
    "2022K1: the 76-79 and 80+ of 2022 surviving four years at national rates derived from "
    "FOLK1A 2019-2022); data/denmark/SOURCES.md"
)


def age_bands_2026(frame: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """Population by age band on 2026-01-01; the bands add up exactly to the population.

    ``frame``: population, pct_0_17, pct_65plus (2024 shares), pop_65plus_2022,
    pop_80plus_2022, indexed by kommunekode.
    """
    pop = frame["population"].astype(float)
    b0 = (pop * frame["pct_0_17"] / 100).round()
    b65 = (pop * frame["pct_65plus"] / 100).round()
    b80 = eighty_plus_2026(frame, national).round().clip(upper=b65)
    return pd.DataFrame(
        {
            "pop_0_17": b0,
            "pop_18_64": pop - b0 - b65,
            "pop_65_79": b65 - b80,
            "pop_80_plus": b80,
        },
        index=frame.index,
    )


@dataclass(frozen=True)
class Projection:
    """Projected citizens per municipality, year and band, with what was done to get them.

    - frame: long, columns kommunekode, year, band, value (whole citizens).
    - raw_80_plus / calibration: per year the national 80+ before calibration and the factor.
    """

    frame: pd.DataFrame
    raw_80_plus: dict[int, float]
    calibration: dict[int, float]
    method: str


def project_population(
    bands: pd.DataFrame,
    national: pd.DataFrame,
    *,
    base_year: int = PROJECTION_BASE_YEAR,
    horizon: int = PROJECTION_HORIZON,
) -> Projection:
    """Cohort ageing of each municipality's bands from base_year to horizon, calibrated.

    Each band of ``bands`` (index kommunekode, BANDS columns, the base year) is split into
    single ages by the national within-band profile (`_band_profiles`); every year each age
    survives to the next at the national rate (`survival`) and NATIONAL_BIRTHS are born,
    shared by the municipality's share of citizens 0-17. Net migration is not modelled (no
    municipal source; that of the old is small). Then each year's 80+ band is scaled by one
    national factor so that Denmark's 80+ match NATIONAL_80_PLUS at its anchor years
    (linear in between, 1 at the base year): the factor holds what the period survival rates
    of 2019-2022 do not, such as the improvement in survival the official projection assumes.
    """
    s = survival(national)
    profiles = _band_profiles(national, s)
    codes = bands.index
    ages = np.zeros((len(codes), OLDEST + 1))
    for band, (lo, hi) in BAND_AGES.items():
        ages[:, lo : hi + 1] = bands[band].to_numpy(dtype=float)[:, None] * profiles[band][None, :]
    child_share = bands["pop_0_17"].to_numpy(dtype=float)
    child_share = child_share / child_share.sum()

    raw: dict[int, np.ndarray] = {}
    for year in range(base_year, horizon + 1):
        if year > base_year:
            nxt = np.zeros_like(ages)
            survived = ages * s[None, :]
            nxt[:, 1:OLDEST] = survived[:, : OLDEST - 1]
            nxt[:, OLDEST] = survived[:, OLDEST - 1] + survived[:, OLDEST]
            nxt[:, 0] = NATIONAL_BIRTHS.value * child_share
            ages = nxt
        raw[year] = np.stack(
            [ages[:, lo : hi + 1].sum(axis=1) for lo, hi in BAND_AGES.values()], axis=1
        )

    anchors = {base_year: 1.0}
    raw_80 = {y: float(v[:, 3].sum()) for y, v in raw.items()}
    for year, target in sorted(NATIONAL_80_PLUS.items()):
        if base_year < year <= horizon:
            anchors[year] = target.value / raw_80[year]
    known = sorted(anchors)
    factors = {
        y: float(np.interp(y, known, [anchors[k] for k in known]))
        for y in range(base_year, horizon + 1)
    }
    rows = []
    for year, values in raw.items():
        scaled = values.copy()
        scaled[:, 3] *= factors[year]
        for i, band in enumerate(BANDS):
            rows.append(
                pd.DataFrame(
                    {
                        "kommunekode": codes,
                        "year": year,
                        "band": band,
                        "value": scaled[:, i].round(),
                    }
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    anchor_text = ", ".join(
        f"{y}: {raw_80[y]:,.0f} before calibration, x {factors[y]:.3f} to "
        f"{NATIONAL_80_PLUS[y].value:,.0f} "
        f"({NATIONAL_80_PLUS[y].source})"
        for y in sorted(NATIONAL_80_PLUS)
        if y in raw_80
    )
    method = (
        f"estimated: cohort ageing of the {base_year} age bands a year at a time; within-band "
        "ages even for 0-17 and 18-64 (an assumption), the national 2022 single ages for 65+ "
        "(DST FOLK1A); survival 65+ derived from DST FOLK1A 2019-2022, below 65 assumed "
        "(0.02 %, 0.1 %, 0.5 % mortality at 0-17, 18-49, 50-64); 64,000 births a year (DST "
        "projection 2024) shared by citizens 0-17; no net migration (an assumption); 80+ "
        f"calibrated to the national projection, {anchor_text}"
    )
    return Projection(frame=frame, raw_80_plus=raw_80, calibration=factors, method=method)
