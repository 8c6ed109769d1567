"""Number formatting for the language in use (1.500 and 1.234,5 in Danish; 1,500 and
1,234.5 in English) and the marks for estimated and synthetic values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import get_format
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.policies import can_create_scenario, can_import, can_read, has_role, roles_of
from accounts.roles import Role
from allocation.models import RunStatus

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
