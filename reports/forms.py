"""Forms: the scenario editor (every engine parameter, grouped as the engine groups them)
and the practice editor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields as dc_fields
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.engine import (
    COVERAGE_METHODS,
    OPEN_THRESHOLDS,
    PROPORTIONAL_METHODS,
    AllocationParams,
    ParamsError,
)
from allocation.models import Visibility
from practices.models import Practice, PracticeForm
from reports.parameters import (
    DEFAULTS,
    GROUPS,
    HELP,
    LABELS,
    MAPPINGS,
    METHOD_LABELS,
    PLAIN_NUMBERS,
    driver_label,
    format_value,
)
from reports.templatetags.klyngeplan import format_number


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


class ScenarioForm(forms.Form):
    """Name, status and every parameter of AllocationParams, defaults from the engine."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)

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
                        label=driver_label(key),
                        min_value=0,
                        localize=True,
                        help_text=format_value(default[key]),
                    )
                continue
            field: forms.Field
            if name in ("caps", "floors"):
                field = forms.CharField(
                    required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 24})
                )
            elif name in ("pipeline", "training_pipeline"):
                field = forms.CharField(required=False)
            elif name in ("geography", "statutory_geography"):
                field = forms.ChoiceField(choices=list(geographies) or [(default, default)])
            elif name == "coverage_method":
                field = forms.ChoiceField(choices=[(m, METHOD_LABELS[m]) for m in COVERAGE_METHODS])
            elif name == "open_threshold":
                field = forms.ChoiceField(choices=[(m, METHOD_LABELS[m]) for m in OPEN_THRESHOLDS])
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
                    % {
                        "sum": format_number(sum(parts)),  # type: ignore[arg-type]
                        "total": format_number(total),  # type: ignore[arg-type]
                    },
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
                            else format_value(default),
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


class CloneForm(forms.Form):
    """A copy is named and described by its author: what it changes, and why."""

    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What this copy changes, and why; the original's description is not copied."),
    )


class PracticeEditForm(forms.ModelForm):
    """What a regional planner may change on a practice. The bounds and their messages are
    the model's (field validators and ``Practice.clean``), as for the API and the import."""

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
