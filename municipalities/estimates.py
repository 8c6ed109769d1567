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

AGE_BAND_METHOD = (
    "estimated: the municipality's 2026-01-01 population (DST FOLK1AM) times its age share "
    "(0-17 and 65+ from DST FOLK1A 2024, 80+ from 2022; data/denmark/demand_indicators.csv)"
)


def age_bands(frame: pd.DataFrame) -> pd.DataFrame:
    """Population by age band from the 2026 population and earlier age shares.

    ``frame`` is indexed by kommunekode with columns population, pct_0_17, pct_65plus,
    pct_80plus. The bands add up exactly to the population.
    """
    pop = frame["population"].astype(float)
    b0 = (pop * frame["pct_0_17"] / 100).round()
    b65 = (pop * frame["pct_65plus"] / 100).round()
    b80 = (pop * frame["pct_80plus"] / 100).round().clip(upper=b65)
    return pd.DataFrame(
        {
            "pop_0_17": b0,
            "pop_18_64": pop - b0 - b65,
            "pop_65_79": b65 - b80,
            "pop_80_plus": b80,
        },
        index=frame.index,
    )


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

    ``frame`` needs the age bands (see :func:`age_bands`), unemployment_pct,
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
