"""Is a demand value plausible? One set of rules for every path that writes or reads them.

The upload pages and the import commands check a file's values here before anything is
written, and :func:`allocation.selectors.build_engine_inputs` checks the values a run will
compute on, so that no path can feed the engine an absurd number (1e308 chronically ill
citizens in København, 100,000 citizens in each of Læsø's age bands).

An **error** is impossible data and refuses the file (or the run's inputs). A **warning** is
data that may be right but looks wrong; an import is refused until someone confirms it.

- a count of citizens or places larger than the municipality's population: error;
- the four age bands of the population's own year adding up to more than
  :data:`AGE_BAND_TOLERANCE` away from the population: error;
- a driver above its plausible share of the population (:data:`PLAUSIBLE_SHARE`): warning;
- multimorbid citizens (two or more chronic diseases) above citizens with a chronic disease:
  error, since the first are a subset of the second; a warning when either value is a
  shipped estimate, because the estimates (municipalities.estimates) count the two from
  different national rates and today exceed it in every municipality;
- a value more than :data:`CHANGE_FACTOR` times, or under a :data:`CHANGE_FACTOR`-th of, the
  value it replaces (or the latest earlier year's): warning;
- a year after today's: a projection, not today's data (runs read the latest value up to
  today's year): warning;
- a percentage above 100, or a shortage flag other than 0 or 1: error.

A shipped estimate (status estimated, not imported by a planner) that breaks an error rule
is reported as a warning: the reference data must load, and a later estimate fixes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.models import Indicator


class Severity(models.TextChoices):
    ERROR = "error", _("error")
    WARNING = "warning", _("warning")


AGE_BANDS: tuple[str, ...] = (
    Indicator.POP_0_17,
    Indicator.POP_18_64,
    Indicator.POP_65_79,
    Indicator.POP_80_PLUS,
)
# Counts of a municipality's citizens (or of places for them): none can exceed its population.
COUNT_INDICATORS: frozenset[str] = frozenset(
    {
        *AGE_BANDS,
        Indicator.CHRONIC,
        Indicator.MULTIMORBID,
        Indicator.NURSING_HOME_PLACES,
        Indicator.RESIDENTIAL_RESIDENTS,
        Indicator.PSYCHIATRIC,
        Indicator.VULNERABLE,
        Indicator.FAR_FROM_PRACTICE,
        Indicator.SOCIAL_ASSISTANCE_RECIPIENTS,
    }
)
PERCENT_INDICATORS: frozenset[str] = frozenset(
    {
        Indicator.UNEMPLOYMENT_PCT,
        Indicator.HIGHER_EDUCATION_PCT,
        Indicator.IMMIGRANT_DESCENDANT_PCT,
        Indicator.ONE_PERSON_HOUSEHOLDS_PCT,
    }
)
FLAG_INDICATORS: frozenset[str] = frozenset({Indicator.SHORTAGE_PLO_2019})
AGE_BAND_TOLERANCE = 0.02
CHANGE_FACTOR = 3.0
# The largest plausible share of a municipality's population for each driver. They catch
# typing errors (an extra digit, a thousands separator read as a decimal), not unusual
# municipalities: each is at least one and a half times the highest municipal share in
# Denmark's 2026 data (DST FOLK1AM age bands; the estimated drivers of
# municipalities.estimates, whose highest shares are chronic 25 %, multimorbid 34 %,
# vulnerable 24 %, far from practice 15 %, nursing homes 1.5 %, psychiatric 2.8 %,
# residential facilities 0.5 %), rounded up.
PLAUSIBLE_SHARE: Mapping[str, float] = {
    Indicator.POP_0_17: 0.40,
    Indicator.POP_18_64: 0.85,
    Indicator.POP_65_79: 0.50,
    Indicator.POP_80_PLUS: 0.20,
    Indicator.CHRONIC: 0.60,
    Indicator.MULTIMORBID: 0.60,
    Indicator.NURSING_HOME_PLACES: 0.05,
    Indicator.RESIDENTIAL_RESIDENTS: 0.02,
    Indicator.PSYCHIATRIC: 0.10,
    Indicator.VULNERABLE: 0.50,
    Indicator.FAR_FROM_PRACTICE: 0.60,
    Indicator.SOCIAL_ASSISTANCE_RECIPIENTS: 0.20,
}


@dataclass(frozen=True)
class Value:
    value: float
    # A shipped estimate (not a planner's value): an impossible one is only a warning.
    estimated: bool = False


@dataclass(frozen=True)
class Finding:
    severity: str
    kommunekode: int
    year: int
    indicator: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def __str__(self) -> str:
        return f"{self.kommunekode} {self.year} {self.indicator}: {self.message}"


def _n(value: float) -> str:
    """A number in the active language's format (1.234 in Danish)."""
    places = 0 if value >= 100 or float(value).is_integer() else 2
    return str(number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True))


def _pct(share: float) -> str:
    return _n(round(share * 100, 1)) + " %"


def check(
    *,
    kommunekode: int,
    name: str,
    year: int,
    population: int,
    population_year: int,
    values: Mapping[str, Value],
    previous: Mapping[str, float] | None = None,
    changed: Collection[str] | None = None,
    today_year: int,
) -> list[Finding]:
    """The findings for one municipality and year.

    ``values`` are the indicator values that year would hold (the stored ones with the new
    ones over them); ``previous`` the values the new ones replace (or the latest earlier
    year's); ``changed`` the indicators being written, so that a rule is only reported when
    it involves one of them (None: every rule, as the engine's inputs are checked).
    """
    out: list[Finding] = []
    who = f"{kommunekode} {name}"

    def involved(*indicators: str) -> bool:
        return changed is None or any(i in changed for i in indicators)

    def add(indicator: str, impossible: bool, estimated: bool, message: str) -> None:
        severity = Severity.ERROR if impossible and not estimated else Severity.WARNING
        if impossible and estimated:
            message += " " + gettext("(a shipped estimate, so only a warning)")
        out.append(Finding(severity, kommunekode, year, indicator, message))

    for indicator, v in values.items():
        if not involved(indicator):
            continue
        if indicator in COUNT_INDICATORS:
            if v.value > population:
                add(
                    indicator,
                    True,
                    v.estimated,
                    gettext("%(value)s is more than the population of %(who)s (%(population)s)")
                    % {"value": _n(v.value), "who": who, "population": _n(population)},
                )
            elif indicator in PLAUSIBLE_SHARE and v.value > PLAUSIBLE_SHARE[indicator] * population:
                add(
                    indicator,
                    False,
                    v.estimated,
                    gettext(
                        "%(value)s is %(share)s of the population of %(who)s; more than "
                        "%(limit)s is not plausible"
                    )
                    % {
                        "value": _n(v.value),
                        "share": _pct(v.value / population),
                        "who": who,
                        "limit": _pct(PLAUSIBLE_SHARE[indicator]),
                    },
                )
        elif indicator in PERCENT_INDICATORS and v.value > 100:
            add(
                indicator,
                True,
                v.estimated,
                gettext("%(value)s %% is more than 100 %%") % {"value": _n(v.value)},
            )
        elif indicator in FLAG_INDICATORS and v.value not in (0.0, 1.0):
            add(
                indicator,
                True,
                v.estimated,
                gettext("must be 0 or 1, got %(value)s") % {"value": _n(v.value)},
            )

    bands = [values.get(b) for b in AGE_BANDS]
    if year == population_year and involved(*AGE_BANDS) and all(b is not None for b in bands):
        total = sum(b.value for b in bands if b is not None)
        if abs(total - population) > AGE_BAND_TOLERANCE * population:
            add(
                next(b for b in AGE_BANDS if changed is None or b in changed),
                True,
                any(b.estimated for b in bands if b is not None),
                gettext(
                    "the age bands add up to %(total)s, %(off)s away from the population of "
                    "%(who)s (%(population)s); at most %(limit)s is plausible"
                )
                % {
                    "total": _n(total),
                    "off": _pct(abs(total / population - 1)),
                    "who": who,
                    "population": _n(population),
                    "limit": _pct(AGE_BAND_TOLERANCE),
                },
            )

    chronic, multimorbid = values.get(Indicator.CHRONIC), values.get(Indicator.MULTIMORBID)
    if (
        chronic is not None
        and multimorbid is not None
        and multimorbid.value > chronic.value
        and involved(Indicator.CHRONIC, Indicator.MULTIMORBID)
    ):
        add(
            Indicator.MULTIMORBID
            if changed is None or Indicator.MULTIMORBID in changed
            else Indicator.CHRONIC,
            True,
            chronic.estimated or multimorbid.estimated,
            gettext(
                "%(multimorbid)s multimorbid citizens but only %(chronic)s with a chronic "
                "disease; multimorbid citizens are among the chronically ill"
            )
            % {"multimorbid": _n(multimorbid.value), "chronic": _n(chronic.value)},
        )

    for indicator, before in (previous or {}).items():
        new = values.get(indicator)
        if new is None or before <= 0 or not involved(indicator):
            continue
        ratio = new.value / before
        if ratio > CHANGE_FACTOR or ratio < 1 / CHANGE_FACTOR:
            add(
                indicator,
                False,
                False,
                (
                    gettext("%(new)s replaces %(old)s: %(factor)s times as much")
                    if ratio > 1
                    else gettext("%(new)s replaces %(old)s: %(factor)s times less")
                )
                % {
                    "new": _n(new.value),
                    "old": _n(before),
                    "factor": _n(round(ratio if ratio > 1 else 1 / ratio, 1)),
                },
            )

    if year > today_year and changed:
        out.append(
            Finding(
                Severity.WARNING,
                kommunekode,
                year,
                next(iter(sorted(changed))),
                gettext(
                    "%(year)s is a future year: a projection, not today's data; runs read "
                    "the latest values up to %(today)s"
                )
                % {"year": year, "today": today_year},
            )
        )
    return out
