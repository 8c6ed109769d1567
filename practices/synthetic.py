"""A synthetic practice register, calibrated to published national and regional figures.

No public register of every Danish practice exists, so Klyngeplan generates one from a seed.
Every record it makes is marked synthetic. The calibration targets, with their sources
(data/denmark/gp_supply.csv and the foundation issue):

- about 3,500 capacities nationally (3,499 GPs in 2023), shared by region in proportion to
  PLO's regional GP counts 285 / 435 / 798 / 775 / 1,033 (Nordjylland, Sjælland, Midtjylland,
  Syddanmark, Hovedstaden);
- 1,700 to 1,950 practices; solo practices about 49 % nationally, about 60 % in Hovedstaden;
- listed patients adding up to the population; two thirds of practices closed to new patients
  (closed where listed patients per capacity reach 1,600);
- about 27 % of doctors aged 60 or more; Læsø without a practice (its citizens are listed in
  Frederikshavn here).

Within a region, capacities follow population, a little lower (assumption: 8 %) in
municipalities on PLO's 2019 shortage list, which is what made them shortage areas.
The generator is pure: the same seed and inputs give the same register.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NATIONAL_CAPACITIES = 3500
REGIONAL_GP_COUNTS = {1081: 285, 1085: 435, 1082: 798, 1083: 775, 1084: 1033}
SOLO_PROBABILITY = {1084: 0.59}  # Hovedstaden; see the module docstring
SOLO_PROBABILITY_ELSEWHERE = 0.425  # gives about 49 % solo nationally with Hovedstaden at 60 %
SHORTAGE_FACTOR = 0.92
SHARE_AGED_60_PLUS = 0.27
BASE_YEAR = 2026
LIST_SPREAD = 0.11  # sd of log(listed per capacity) between practices in one municipality
CLOSING_LIST_SIZE = 1600
LAESOE, FREDERIKSHAVN = 825, 813
REGION_CLINIC_PROBABILITY = 0.25  # a shortage municipality has a region-run clinic
SYNTHETIC_YDERNUMMER_START = 900001  # a range apart from real six-digit ydernumre


@dataclass(frozen=True)
class MunicipalityInput:
    kommunekode: int
    name: str
    region_code: int
    population: int
    shortage: bool


@dataclass(frozen=True)
class PracticeRow:
    ydernummer: str
    name: str
    kommunekode: int
    form: str
    open_to_new_patients: bool
    listed_patients: int
    capacities: int
    doctor_birth_years: tuple[int, ...]


def hamilton(weights: Sequence[float] | np.ndarray, total: int) -> list[int]:
    """Largest-remainder apportionment; ties go to the earlier position."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return [0] * len(w)
    quotas = w / w.sum() * total
    floors = np.floor(quotas).astype(int)
    remainder = total - int(floors.sum())
    order = np.lexsort((np.arange(len(w)), -(quotas - floors)))
    floors[order[:remainder]] += 1
    return [int(x) for x in floors]


MEAN_GROUP_SIZE = 2.75  # average capacities of a non-solo practice drawn below


def _practice_sizes(
    capacities: int, region_code: int, shortage: bool, rng: np.random.Generator
) -> list[tuple[str, int]]:
    """Split a municipality's capacities into practices.

    The number of solo practices is set from the target share rather than drawn, so the
    calibrated share holds in every region and for every seed; group sizes are drawn.
    """
    p_solo = SOLO_PROBABILITY.get(region_code, SOLO_PROBABILITY_ELSEWHERE)
    sizes: list[tuple[str, int]] = []
    left = capacities
    if shortage and left >= 3 and rng.random() < REGION_CLINIC_PROBABILITY:
        size = int(rng.integers(1, 4))
        sizes.append(("region_clinic", size))
        left -= size
    expected_practices = left / (p_solo + (1 - p_solo) * MEAN_GROUP_SIZE)
    solo = min(left, int(np.floor(p_solo * expected_practices + rng.random())))
    sizes.extend(("solo", 1) for _ in range(solo))
    left -= solo
    while left > 0:
        size = int(rng.choice([2, 3, 4, 5, 6], p=[0.55, 0.28, 0.11, 0.04, 0.02]))
        if rng.random() < 0.05:
            size = int(rng.integers(5, 9))
        size = min(size, left)
        if size == 1:
            # One capacity left over: it joins the last group rather than skewing the solo share.
            if sizes and sizes[-1][0] != "solo":
                form, last = sizes.pop()
                sizes.append((form, last + 1))
            else:
                sizes.append(("solo", 1))
            break
        sizes.append(("collaborative" if size >= 5 else "partnership", size))
        left -= size
    return [
        (
            ("collaborative" if s >= 5 else "partnership")
            if f in {"partnership", "collaborative"}
            else f,
            s,
        )
        for f, s in sizes
    ]


def generate_register(
    municipalities: Sequence[MunicipalityInput], *, seed: int
) -> list[PracticeRow]:
    rng = np.random.default_rng(seed)
    munis = sorted(municipalities, key=lambda m: m.kommunekode)
    regions = sorted(REGIONAL_GP_COUNTS)
    per_region = dict(
        zip(
            regions,
            hamilton([REGIONAL_GP_COUNTS[r] for r in regions], NATIONAL_CAPACITIES),
            strict=True,
        )
    )

    caps: dict[int, int] = {}
    for region in regions:
        members = [m for m in munis if m.region_code == region]
        noise = rng.lognormal(0.0, 0.05, size=len(members))
        weights = [
            0.0
            if m.kommunekode == LAESOE
            else m.population * (SHORTAGE_FACTOR if m.shortage else 1.0) * n
            for m, n in zip(members, noise, strict=True)
        ]
        for m, c in zip(members, hamilton(weights, per_region[region]), strict=True):
            caps[m.kommunekode] = max(c, 0 if m.kommunekode == LAESOE else 1)

    listed_population = {m.kommunekode: m.population for m in munis}
    if LAESOE in listed_population and FREDERIKSHAVN in listed_population:
        listed_population[FREDERIKSHAVN] += listed_population.pop(LAESOE)

    rows: list[PracticeRow] = []
    number = SYNTHETIC_YDERNUMMER_START
    for m in munis:
        if caps.get(m.kommunekode, 0) == 0:
            continue
        sizes = _practice_sizes(caps[m.kommunekode], m.region_code, m.shortage, rng)
        cap_arr = np.array([s for _, s in sizes], dtype=float)
        spread = rng.lognormal(0.0, LIST_SPREAD, size=len(sizes))
        listed = hamilton(cap_arr * spread, listed_population.get(m.kommunekode, 0))
        for i, ((form, size), patients) in enumerate(zip(sizes, listed, strict=True), start=1):
            rows.append(
                PracticeRow(
                    ydernummer=str(number),
                    name=f"Lægepraksis {m.name} {i}",
                    kommunekode=m.kommunekode,
                    form=form,
                    open_to_new_patients=patients / size < CLOSING_LIST_SIZE,
                    listed_patients=patients,
                    capacities=size,
                    doctor_birth_years=(),
                )
            )
            number += 1

    # Ages: exactly the calibrated share aged 60+, the rest 32-59, shuffled across doctors.
    n_doctors = sum(r.capacities for r in rows)
    n_old = round(SHARE_AGED_60_PLUS * n_doctors)
    ages = np.concatenate(
        [rng.integers(60, 71, size=n_old), rng.integers(32, 60, size=n_doctors - n_old)]
    )
    rng.shuffle(ages)
    out: list[PracticeRow] = []
    start = 0
    for r in rows:
        years = tuple(int(BASE_YEAR - a) for a in ages[start : start + r.capacities])
        start += r.capacities
        out.append(PracticeRow(**{**r.__dict__, "doctor_birth_years": tuple(sorted(years))}))
    return out
