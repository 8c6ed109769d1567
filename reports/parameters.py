"""The engine's parameters as people see them: groups, labels, one-line help, the words for
the methods and how a value is written. The scenario editor, the printable report and the
run workbook all read them from here.

The defaults and the validation stay with the engine (``AllocationParams``); this is the
presentation of them, translated, so it lives with the pages rather than in ``allocation``
(the API serves parameters by their names, without labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allocation.engine import ACCESSIBILITY_DRIVERS, AGE_BANDS, TRANSITION_DRIVERS, AllocationParams
from allocation.engine.params import RENAMED_COVERAGE_METHODS
from municipalities.models import Indicator

DEFAULTS = AllocationParams()
MAPPINGS: dict[str, tuple[str, ...]] = {
    "age_weights": tuple(AGE_BANDS),
    "transition_weights": tuple(TRANSITION_DRIVERS),
    "accessibility_weights": tuple(ACCESSIBILITY_DRIVERS),
    "list_relief": ("transition", "coverage", "accessibility"),
}

GROUPS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("split", _("Split of the capacities"), ("total", "transition", "coverage", "accessibility")),
    ("horizon", _("Horizon and pipeline"), ("base_year", "horizon", "pipeline")),
    (
        "weights",
        _("Weights"),
        (
            "age_weights",
            "chronic_weight",
            "multimorbid_weight",
            "vulnerable_weight",
            "normalise_weighted_citizens",
            "transition_weights",
            "accessibility_weights",
        ),
    ),
    (
        "norms",
        _("Norms and retirement"),
        ("list_norm", "open_threshold", "retirement_age", "replacement_share"),
    ),
    (
        "supply",
        _("Training pipeline and recruitment"),
        ("training_pipeline", "pipeline_binding", "recruitment_rate", "recruitment_min"),
    ),
    ("methods", _("Methods"), ("coverage_method", "transition_method", "accessibility_method")),
    (
        "caps",
        _("Caps and floors"),
        (
            "caps",
            "floors",
            "geography",
            "max_practice_capacities",
            "max_practice_growth",
            "new_ydernummer_share",
            "new_practice_capacities",
        ),
    ),
    (
        "reference",
        _("List relief and the statutory model"),
        ("list_relief", "statutory_geography"),
    ),
    (
        "sensitivity",
        _("Sensitivity analysis"),
        (
            "sensitivity_draws",
            "sensitivity_seed",
            "sensitivity_concentration",
            "sensitivity_noise",
        ),
    ),
)

LABELS: dict[str, Any] = {
    "total": _("Total new capacities"),
    "transition": _("Transition to local care"),
    "coverage": _("GP coverage"),
    "accessibility": _("Accessibility"),
    "base_year": _("First year"),
    "horizon": _("Horizon year"),
    "pipeline": _("Capacities per year"),
    "age_weights": _("Age weights"),
    "chronic_weight": _("Extra weight, chronic disease"),
    "multimorbid_weight": _("Extra weight, multimorbidity"),
    "vulnerable_weight": _("Extra weight, social vulnerability"),
    "normalise_weighted_citizens": _("Scale weighted citizens to the population"),
    "transition_weights": _("Driver weights, transition"),
    "accessibility_weights": _("Driver weights, accessibility"),
    "list_norm": _("List norm"),
    "retirement_age": _("Retirement age"),
    "replacement_share": _("Share of retirements replaced"),
    "training_pipeline": _("New GP specialists per year"),
    "pipeline_binding": _("The training pipeline limits the phase-in"),
    "recruitment_rate": _("Recruitment limit per year (share of capacities today)"),
    "recruitment_min": _("Recruitment limit per year, at least"),
    "coverage_method": _("Coverage method"),
    "transition_method": _("Rounding method, transition"),
    "accessibility_method": _("Rounding method, accessibility"),
    "caps": _("Caps per municipality and year"),
    "floors": _("Floors per area"),
    "geography": _("Planning geography"),
    "list_relief": _("List relief per pillar"),
    "statutory_geography": _("Geography of the statutory model"),
    "max_practice_capacities": _("Largest practice"),
    "max_practice_growth": _("Most new capacities per existing practice"),
    "new_ydernummer_share": _("Share of coverage capacities as new ydernumre"),
    "new_practice_capacities": _("Capacities per new ydernummer"),
    "open_threshold": _("When a practice may close to new patients"),
    "sensitivity_draws": _("Draws"),
    "sensitivity_seed": _("Random seed"),
    "sensitivity_concentration": _("Weight concentration"),
    "sensitivity_noise": _("Input noise"),
}

HELP: dict[str, Any] = {
    "total": _("The extra GP capacities to place (KL/PLO: 1,500)."),
    "transition": _("Capacities for chronic, multimorbid and nursing-home patients."),
    "coverage": _("Capacities sent where doctors are shortest (highest load)."),
    "accessibility": _("Capacities for vulnerable patients and local access."),
    "base_year": _("The first year capacities arrive."),
    "horizon": _("The year all capacities are in place."),
    "pipeline": _("Capacities available each year, separated by spaces; empty = even spread."),
    "age_weights": _("Relative GP need of a citizen in each age band."),
    "chronic_weight": _(
        "Added per citizen with a chronic disease beyond those the age mix already implies."
    ),
    "multimorbid_weight": _(
        "Added per multimorbid citizen beyond those the age mix implies, on top of the "
        "chronic weight."
    ),
    "vulnerable_weight": _(
        "Added per socially vulnerable citizen beyond those the age mix already implies."
    ),
    "normalise_weighted_citizens": _("So that loads compare with the list norm."),
    "transition_weights": _("How much each driver counts; rescaled to sum to 1."),
    "accessibility_weights": _("How much each driver counts; rescaled to sum to 1."),
    "list_norm": _("Disease-weighted citizens per capacity regarded as a full list."),
    "retirement_age": _("Doctors reaching this age by the horizon retire."),
    "replacement_share": _("Share of retiring capacities that are replaced (0-1; assumed 0.7)."),
    "training_pipeline": _(
        "New specialists in general practice who take up a capacity, one per year separated "
        "by spaces; empty = 255 a year."
    ),
    "pipeline_binding": _(
        "Never place more new capacities by a year than the pipeline leaves after replacements."
    ),
    "recruitment_rate": _(
        "A municipality gets at most this share of its capacities today in new coverage "
        "capacities a year (0 = no limit)."
    ),
    "recruitment_min": _("So that a municipality without practices can still get one."),
    "coverage_method": _(
        "min-max: each capacity to the highest load at the time; proportional-new: the new "
        "capacities only, per area in proportion to need (the statutory reference distributes "
        "the whole stock)."
    ),
    "transition_method": _("How quotas become whole capacities."),
    "accessibility_method": _("How quotas become whole capacities."),
    "caps": _("One per line, kommunekode: most new coverage capacities per year."),
    "floors": _("One per line, area: least new capacities in the area."),
    "geography": _("The areas for floors, aggregation and sensitivity bands."),
    "list_relief": _(
        "Share of a pillar's new capacities that shortens patient lists, 0 to 1; the loads "
        "and the open share after use it."
    ),
    "statutory_geography": _(
        "The areas over which the whole stock is distributed in proportion to need."
    ),
    "max_practice_capacities": _("Above this a new ydernummer is opened instead."),
    "max_practice_growth": _(
        "Over the whole period; a solo practice may grow into a partnership. When every "
        "practice's room is used, new ydernumre are opened."
    ),
    "new_ydernummer_share": _(
        "National steering of new ydernumre: this share (0-1) of each municipality's coverage "
        "capacities opens new practices; the rest expands practices with room."
    ),
    "new_practice_capacities": _("A new ydernummer is filled to this many before the next opens."),
    "open_threshold": _(
        "Need-based: a minimum list of the list norm scaled by the municipality's need per "
        "citizen (the national model since 1 July 2025). Flat: the list norm everywhere."
    ),
    "sensitivity_draws": _("How many perturbed runs the P5-P95 bands rest on."),
    "sensitivity_seed": _("Fixes the draws so a run can be repeated."),
    "sensitivity_concentration": _("Higher = driver weights vary less between draws."),
    "sensitivity_noise": _("Relative noise on the estimated inputs (0-1)."),
}

METHOD_LABELS: dict[str, Any] = {
    "minmax": _("min-max water-filling (highest load first)"),
    "deficit": _("proportional to the deficit against the list norm"),
    "proportional-new": _("the new capacities in proportion to need per area"),
    "sainte-lague": _("Sainte-Laguë"),
    "hamilton": _("largest remainder (Hamilton)"),
    "dhondt": _("D'Hondt"),
    "need-based": _("need-based minimum list (the municipality's need per citizen)"),
    "flat": _("flat: the list norm per capacity everywhere"),
}


# Years and seeds: shown without thousands separators.
PLAIN_NUMBERS = ("base_year", "horizon", "sensitivity_seed")


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        return number_format(value, 2 if value != int(value) else 0, force_grouping=True)
    if isinstance(value, int):
        return number_format(value, 0, force_grouping=True)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or str(_("none"))
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value) or str(_("even spread"))
    # A run stored before a method was renamed shows the label of the method it ran.
    method = RENAMED_COVERAGE_METHODS.get(str(value), str(value))
    return str(METHOD_LABELS.get(method, value))


def driver_label(key: str) -> Any:
    return dict(Indicator.choices).get(key, key)


def describe(name: str, value: Any) -> str:
    """A parameter's value as the report and the workbook write it."""
    if name in MAPPINGS and isinstance(value, Mapping):
        return "; ".join(f"{driver_label(k)} {format_value(float(v))}" for k, v in value.items())
    return str(value) if name in PLAIN_NUMBERS else format_value(value)


def differs_from_default(name: str, value: Any) -> bool:
    default: Any = DEFAULTS.to_dict().get(name)
    if name in MAPPINGS and isinstance(value, Mapping) and isinstance(default, Mapping):
        return any(abs(float(value[k]) - float(default[k])) > 1e-9 for k in value)
    return bool(value != default)


def parameter_groups(params: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """(group title, [(label, value, differs from the default)]) for a report."""
    return [
        (
            str(title),
            [
                (
                    str(LABELS.get(name, name)),
                    describe(name, params.get(name)),
                    differs_from_default(name, params.get(name)),
                )
                for name in names
            ],
        )
        for _key, title, names in GROUPS
    ]
