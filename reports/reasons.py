"""A placement's reason in the reader's language.

The engine writes each placement's reason as an English sentence (allocation.engine.placement
``_reasons``) and the run stores it as written: a record of the run. The pages and the
workbook show it in the active language by reading its parts back out of the engine's
sentence patterns and writing them again, translated, with numbers formatted for the
language. A reason in any other wording (a run stored by a later engine) is shown as stored.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from django.utils.formats import number_format
from django.utils.translation import gettext as _

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_EXPANSION = re.compile(
    rf"expansion of ydernummer (?P<y>\S+), the most loaded practice in (?P<name>.+) with room "
    rf"\((?P<load>∞|[0-9]+) listed patients per capacity; (?P<before>{_NUMBER}) → "
    rf"(?P<after>{_NUMBER}) capacities, max (?P<max>{_NUMBER})\)"
)
_NEW_FULL = re.compile(
    rf"new ydernummer (?P<y>\S+) in (?P<name>.+): every practice there is at the maximum of "
    rf"(?P<max>{_NUMBER}) capacities"
)
_NEW_NONE = re.compile(r"new ydernummer (?P<y>\S+) in (?P<name>.+): there is no practice there")
_SOLO = re.compile(
    rf"expansion of solo practice (?P<y>\S+) into a partnership, the most loaded practice in "
    rf"(?P<name>.+) with room \((?P<load>∞|[0-9]+) listed patients per capacity; "
    rf"(?P<before>{_NUMBER}) → (?P<after>{_NUMBER}) capacities\)"
)
_NEW_STEERING = re.compile(
    rf"new ydernummer (?P<y>\S+) in (?P<name>.+): national steering of new ydernumre "
    rf"\(a share of (?P<share>{_NUMBER}) of the coverage capacities\)"
)
_NEW_NO_ROOM = re.compile(
    rf"new ydernummer (?P<y>\S+) in (?P<name>.+): every practice there has used its room "
    rf"\(at most (?P<growth>[0-9]+) new capacities each, max (?P<max>{_NUMBER})\)"
)
_NEW_EXPANSION = re.compile(
    rf"expansion of the new ydernummer (?P<y>\S+) \((?P<before>{_NUMBER}) → "
    rf"(?P<after>{_NUMBER}) capacities, max (?P<max>{_NUMBER})\)"
)


# Formats a number as the engine wrote it for the reader's language.
Number = Callable[[str], str]


def _n(text: str) -> str:
    """A number as the engine wrote it (``:g``), formatted for the language: 2.5 -> 2,5."""
    if text == "∞":
        return text
    value = float(text)
    places = 0 if value == int(value) else len(text.split(".")[1])
    return number_format(value, places, force_grouping=True)


def _expansion(m: re.Match[str], n: Number) -> str:
    return _(
        "expansion of ydernummer %(y)s, the most loaded practice in %(name)s with room "
        "(%(load)s listed patients per capacity; %(before)s → %(after)s capacities, max %(max)s)"
    ) % {
        "y": m["y"],
        "name": m["name"],
        "load": n(m["load"]),
        "before": n(m["before"]),
        "after": n(m["after"]),
        "max": n(m["max"]),
    }


def _new_full(m: re.Match[str], n: Number) -> str:
    return _(
        "new ydernummer %(y)s in %(name)s: every practice there is at the maximum of %(max)s "
        "capacities"
    ) % {"y": m["y"], "name": m["name"], "max": n(m["max"])}


def _new_none(m: re.Match[str], n: Number) -> str:
    return _("new ydernummer %(y)s in %(name)s: there is no practice there") % {
        "y": m["y"],
        "name": m["name"],
    }


def _new_expansion(m: re.Match[str], n: Number) -> str:
    return _(
        "expansion of the new ydernummer %(y)s (%(before)s → %(after)s capacities, max %(max)s)"
    ) % {"y": m["y"], "before": n(m["before"]), "after": n(m["after"]), "max": n(m["max"])}


def _solo(m: re.Match[str], n: Number) -> str:
    return _(
        "expansion of solo practice %(y)s into a partnership, the most loaded practice in "
        "%(name)s with room (%(load)s listed patients per capacity; %(before)s → %(after)s "
        "capacities)"
    ) % {
        "y": m["y"],
        "name": m["name"],
        "load": n(m["load"]),
        "before": n(m["before"]),
        "after": n(m["after"]),
    }


def _new_steering(m: re.Match[str], n: Number) -> str:
    return _(
        "new ydernummer %(y)s in %(name)s: national steering of new ydernumre (a share of "
        "%(share)s of the coverage capacities)"
    ) % {"y": m["y"], "name": m["name"], "share": n(m["share"])}


def _new_no_room(m: re.Match[str], n: Number) -> str:
    return _(
        "new ydernummer %(y)s in %(name)s: every practice there has used its room (at most "
        "%(growth)s new capacities each, max %(max)s)"
    ) % {"y": m["y"], "name": m["name"], "growth": m["growth"], "max": n(m["max"])}


PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], Number], str]], ...] = (
    (_EXPANSION, _expansion),
    (_NEW_EXPANSION, _new_expansion),
    (_NEW_FULL, _new_full),
    (_NEW_NONE, _new_none),
    (_SOLO, _solo),
    (_NEW_STEERING, _new_steering),
    (_NEW_NO_ROOM, _new_no_room),
)


def reason_text(stored: str, *, number: Number = _n) -> str:
    """``stored`` (a placement's reason as the engine wrote it) in the active language."""
    for pattern, write in PATTERNS:
        m = pattern.fullmatch(stored)
        if m is not None:
            return write(m, number)
    return stored


def reason_texts(stored: Iterable[str]) -> list[str]:
    """:func:`reason_text` of each, with each distinct number formatted once: a run's 1,500
    reasons repeat a few numbers, and Django's number_format costs more than the rest of a
    reason. The formats are remembered for this call only, in the language active now."""
    number = functools.cache(_n)
    return [reason_text(text, number=number) for text in stored]
