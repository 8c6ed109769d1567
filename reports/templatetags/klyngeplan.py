"""Number formatting for the language in use (1.500 and 1.234,5 in Danish; 1,500 and
1,234.5 in English) and the marks for estimated and synthetic values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import get_format
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.policies import can_create_scenario, can_import, can_read, has_role, roles_of
from accounts.roles import Role
from allocation.models import RunStatus
from practices.models import PracticeForm, RecordSource
from reports.reasons import reason_text

register = template.Library()


def _is_missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


_SEPARATORS: dict[str, tuple[str, str]] = {}


def _separators() -> tuple[str, str]:
    """(decimal, thousands) separators of the active language, looked up once each."""
    lang = get_language() or "da"
    if lang not in _SEPARATORS:
        _SEPARATORS[lang] = (
            str(get_format("DECIMAL_SEPARATOR")),
            str(get_format("THOUSAND_SEPARATOR")),
        )
    return _SEPARATORS[lang]


def format_number(value: float, places: int = 0) -> str:
    """1234.5 -> "1.234,5" in Danish, "1,234.5" in English (grouping always on)."""
    decimal, thousands = _separators()
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


@register.filter
def num(value: Any, places: int = 0) -> str:
    """A number with grouping and ``places`` decimals; an en dash when missing."""
    if _is_missing(value):
        return "–"
    try:
        return format_number(float(value), int(places))
    except (TypeError, ValueError):
        return str(value)


@register.filter
def signed(value: Any, places: int = 0) -> str:
    """A difference with its sign: +12, −3, 0."""
    if _is_missing(value):
        return "–"
    v = round(float(value), int(places))
    text = num(abs(v), places)
    if v > 0:
        return f"+{text}"
    if v < 0:
        return f"−{text}"
    return text


@register.filter
def pct(value: Any, places: int = 0) -> str:
    """A share (0.7) as a percentage (70 %)."""
    if _is_missing(value):
        return "–"
    return f"{num(float(value) * 100, places)} %"


@register.simple_tag
def estimated(text: Any) -> SafeString:
    """A value marked as estimated: dotted underline, tooltip, and the word for readers."""
    word = _("estimated")
    return format_html(
        '<span class="est" title="{}">{}</span><span class="visually-hidden"> ({})</span>',
        _("estimated: no direct source; derived from national rates and the age structure"),
        text,
        word,
    )


@register.simple_tag
def synthetic(text: Any, marked: Any = True) -> SafeString:
    """A value from the synthetic register, marked as such; unmarked when ``marked`` is false
    (pass whether the records behind it are synthetic: ``data_status.register.synthetic``)."""
    if not marked:
        return format_html("{}", text)
    return format_html(
        '<span class="synthetic" title="{}">{}</span><span class="visually-hidden"> ({})</span>',
        _("synthetic: generated register calibrated to published totals"),
        text,
        _("synthetic"),
    )


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag
def role_info(user: Any) -> dict[str, Any]:
    """What the navigation shows for ``user``: its roles and what they may do."""
    labels = dict(Role.choices)
    roles = sorted(roles_of(user))
    if getattr(user, "is_superuser", False):
        names = [_("administrator")]
    else:
        names = [str(labels.get(r, r)) for r in roles]
    return {
        "reader": can_read(user),
        "negotiator": can_create_scenario(user),
        "planner": has_role(user, Role.PLANNER),
        "can_import": can_import(user),
        "names": names,
    }


@register.simple_tag
def figure(fig: Any, element_id: str, label: str = "") -> SafeString:
    """A Plotly figure: the element klyngeplan.js draws into and its JSON (json_script)."""
    if not fig:
        return format_html("")
    height = (fig.get("layout") or {}).get("height") or 360
    return format_html(
        '<div id="{}" class="figure" data-figure="{}-data" role="img" aria-label="{}" '
        'style="min-height:{}px"></div>{}',
        element_id,
        element_id,
        label or ((fig.get("layout") or {}).get("title") or {}).get("text", ""),
        height,
        json_script(fig, f"{element_id}-data"),
    )


@register.filter
def run_status(value: Any) -> str:
    """A run's status in words of the active language."""
    return str(dict(RunStatus.choices).get(value, value or ""))


@register.filter
def value(value: Any) -> str:
    """A stored or imported value in words and the language's format: Ja/Nej, 1.234,5,
    3,5; an en dash when there is none."""
    if _is_missing(value):
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float | Decimal) or (
        isinstance(value, str) and value.replace(".", "", 1).isdigit()
    ):
        number = float(value)
        places = 0 if number.is_integer() else (1 if round(number, 1) == number else 2)
        return format_number(number, places)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def _history_labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "municipality_id": _("Municipality"),
        "form": _("Form of practice"),
        "open_to_new_patients": _("Open to new patients"),
        "listed_patients": _("Listed patients"),
        "capacities": _("GP capacities"),
        "source": _("source"),
        "birth_year": _("birth year"),
        "fte": _("working time"),
    }


@register.filter
def history_field(field: str) -> str:
    """The name of a practice's or doctor's field as the practice page shows it."""
    return _history_labels().get(field, field)


@register.filter
def in_words(stored: Any, field: str) -> str:
    """A value of a practice's or doctor's history in words and the language's format:
    Ja/Nej, "3,5 kapaciteter", a form of practice by its name, a birth year as a year."""
    if _is_missing(stored):
        return "–"
    if field in ("capacities", "fte"):
        amount = float(stored)
        return ngettext("%(n)s capacity", "%(n)s capacities", 1 if amount == 1 else 2) % {
            "n": value(Decimal(str(stored)).normalize())
        }
    if field == "form":
        return str(dict(PracticeForm.choices).get(stored, stored))
    if field == "source":
        return str(dict(RecordSource.choices).get(stored, stored))
    if field == "birth_year":
        return str(stored)
    return value(stored)


@register.filter
def reason(stored: Any) -> str:
    """A placement's stored reason in the active language (reports.reasons)."""
    return reason_text(str(stored or ""))


@register.filter
def figure_value(value: Any, kind: str) -> str:
    """A key figure as its kind is written: a share as a percentage, anything else whole."""
    return pct(value, 1) if kind == "share" else num(value)


@register.filter
def figure_diff(value: Any, kind: str) -> str:
    """A key figure's difference: a share's in percentage points (+2,3 pp), else signed."""
    if kind == "share":
        return "–" if _is_missing(value) else f"{signed(float(value) * 100, 1)} pp"
    return signed(value)


@register.filter
def improves(row: Any, diff: Any) -> str:
    """ "better", "worse" or "" for a key figure's difference (the row knows which way)."""
    verdict = row.improves(diff)
    return "" if verdict is None else ("better" if verdict else "worse")
