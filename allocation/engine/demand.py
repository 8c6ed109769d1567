"""Demand and supply per municipality: disease-weighted citizens W at the base year and the
horizon, supply at the horizon S, and the driver indices of the proportional pillars
(docs/model.md#disease-weighted-citizens, #need-at-the-horizon, #supply-at-the-horizon, #load,
#transition).

Functions take arrays with a leading axis of draws (R) so that the sensitivity analysis runs
the same arithmetic as the base run (R = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .apportion import FloatArray
from .inputs import EngineInputs
from .params import AGE_BANDS, CARRY_FORWARD, AllocationParams, ParamsError

# Columns of the weighted-citizens feature matrix, in the order of `w_weights`.
W_FEATURES: tuple[str, ...] = (*AGE_BANDS, "chronic", "multimorbid", "vulnerable")
# The counts whose weight is an excess over what the age weights already hold
# (docs/model.md#disease-weighted-citizens): every column of W_FEATURES after the age bands.
EXCESS_FEATURES: tuple[str, ...] = W_FEATURES[len(AGE_BANDS) :]


def w_features(inputs: EngineInputs) -> FloatArray:
    """(M, 7) counts whose weighted sum is W."""
    return inputs.matrix(W_FEATURES)


def growth(
    inputs: EngineInputs,
    params: AllocationParams,
    columns: tuple[str, ...],
    year: int | None = None,
) -> FloatArray:
    """(M, len(columns)) factors that carry each count from the base year to the horizon
    (or to `year`, which the projection must then give).

    Each column's age-expected value (the projected bands times its CARRY_FORWARD rates) at
    the horizon over the same at the base year; 1 where the base is zero. Without a
    projection every factor is 1 (the population is held at the base year). The factors
    depend on the projection only, so a perturbed or imported base count moves with them.
    """
    n = len(inputs.municipalities)
    if not inputs.projection_years:
        return np.ones((n, len(columns)))
    target = params.horizon if year is None else year
    base, horizon = (inputs.projected_bands(y) for y in (params.base_year, target))
    for y, bands in ((params.base_year, base), (target, horizon)):
        if bands is None:
            raise ParamsError(
                "horizon",
                f"the population projection has no {y}; it covers "
                f"{', '.join(str(y) for y in inputs.projection_years)}",
            )
    assert base is not None and horizon is not None
    rates = np.array([CARRY_FORWARD[c] for c in columns], dtype=np.float64).T  # (4, C)
    expected_base, expected_horizon = base @ rates, horizon @ rates
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected_base > 0, expected_horizon / expected_base, 1.0)


def at_horizon(
    inputs: EngineInputs, params: AllocationParams, columns: tuple[str, ...]
) -> FloatArray:
    """(M, len(columns)) municipal counts carried to the horizon (see `growth`)."""
    return inputs.matrix(columns) * growth(inputs, params, columns)


def age_expected(features_base: FloatArray, features_horizon: FloatArray) -> Expected:
    """The age-expected count of each EXCESS_FEATURES column, at both ends; features are
    (R, M, F) or (M, F) in W_FEATURES order.

    The age weights are GP contacts per citizen of each band, the chronically ill,
    multimorbid and vulnerable of the band included. So only the part of a count above what
    the municipality's age mix implies earns the extra weight. The expected count is
    ``k × Σ_band rate[band] × citizens[band]``: the band rates of CARRY_FORWARD give the age
    profile (the estimate's, SSI 2015), and ``k`` (per draw and column) scales them so that
    Denmark's expected count equals its counted total in the base year (ASSUMED: the
    chronically ill's age mix is the national one; no municipal count by age exists). The
    horizon keeps the base year's ``k``, so an ageing population expects more.
    """
    fb = features_base if features_base.ndim == 3 else features_base[None, :, :]
    fh = features_horizon if features_horizon.ndim == 3 else features_horizon[None, :, :]
    n_age = len(AGE_BANDS)
    profile = np.array([CARRY_FORWARD[c] for c in EXCESS_FEATURES], dtype=np.float64).T  # (4, E)
    profile_base = np.einsum("rmb,be->rme", fb[:, :, :n_age], profile)
    profile_horizon = np.einsum("rmb,be->rme", fh[:, :, :n_age], profile)
    counted = fb[:, :, n_age:].sum(axis=1)  # (R, E)
    implied = profile_base.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(implied > 0, counted / implied, 0.0)
    return Expected(
        base=profile_base * k[:, None, :], horizon=profile_horizon * k[:, None, :], factor=k
    )


@dataclass(frozen=True)
class Expected:
    """Age-expected counts of EXCESS_FEATURES: (R, M, E) at both ends, and the national
    factor k (R, E) on the CARRY_FORWARD band rates."""

    base: FloatArray
    horizon: FloatArray
    factor: FloatArray


def excess_features(features: FloatArray, expected: FloatArray) -> FloatArray:
    """Features with each EXCESS_FEATURES count replaced by its excess over the age-expected
    count (negative where a municipality has fewer than its age mix implies)."""
    f = features if features.ndim == 3 else features[None, :, :]
    n_age = len(AGE_BANDS)
    return np.concatenate([f[:, :, :n_age], f[:, :, n_age:] - expected], axis=2)


@dataclass(frozen=True)
class Need:
    """W at both ends, on one scale: W at the base year sums to the base population, and the
    horizon's W keeps that scale (not renormalised), so ageing shows as load."""

    base: FloatArray  # (R, M)
    horizon: FloatArray  # (R, M)
    scale: FloatArray  # (R,) the factor applied to the raw weighted sums
    expected: Expected  # the age-expected counts the extra weights are measured against


def need(
    features_base: FloatArray,
    features_horizon: FloatArray,
    weights: FloatArray,
    population: FloatArray | None,
) -> Need:
    """W of both years; features (R, M, F) or (M, F) are counts in W_FEATURES order, weights
    (R, F) or (F,).

    The age weights apply to the bands, the extra weights to the excess of their counts over
    the age-expected ones (`age_expected`), so age is counted once. With `population` (base
    year) the scale is Σ population / Σ raw W of the base year, per draw; without it the
    scale is 1.
    """
    expected = age_expected(features_base, features_horizon)
    raw_base = weighted_citizens(excess_features(features_base, expected.base), weights)
    raw_horizon = weighted_citizens(excess_features(features_horizon, expected.horizon), weights)
    scale = (
        w_scale(raw_base, population)
        if population is not None
        else np.ones(raw_base.shape[0], dtype=np.float64)
    )
    return Need(raw_base * scale[:, None], raw_horizon * scale[:, None], scale, expected)


def w_weights(params: AllocationParams) -> FloatArray:
    """Weights matching W_FEATURES: age weight per citizen, then the extra weights."""
    return np.array(
        [
            *(params.age_weights[b] for b in AGE_BANDS),
            params.chronic_weight,
            params.multimorbid_weight,
            params.vulnerable_weight,
        ],
        dtype=np.float64,
    )


def weighted_citizens(
    features: FloatArray, weights: FloatArray, population: FloatArray | None = None
) -> FloatArray:
    """W for every draw: features (R, M, F) or (M, F), weights (R, F) or (F,) -> (R, M).

    With `population` ((R, M) or (M,)), each draw is scaled so that its weighted citizens
    add up to its citizens (see `w_scale`).
    """
    f = features if features.ndim == 3 else features[None, :, :]
    w = weights if weights.ndim == 2 else weights[None, :]
    # An excess below the age-expected count lowers W; weights that imply fewer than no
    # contacts for some citizens (an extra weight above its band's age weight) stop at zero.
    raw = np.maximum(np.asarray(np.einsum("rmf,rf->rm", f, w), dtype=np.float64), 0.0)
    if population is None:
        return raw
    return raw * w_scale(raw, population)[:, None]


def w_scale(raw: FloatArray, population: FloatArray) -> FloatArray:
    """Per draw, Σ population / Σ raw W (1 where there is no weighted citizen at all)."""
    pop = population if population.ndim == 2 else population[None, :]
    total = raw.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, pop.sum(axis=1) / total, 1.0)


def driver_shares(values: FloatArray) -> FloatArray:
    """Each municipality's share of the national total per driver; (R, M, D) or (M, D).

    A driver with a national total of zero has no shares (all zero) rather than NaN.
    """
    total = values.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, values / total, 0.0)


def driver_index(values: FloatArray, weights: FloatArray, pillar: str) -> FloatArray:
    """Weighted sum of driver shares, (R, M); sums to 1 in every draw.

    Drivers whose national total is zero drop out and the remaining weights are scaled up,
    so the index still sums to 1; if no weighted driver has any value it is an error.
    """
    x = values if values.ndim == 3 else values[None, :, :]
    w = weights if weights.ndim == 2 else weights[None, :]
    shares = driver_shares(x)
    present = x.sum(axis=1) > 0  # (R, D)
    w_eff = np.where(present, w, 0.0)
    norm = w_eff.sum(axis=1, keepdims=True)
    if (norm <= 0).any():
        raise ValueError(f"{pillar}: every weighted driver is zero in all municipalities")
    return np.asarray(np.einsum("rmd,rd->rm", shares, w_eff / norm), dtype=np.float64)


@dataclass(frozen=True)
class Supply:
    """Capacities today and at the horizon, per practice and per municipality.

    A doctor retires by the horizon when birth_year + retirement_age <= horizon; the
    replaced share of the retiring FTE stays (ordinary recruitment), the rest leaves.
    A practice cannot lose more than its capacities.
    """

    practice_today: FloatArray  # (P,) in inputs.practices order
    practice_horizon: FloatArray  # (P,)
    practice_municipality: np.ndarray  # (P,) position of the practice's municipality
    today: FloatArray  # (M,)
    retiring: FloatArray  # (M,) retiring FTE before replacement
    replaced: FloatArray  # (M,) the replaced part of it
    horizon: FloatArray  # (M,) S
    retiring_by_year: FloatArray  # (Y,) national retiring FTE in each year of params.years


def supply(inputs: EngineInputs, params: AllocationParams, year: int | None = None) -> Supply:
    """Supply at the horizon, or at `year` (base_year..horizon: the doctors retiring by then
    have left, less the replaced share)."""
    end = params.horizon if year is None else year
    practices = inputs.practices
    doctors = inputs.doctors
    n_m = len(inputs.municipalities)
    pos = inputs.practice_municipality
    today = practices["capacities"].to_numpy(dtype=np.float64)

    # A doctor already past the retirement age in the base year retires in the base year.
    retire_year = np.maximum(
        doctors["birth_year"].to_numpy() + params.retirement_age, params.base_year
    )
    retiring_doc = retire_year <= end
    fte = doctors["fte"].to_numpy(dtype=np.float64)
    by_year = np.bincount(
        (retire_year[retiring_doc] - params.base_year).astype(np.int64),
        weights=fte[retiring_doc],
        minlength=len(params.years),
    )
    retiring_p = _sum_by(
        doctors["practice"].to_numpy(), np.where(retiring_doc, fte, 0.0), len(practices)
    )
    leaving = np.minimum((1.0 - params.replacement_share) * retiring_p, today)
    horizon_p = today - leaving
    today_m = _sum_by(pos, today, n_m)
    retiring_m = _sum_by(pos, retiring_p, n_m)
    horizon_m = _sum_by(pos, horizon_p, n_m)
    return Supply(
        practice_today=today,
        practice_horizon=horizon_p,
        practice_municipality=pos,
        today=today_m,
        retiring=retiring_m,
        replaced=retiring_m - (today_m - horizon_m),
        horizon=horizon_m,
        retiring_by_year=np.asarray(by_year, dtype=np.float64),
    )


def _sum_by(position: np.ndarray, values: FloatArray, n: int) -> FloatArray:
    return np.asarray(np.bincount(position, weights=values, minlength=n), dtype=np.float64)


def load(weighted: FloatArray, supply_: FloatArray) -> FloatArray:
    """Weighted citizens per capacity; inf where there is demand but no supply, 0 where
    there is neither."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = weighted / supply_
    return np.where(supply_ > 0, out, np.where(weighted > 0, np.inf, 0.0))
