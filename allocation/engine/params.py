"""Scenario parameters: one typed, frozen, validated and serialisable object.

Every default carries a one-line reason. Values marked ESTIMATED come from national figures
in data/denmark/national_rates.csv; values marked ASSUMED are scenario choices for the
negotiators to change, not facts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

AGE_BANDS: tuple[str, ...] = ("pop_0_17", "pop_18_64", "pop_65_79", "pop_80_plus")
TRANSITION_DRIVERS: tuple[str, ...] = (
    "chronic",
    "multimorbid",
    "nursing_home_places",
    "residential_residents",
    "psychiatric",
    "pop_80_plus",
)
ACCESSIBILITY_DRIVERS: tuple[str, ...] = ("vulnerable", "multimorbid", "far_from_practice")
PILLARS: tuple[str, ...] = ("transition", "coverage", "accessibility")
COVERAGE_METHODS: tuple[str, ...] = ("minmax", "deficit", "proportional-new")
# Coverage methods renamed since runs were stored: a run keeps the parameters it ran with,
# so reading one maps the old name to the method it named. "national-model" split only the
# coverage pillar's new capacities in proportion to W, never the whole stock the statutory
# model distributes (that is the statutory reference, engine/statutory.py).
RENAMED_COVERAGE_METHODS: Mapping[str, str] = MappingProxyType(
    {"national-model": "proportional-new"}
)
# When a practice may close to new patients (docs/model.md#the-open-share): "need-based", a
# minimum list per capacity of list_norm scaled by the municipality's need per citizen (the
# national model since 1 July 2025), or "flat", list_norm patients per capacity everywhere.
OPEN_THRESHOLDS: tuple[str, ...] = ("need-based", "flat")
PROPORTIONAL_METHODS: tuple[str, ...] = ("sainte-lague", "hamilton", "dhondt")

# ESTIMATED from national_rates.csv (KL 2015, GP contacts by age, 2014): the under-65 have
# 0.83 times the average number of consultations, the 65+ 1.78 times and the 80+ 2.38
# times. 65-79 is solved from the 65+ average with the 80+ about 27 % of the 65+:
# (1.78 - 0.27 * 2.38) / 0.73 = 1.56.
DEFAULT_AGE_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"pop_0_17": 0.83, "pop_18_64": 0.83, "pop_65_79": 1.56, "pop_80_plus": 2.38}
)
# Equal driver weights: the KL/PLO proposal lists the drivers of each pillar without ranking
# them (ASSUMED until negotiated).
DEFAULT_TRANSITION_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {d: 1.0 for d in TRANSITION_DRIVERS}
)
DEFAULT_ACCESSIBILITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {d: 1.0 for d in ACCESSIBILITY_DRIVERS}
)

# How each count is carried from the base year to the horizon (docs/model.md#need-at-the-horizon).
# The age bands come from the population projection itself. Every other count is multiplied
# by the growth of its age-expected value: the projected bands times the band rates below,
# at the horizon over the base year. So the drivers that follow age move with the bands.
# - chronic: the national band rates of the estimate, 3 / 13 / 38 / 45 % (SSI 2015: 20 % of
#   adults, 45 % of those 85+; municipalities/estimates.py).
# - multimorbid: the chronic rates times the multimorbid share of the chronically ill, 15 %
#   under 65 and 25 % over (SSI 2015).
# - nursing-home places: 1.3 % of 65-79 and 10.6 % of 80+ (Ældre Sagen 2020): they follow
#   the old, above all the 80+.
# - residential-facility residents: with the citizens 18-64 (adults in botilbud).
# - socially vulnerable citizens: with the adults (18+).
# - psychiatric illness and citizens far from an open practice: with the whole population
#   (ASSUMED: no age profile is sourced for either).
# - citizens 80+ (a transition driver): the projected band itself.
CARRY_FORWARD: Mapping[str, tuple[float, float, float, float]] = MappingProxyType(
    {
        "population": (1.0, 1.0, 1.0, 1.0),
        "pop_0_17": (1.0, 0.0, 0.0, 0.0),
        "pop_18_64": (0.0, 1.0, 0.0, 0.0),
        "pop_65_79": (0.0, 0.0, 1.0, 0.0),
        "pop_80_plus": (0.0, 0.0, 0.0, 1.0),
        "chronic": (0.03, 0.13, 0.38, 0.45),
        "multimorbid": (0.03 * 0.15, 0.13 * 0.15, 0.38 * 0.25, 0.45 * 0.25),
        "nursing_home_places": (0.0, 0.0, 0.013, 0.106),
        "residential_residents": (0.0, 1.0, 0.0, 0.0),
        "vulnerable": (0.0, 1.0, 1.0, 1.0),
        "psychiatric": (1.0, 1.0, 1.0, 1.0),
        "far_from_practice": (1.0, 1.0, 1.0, 1.0),
    }
)

# How much of a new capacity of each pillar relieves the patient lists, 0..1
# (docs/model.md#list-relief). Coverage 1: its capacities are there to take listed patients.
# Transition 0: the KL/PLO proposal gives the 700 the new tasks moved from hospitals and
# nursing homes (chronic care, nursing-home doctors, psychiatry), work that is not on the
# lists today. Accessibility 0: the 200 pay for longer consultations for vulnerable and
# multimorbid patients, the same patients for longer. Neither shortens lists one for one;
# the proposal names no share that does (ASSUMED 0 until a source says otherwise).
DEFAULT_LIST_RELIEF: Mapping[str, float] = MappingProxyType(
    {"transition": 0.0, "coverage": 1.0, "accessibility": 0.0}
)
# The statutory model's geography: since 1 July 2025 the capacities are distributed over the
# regions' planning areas in proportion to disease-weighted citizens, and from 2027 over the
# 17 health councils (sundhedsråd) of the health reform.
DEFAULT_STATUTORY_GEOGRAPHY = "sundhedsraad-2027"

# New specialists in general practice a year who take up a capacity, 2026-2035
# (data/denmark/SOURCES.md, "The GP training pipeline"): 350 hoveduddannelsesforløb
# dimensioned for 2020 (ism.dk 2019) x 81 % filled (2018, same source) x 90 % who take up a
# capacity in practice rather than a post elsewhere (ASSUMED) = 255.
DEFAULT_TRAINING_PER_YEAR = 255


class ParamsError(ValueError):
    """An invalid parameter; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def even_pipeline(total: int, years: int) -> tuple[int, ...]:
    """`total` spread over `years` as evenly as possible; odd capacities go to the later
    years, because the training pipeline grows over time."""
    base, extra = divmod(total, years)
    return tuple(base + (1 if i >= years - extra else 0) for i in range(years))


@dataclass(frozen=True)
class AllocationParams:
    """Scenario parameters of the allocation engine (docs/model.md#parameters)."""

    # The KL/PLO proposal: 1,500 extra capacities toward 2035, split 700 / 600 / 200.
    total: int = 1500
    transition: int = 700
    coverage: int = 600
    accessibility: int = 200
    # The agreement runs from 2026; the capacities are to be in place by 2035.
    base_year: int = 2026
    horizon: int = 2035
    # Capacities that become available each year, base_year..horizon. Empty means an even
    # spread (150 a year by default): no year-by-year training figure is published.
    pipeline: tuple[int, ...] = ()
    # Weights per citizen by age band (ESTIMATED, see DEFAULT_AGE_WEIGHTS).
    age_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_AGE_WEIGHTS))
    # The age weights are the contacts of everyone in a band, the chronically ill,
    # multimorbid and vulnerable included. So each extra weight below applies only to the
    # count above what the municipality's age mix implies (its excess over the age-expected
    # count, engine/demand.age_expected; docs/model.md#disease-weighted-citizens), and age
    # is counted once. The age-expected count uses the band rates of CARRY_FORWARD scaled to
    # the national total (ASSUMED: the chronically ill, multimorbid and vulnerable of each
    # municipality have the national age profile; no municipal count by age exists).
    # Extra contacts of a citizen with a chronic disease beyond those of their age band.
    # ASSUMED: half an average citizen's contacts again (no Danish source gives the
    # chronically ill's contacts relative to their age band).
    chronic_weight: float = 0.5
    # Extra contacts of a multimorbid citizen beyond the chronic weight (multimorbid
    # citizens are also chronic). ASSUMED: one average citizen's contacts again.
    multimorbid_weight: float = 1.0
    # Extra contacts of a socially vulnerable citizen beyond their age band. ASSUMED: half
    # again.
    vulnerable_weight: float = 0.5
    # The weights are relative: scale W so that Denmark's weighted citizens add up to its
    # citizens. Then W per capacity is comparable with list_norm, a count of patients.
    normalise_weighted_citizens: bool = True
    # Retirement age of GPs (the ordinary age of retirement from practice; ASSUMED). A doctor
    # already past it in the base year retires in the base year.
    retirement_age: int = 65
    # Share of retiring capacities that are replaced (docs/model.md#supply-at-the-horizon).
    # ASSUMED 0.7: the same training pipeline must also give the 1,500, and at
    # DEFAULT_TRAINING_PER_YEAR it cannot replace every retiring capacity as well (the
    # shortfall in the metrics); no published figure.
    replacement_share: float = 0.7
    # New specialists in general practice a year who take up a capacity, base_year..horizon
    # (docs/model.md#the-training-pipeline). Empty: DEFAULT_TRAINING_PER_YEAR every year.
    training_pipeline: tuple[int, ...] = ()
    # The pipeline binds the phase-in: by every year, the new capacities placed so far are at
    # most what the pipeline has given so far after replacing the retired capacities. False
    # places `pipeline` as it is and reports the years that overrun.
    pipeline_binding: bool = True
    # Recruitment limit per municipality and year in the coverage step
    # (docs/model.md#caps-and-floors): ceil(recruitment_rate x capacities today), at least
    # recruitment_min so that a municipality without practices can still get one. ASSUMED:
    # general practice in a municipality can grow by about a twentieth a year. 0 switches the
    # rule off (then only `caps` limit).
    recruitment_rate: float = 0.05
    recruitment_min: int = 1
    # Disease-weighted citizens per capacity regarded as a full list: a practice may close
    # to new patients at 1,600 (docs/model.md#sources).
    list_norm: float = 1600.0
    # Driver weights; normalised to sum to 1 (see DEFAULT_*_WEIGHTS).
    transition_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_TRANSITION_WEIGHTS)
    )
    accessibility_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_ACCESSIBILITY_WEIGHTS)
    )
    # Min-max water-filling minimises the largest load (docs/model.md#coverage).
    coverage_method: str = "minmax"
    # Sainte-Laguë: unbiased between large and small municipalities, and house-monotone.
    transition_method: str = "sainte-lague"
    accessibility_method: str = "sainte-lague"
    # kommunekode -> most new coverage capacities a municipality can recruit per year; the
    # cap over the period is cap x years. Overrides the recruitment rule for that
    # municipality; none by default.
    caps: Mapping[int, int] = field(default_factory=dict)
    # area slug (of `geography`) -> least new capacities, all pillars together. None by
    # default.
    floors: Mapping[str, int] = field(default_factory=dict)
    # The 21 health clusters are the default planning geography.
    geography: str = "sundhedsklynger-21"
    # pillar -> share of its new capacities that relieves the lists (DEFAULT_LIST_RELIEF).
    # The loads after, the metrics after and the coverage pillar's water-filling use the
    # effective list capacity S + sum over pillars of share x new capacities.
    list_relief: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LIST_RELIEF))
    # Geography of the statutory reference (DEFAULT_STATUTORY_GEOGRAPHY): the whole stock in
    # proportion to W over its areas, and the scenario's deviation from it.
    statutory_geography: str = DEFAULT_STATUTORY_GEOGRAPHY
    # Largest practice a placement may grow (ASSUMED: few Danish practices have more than
    # eight doctors); beyond it a new ydernummer is opened.
    max_practice_capacities: float = 8.0
    # Most new capacities one existing practice takes over the period
    # (docs/model.md#placement). ASSUMED 2: a practice takes on a new partner or two in ten
    # years, so a solo practice may grow into a partnership of three but the new capacities
    # do not all pile into the few most loaded practices.
    max_practice_growth: int = 2
    # Share of a municipality's coverage capacities that open new ydernumre (the proposal's
    # national steering of where new ydernumre go), rounded half up per municipality. The
    # rest expands practices with room; where their room is used up, new ydernumre too.
    # ASSUMED 0.5: the proposal names the steering of new ydernumre as the pillar's purpose
    # but no share; half leaves the other half for practices that can grow.
    new_ydernummer_share: float = 0.5
    # Capacities a new ydernummer is filled to before the next one opens (at most
    # max_practice_capacities). ASSUMED 2: a new practice opens as a partnership of two, not
    # as an eight-doctor clinic.
    new_practice_capacities: int = 2
    # The closing threshold of the open share (OPEN_THRESHOLDS): need-based by default, the
    # rule in force since 1 July 2025; "flat" is the former 1,600 (list_norm) everywhere.
    open_threshold: str = "need-based"
    # Sensitivity: 1,000 draws keep P5/P95 stable to about one capacity (ASSUMED), a fixed
    # seed keeps runs reproducible, Dirichlet concentration 200 moves a weight of 1/6 by
    # about 16 % (sd), and 5 % lognormal noise reflects the estimated inputs.
    sensitivity_draws: int = 1000
    sensitivity_seed: int = 2035
    sensitivity_concentration: float = 200.0
    sensitivity_noise: float = 0.05

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("int", int):
                _check_int(f.name, value)
            elif f.type in ("float", float):
                set_(self, f.name, _check_float(f.name, value))
            elif f.type in ("str", str) and not isinstance(value, str):
                raise ParamsError(f.name, f"must be a string, got {value!r}")
            elif f.type in ("bool", bool) and not isinstance(value, bool):
                raise ParamsError(f.name, f"must be true or false, got {value!r}")

        if self.total <= 0:
            raise ParamsError("total", "must be positive")
        for name in PILLARS:
            if getattr(self, name) < 0:
                raise ParamsError(name, "must not be negative")
        pillar_sum = self.transition + self.coverage + self.accessibility
        if pillar_sum != self.total:
            raise ParamsError(
                "total",
                f"transition + coverage + accessibility = {pillar_sum}, not {self.total}",
            )
        if not 2000 <= self.base_year <= 2100:
            raise ParamsError("base_year", "must be a year between 2000 and 2100")
        if not self.base_year <= self.horizon <= self.base_year + 50:
            raise ParamsError("horizon", "must be from base_year to 50 years after it")

        set_(self, "pipeline", self._validated_pipeline())
        set_(self, "age_weights", _weights("age_weights", self.age_weights, AGE_BANDS, False))
        for name in ("chronic_weight", "multimorbid_weight", "vulnerable_weight"):
            if getattr(self, name) < 0:
                raise ParamsError(name, "must not be negative")
        if not any(self.age_weights.values()):
            raise ParamsError("age_weights", "at least one age weight must be positive")

        if not 40 <= self.retirement_age <= 90:
            raise ParamsError("retirement_age", "must be between 40 and 90")
        if not 0.0 <= self.replacement_share <= 1.0:
            raise ParamsError("replacement_share", "must be between 0 and 1")
        set_(self, "training_pipeline", self._validated_training())
        if not 0.0 <= self.recruitment_rate <= 10.0:
            raise ParamsError("recruitment_rate", "must be between 0 and 10")
        if self.recruitment_min < 0:
            raise ParamsError("recruitment_min", "must not be negative")
        if self.list_norm <= 0:
            raise ParamsError("list_norm", "must be positive")
        set_(
            self,
            "transition_weights",
            _weights("transition_weights", self.transition_weights, TRANSITION_DRIVERS, True),
        )
        set_(
            self,
            "accessibility_weights",
            _weights(
                "accessibility_weights", self.accessibility_weights, ACCESSIBILITY_DRIVERS, True
            ),
        )
        _choice("coverage_method", self.coverage_method, COVERAGE_METHODS)
        _choice("transition_method", self.transition_method, PROPORTIONAL_METHODS)
        _choice("accessibility_method", self.accessibility_method, PROPORTIONAL_METHODS)
        set_(self, "caps", _caps(self.caps))
        set_(self, "floors", _floors(self.floors))
        if not self.geography:
            raise ParamsError("geography", "must not be empty")
        set_(self, "list_relief", _list_relief(self.list_relief))
        if not self.statutory_geography:
            raise ParamsError("statutory_geography", "must not be empty")
        if self.max_practice_capacities < 1:
            raise ParamsError("max_practice_capacities", "must be at least 1")
        if self.max_practice_growth < 0:
            raise ParamsError("max_practice_growth", "must not be negative")
        if not 0.0 <= self.new_ydernummer_share <= 1.0:
            raise ParamsError("new_ydernummer_share", "must be between 0 and 1")
        if self.new_practice_capacities < 1:
            raise ParamsError("new_practice_capacities", "must be at least 1")
        _choice("open_threshold", self.open_threshold, OPEN_THRESHOLDS)
        if not 1 <= self.sensitivity_draws <= 1_000_000:
            raise ParamsError("sensitivity_draws", "must be between 1 and 1,000,000")
        if self.sensitivity_seed < 0:
            raise ParamsError("sensitivity_seed", "must not be negative")
        if self.sensitivity_concentration <= 0:
            raise ParamsError("sensitivity_concentration", "must be positive")
        if not 0 <= self.sensitivity_noise <= 1:
            raise ParamsError("sensitivity_noise", "must be between 0 and 1")

    def _validated_pipeline(self) -> tuple[int, ...]:
        years = self.horizon - self.base_year + 1
        if isinstance(self.pipeline, str | bytes) or not isinstance(self.pipeline, tuple | list):
            raise ParamsError("pipeline", "must be a list of whole capacities per year")
        if len(self.pipeline) == 0:
            return even_pipeline(self.total, years)
        for value in self.pipeline:
            _check_int("pipeline", value)
            if value < 0:
                raise ParamsError("pipeline", "capacities per year must not be negative")
        if len(self.pipeline) != years:
            raise ParamsError(
                "pipeline",
                f"needs {years} values ({self.base_year}-{self.horizon}), got {len(self.pipeline)}",
            )
        if sum(self.pipeline) != self.total:
            raise ParamsError(
                "pipeline", f"sums to {sum(self.pipeline)}, not the total {self.total}"
            )
        return tuple(int(x) for x in self.pipeline)

    def _validated_training(self) -> tuple[int, ...]:
        years = self.horizon - self.base_year + 1
        value = self.training_pipeline
        if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
            raise ParamsError("training_pipeline", "must be a list of whole specialists per year")
        if len(value) == 0:
            return (DEFAULT_TRAINING_PER_YEAR,) * years
        for x in value:
            _check_int("training_pipeline", x)
            if x < 0:
                raise ParamsError("training_pipeline", "specialists per year must not be negative")
        if len(value) != years:
            raise ParamsError(
                "training_pipeline",
                f"needs {years} values ({self.base_year}-{self.horizon}), got {len(value)}",
            )
        return tuple(int(x) for x in value)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.base_year, self.horizon + 1))

    @property
    def pillar_totals(self) -> dict[str, int]:
        return {p: int(getattr(self, p)) for p in PILLARS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; `from_dict(p.to_dict()) == p`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("pipeline", "training_pipeline"):
                value = list(value)
            elif f.name == "caps":
                value = {str(k): v for k, v in sorted(value.items())}
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AllocationParams:
        """Build from a dict; missing keys take their defaults, unknown keys are an error."""
        if not isinstance(data, Mapping):
            raise ParamsError("params", "must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(unknown[0], "is not a parameter")
        kwargs = dict(data)
        method = kwargs.get("coverage_method")
        if isinstance(method, str) and method in RENAMED_COVERAGE_METHODS:
            kwargs["coverage_method"] = RENAMED_COVERAGE_METHODS[method]
        for name in ("pipeline", "training_pipeline"):
            if name in kwargs and isinstance(kwargs[name], list):
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def with_changes(self, **changes: Any) -> AllocationParams:
        """A copy with some fields changed, validated again."""
        return replace(self, **changes)


def _check_int(name: str, value: Any, what: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(name, f"{what}must be a whole number, got {value!r}")


def _check_float(name: str, value: Any, what: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamsError(name, f"{what}must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ParamsError(name, f"{what}must be finite")
    return float(value)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ParamsError(name, f"must be one of {', '.join(allowed)}; got {value!r}")


def _weights(name: str, value: Any, keys: tuple[str, ...], normalise: bool) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise ParamsError(name, "must be a mapping")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise ParamsError(name, f"unknown key {unknown[0]!r}; expected {', '.join(keys)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise ParamsError(name, f"missing {', '.join(missing)}")
    out = {k: _check_float(name, value[k], f"{k} ") for k in keys}
    for k, w in out.items():
        if w < 0:
            raise ParamsError(name, f"{k} must not be negative")
    if normalise:
        total = sum(out.values())
        if total <= 0:
            raise ParamsError(name, "at least one weight must be positive")
        if abs(total - 1.0) > 1e-12:  # idempotent, so that to_dict/from_dict round-trips
            out = {k: w / total for k, w in out.items()}
    return MappingProxyType(out)


def _caps(value: Any) -> Mapping[int, int]:
    if not isinstance(value, Mapping):
        raise ParamsError("caps", "must be a mapping kommunekode -> capacities per year")
    out: dict[int, int] = {}
    for key, cap in value.items():
        try:
            code = int(key)
        except (TypeError, ValueError):
            raise ParamsError("caps", f"key {key!r} is not a kommunekode") from None
        if isinstance(key, bool) or code <= 0 or str(code) != str(key).strip():
            raise ParamsError("caps", f"key {key!r} is not a kommunekode")
        _check_int("caps", cap, f"cap for {code} ")
        if cap < 0:
            raise ParamsError("caps", f"cap for {code} must not be negative")
        out[code] = int(cap)
    return MappingProxyType(dict(sorted(out.items())))


def _floors(value: Any) -> Mapping[str, int]:
    if not isinstance(value, Mapping):
        raise ParamsError("floors", "must be a mapping area -> capacities")
    out: dict[str, int] = {}
    for key, floor in value.items():
        if not isinstance(key, str) or not key:
            raise ParamsError("floors", f"key {key!r} is not an area slug")
        _check_int("floors", floor, f"floor for {key} ")
        if floor < 0:
            raise ParamsError("floors", f"floor for {key} must not be negative")
        out[key] = int(floor)
    return MappingProxyType(dict(sorted(out.items())))


def _list_relief(value: Any) -> Mapping[str, float]:
    """pillar -> share in [0, 1]; a pillar left out keeps its default."""
    if not isinstance(value, Mapping):
        raise ParamsError("list_relief", "must be a mapping pillar -> share")
    unknown = sorted(set(value) - set(PILLARS))
    if unknown:
        raise ParamsError(
            "list_relief", f"unknown pillar {unknown[0]!r}; expected {', '.join(PILLARS)}"
        )
    out = dict(DEFAULT_LIST_RELIEF)
    for pillar, share in value.items():
        out[pillar] = _check_float("list_relief", share, f"{pillar} ")
        if not 0.0 <= out[pillar] <= 1.0:
            raise ParamsError("list_relief", f"{pillar} must be between 0 and 1")
    return MappingProxyType({p: out[p] for p in PILLARS})
