"""Forms: the scenario editor (every engine parameter, grouped as the engine groups them)
and the practice editor."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import fields as dc_fields
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from allocation.engine import (
    ACCESSIBILITY_DRIVERS,
    AGE_BANDS,
    COVERAGE_METHODS,
    PROPORTIONAL_METHODS,
    TRANSITION_DRIVERS,
    AllocationParams,
    ParamsError,
)
from allocation.models import ScenarioStatus, Visibility
from municipalities.models import Indicator
from practices.models import Practice, PracticeForm

DEFAULTS = AllocationParams()
MAPPINGS: dict[str, tuple[str, ...]] = {
    "age_weights": tuple(AGE_BANDS),
    "transition_weights": tuple(TRANSITION_DRIVERS),
    "accessibility_weights": tuple(ACCESSIBILITY_DRIVERS),
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
    ("norms", _("Norms and retirement"), ("list_norm", "retirement_age", "replacement_share")),
    (
        "supply",
        _("Training pipeline and recruitment"),
        ("training_pipeline", "pipeline_binding", "recruitment_rate", "recruitment_min"),
    ),
    ("methods", _("Methods"), ("coverage_method", "transition_method", "accessibility_method")),
    (
        "caps",
        _("Caps and floors"),
        ("caps", "floors", "geography", "max_practice_capacities"),
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
    "max_practice_capacities": _("Largest practice"),
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
    "chronic_weight": _("Added per citizen with a chronic disease."),
    "multimorbid_weight": _("Added per multimorbid citizen, on top of the chronic weight."),
    "vulnerable_weight": _("Added per socially vulnerable citizen."),
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
    "coverage_method": _("min-max: each capacity to the highest load at the time."),
    "transition_method": _("How quotas become whole capacities."),
    "accessibility_method": _("How quotas become whole capacities."),
    "caps": _("One per line, kommunekode: most new coverage capacities per year."),
    "floors": _("One per line, area: least new capacities in the area."),
    "geography": _("The areas for floors, aggregation and sensitivity bands."),
    "max_practice_capacities": _("Above this a new ydernummer is opened instead."),
    "sensitivity_draws": _("How many perturbed runs the P5-P95 bands rest on."),
    "sensitivity_seed": _("Fixes the draws so a run can be repeated."),
    "sensitivity_concentration": _("Higher = driver weights vary less between draws."),
    "sensitivity_noise": _("Relative noise on the estimated inputs (0-1)."),
}

METHOD_LABELS: dict[str, Any] = {
    "minmax": _("min-max water-filling (highest load first)"),
    "deficit": _("proportional to the deficit against the list norm"),
    "national-model": _("the national model (disease-weighted citizens)"),
    "sainte-lague": _("Sainte-Laguë"),
    "hamilton": _("largest remainder (Hamilton)"),
    "dhondt": _("D'Hondt"),
}


# Years and seeds: shown without thousands separators.
PLAIN_NUMBERS = ("base_year", "horizon", "sensitivity_seed")


def _fmt_default(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        return number_format(value, 2 if value != int(value) else 0, force_grouping=True)
    if isinstance(value, int):
        return number_format(value, 0, force_grouping=True)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_fmt_default(v)}" for k, v in value.items()) or str(_("none"))
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value) or str(_("even spread"))
    return str(METHOD_LABELS.get(str(value), value))


def _parse_lines(text: str, *, int_keys: bool) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        m = re.fullmatch(r"([\w\-æøåÆØÅ]+)\s*[:=]\s*(\d+)", line)
        if not m:
            raise forms.ValidationError(_("Line %(n)s: write it as key: number"), params={"n": n})
        key: Any = int(m.group(1)) if int_keys and m.group(1).isdigit() else m.group(1)
        out[key] = int(m.group(2))
    return out


def _driver_label(key: str) -> Any:
    return dict(Indicator.choices).get(key, key)


class ScenarioForm(forms.Form):
    """Name, status and every parameter of AllocationParams, defaults from the engine."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ScenarioStatus.choices)

    def __init__(
        self, *args: Any, geographies: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.param_errors: dict[str, list[str]] = {}
        self.validated: dict[str, Any] = {}
        for f in dc_fields(AllocationParams):
            name = f.name
            default = getattr(DEFAULTS, name)
            label = LABELS.get(name, name)
            help_text = HELP.get(name, "")
            if name in MAPPINGS:
                for key in MAPPINGS[name]:
                    self.fields[f"{name}__{key}"] = forms.FloatField(
                        label=_driver_label(key),
                        min_value=0,
                        localize=True,
                        help_text=_fmt_default(default[key]),
                    )
                continue
            field: forms.Field
            if name in ("caps", "floors"):
                field = forms.CharField(
                    required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 24})
                )
            elif name in ("pipeline", "training_pipeline"):
                field = forms.CharField(required=False)
            elif name == "geography":
                field = forms.ChoiceField(choices=list(geographies) or [(default, default)])
            elif name == "coverage_method":
                field = forms.ChoiceField(choices=[(m, METHOD_LABELS[m]) for m in COVERAGE_METHODS])
            elif name.endswith("_method"):
                field = forms.ChoiceField(
                    choices=[(m, METHOD_LABELS[m]) for m in PROPORTIONAL_METHODS]
                )
            elif isinstance(default, bool):
                field = forms.BooleanField(required=False)
            elif isinstance(default, int):
                field = forms.IntegerField(localize=True)
            else:
                field = forms.FloatField(localize=True)
            field.label = label
            field.help_text = help_text
            if name in ("base_year", "horizon", "sensitivity_seed", "retirement_age"):
                field.localize = False
                field.widget = forms.NumberInput()
            self.fields[name] = field

    # --- conversion ------------------------------------------------------------------

    @staticmethod
    def initial_from(scenario: Any) -> dict[str, Any]:
        params = AllocationParams.from_dict(scenario.params).to_dict()
        initial: dict[str, Any] = {
            "name": scenario.name,
            "description": scenario.description,
            "visibility": scenario.visibility,
            "status": scenario.status,
        }
        for name, value in params.items():
            if name in MAPPINGS:
                for key in MAPPINGS[name]:
                    initial[f"{name}__{key}"] = round(float(value[key]), 6)
            elif name in ("caps", "floors"):
                initial[name] = "\n".join(f"{k}: {v}" for k, v in value.items())
            elif name in ("pipeline", "training_pipeline"):
                explicit = scenario.params.get(name)
                initial[name] = " ".join(str(v) for v in explicit) if explicit else ""
            else:
                initial[name] = value
        return initial

    def clean_pipeline(self) -> list[int]:
        return self._whole_numbers("pipeline")

    def clean_training_pipeline(self) -> list[int]:
        return self._whole_numbers("training_pipeline")

    def _whole_numbers(self, name: str) -> list[int]:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return []
        parts = [p for p in re.split(r"[\s;,]+", text) if p]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Whole numbers separated by spaces."))
        return [int(p) for p in parts]

    def clean_caps(self) -> dict[Any, int]:
        return _parse_lines(self.cleaned_data.get("caps") or "", int_keys=True)

    def clean_floors(self) -> dict[Any, int]:
        return _parse_lines(self.cleaned_data.get("floors") or "", int_keys=False)

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for f in dc_fields(AllocationParams):
            if f.name in MAPPINGS:
                out[f.name] = {k: data[f"{f.name}__{k}"] for k in MAPPINGS[f.name]}
            elif f.name == "caps":
                out[f.name] = {str(k): v for k, v in data["caps"].items()}
            else:
                out[f.name] = data[f.name]
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        split = [data.get(k) for k in ("total", "transition", "coverage", "accessibility")]
        if all(isinstance(v, int) for v in split):
            total, *parts = split
            if sum(parts) != total:  # type: ignore[arg-type]
                self.add_error(
                    "total",
                    _("The split must sum to the total: %(sum)s, not %(total)s.")
                    % {"sum": sum(parts), "total": total},  # type: ignore[arg-type]
                )
        if not self.errors:
            try:
                self.validated = AllocationParams.from_dict(self.params()).to_dict()
            except ParamsError as exc:
                target = exc.field if exc.field in self.fields else None
                if exc.field in MAPPINGS:
                    target = f"{exc.field}__{MAPPINGS[exc.field][0]}"
                self.add_error(target, exc.message)
                self.param_errors.setdefault(exc.field, []).append(exc.message)
        return data

    # --- layout for the template --------------------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        out = []
        for key, title, names in GROUPS:
            items = []
            for name in names:
                default = getattr(DEFAULTS, name)
                if name in MAPPINGS:
                    items.append(
                        {
                            "name": name,
                            "label": LABELS.get(name, name),
                            "help": HELP.get(name, ""),
                            "subfields": [self[f"{name}__{k}"] for k in MAPPINGS[name]],
                            "errors": self.param_errors.get(name, []),
                        }
                    )
                else:
                    items.append(
                        {
                            "name": name,
                            "field": self[name],
                            "default": str(default)
                            if name in PLAIN_NUMBERS
                            else _fmt_default(default),
                            "errors": self.param_errors.get(name, []),
                        }
                    )
            out.append({"key": key, "title": title, "items": items})
        return out

    def error_map(self) -> dict[str, list[str]]:
        """Every input's errors by field name (empty list for fields without)."""
        out: dict[str, list[str]] = {name: [] for name in self.fields}
        for name, errs in self.errors.items():
            out.setdefault(name, []).extend(str(e) for e in errs)
        return out


class PracticeEditForm(forms.ModelForm):
    """What a regional planner may change on a practice; validated like the import."""

    class Meta:
        model = Practice
        fields = ["name", "form", "open_to_new_patients", "listed_patients", "capacities"]
        labels = {
            "name": _("Name"),
            "form": _("Form of practice"),
            "open_to_new_patients": _("Open to new patients"),
            "listed_patients": _("Listed patients"),
            "capacities": _("GP capacities"),
        }
        help_texts = {
            "listed_patients": _("Patients on the practice's list."),
            "capacities": _("Full-time doctor capacities on this ydernummer (0.01-30)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field = self.fields["form"]
        assert isinstance(form_field, forms.ChoiceField)
        form_field.choices = PracticeForm.choices
        self.fields["capacities"].localize = True
        self.fields["capacities"].widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def clean_capacities(self) -> Decimal:
        value: Decimal = self.cleaned_data["capacities"]
        if value is None or value <= 0 or value > 30:
            raise forms.ValidationError(_("Between 0.01 and 30 capacities."))
        return value

    def clean_listed_patients(self) -> int:
        value: int = self.cleaned_data["listed_patients"]
        if value > 60_000:
            raise forms.ValidationError(_("More than 60,000 listed patients is not plausible."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        listed, caps = data.get("listed_patients"), data.get("capacities")
        if listed is not None and caps and listed / float(caps) > 5000:
            self.add_error(
                "listed_patients",
                _("More than 5,000 patients per capacity: check the capacities."),
            )
        return data
