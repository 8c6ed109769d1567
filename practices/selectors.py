"""Reads for the practice register: the pages and the API use the same ones."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from municipalities.models import DemandIndicator, Indicator, Municipality
from practices.models import (
    ADMIN_EDIT,
    API_EDIT,
    BASELINE,
    CHANGE_LOG,
    WEB_EDIT,
    Doctor,
    Practice,
    RecordSource,
)


def practice_list(
    *,
    q: str = "",
    municipality: int | None = None,
    municipalities: Iterable[int] | None = None,
    region: int | None = None,
    area: str | None = None,
    geography: str | None = None,
    open_to_new_patients: bool | None = None,
    form: str | None = None,
    source: str | None = None,
    by_municipality: bool = False,
    with_shortage: bool = False,
) -> QuerySet[Practice]:
    """Practices with their municipality, region and number of doctors; one query per page.

    ``q`` searches the name or the start of the ydernummer; ``area`` is an area slug within
    ``geography``. Ordered by ydernummer, or by municipality name then ydernummer. With
    ``with_shortage`` each practice has ``in_shortage``: its municipality is on PLO's 2019
    list of GP shortage municipalities (in the same query).
    """
    qs = (
        Practice.objects.select_related("municipality", "municipality__region")
        .defer("municipality__boundary")
        .annotate(doctor_count=Count("doctors"))
        .order_by(*(("municipality__name", "ydernummer") if by_municipality else ("ydernummer",)))
    )
    if with_shortage:
        qs = qs.annotate(
            in_shortage=Exists(
                DemandIndicator.objects.filter(
                    municipality_id=OuterRef("municipality_id"),
                    indicator=Indicator.SHORTAGE_PLO_2019,
                    value__gte=1,
                )
            )
        )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(ydernummer__startswith=q))
    if municipality is not None:
        qs = qs.filter(municipality_id=municipality)
    if municipalities is not None:
        qs = qs.filter(municipality_id__in=list(municipalities))
    if region is not None:
        qs = qs.filter(municipality__region_id=region)
    if area is not None:
        qs = qs.filter(
            municipality__memberships__geography__slug=geography,
            municipality__memberships__area__slug=area,
        )
    if open_to_new_patients is not None:
        qs = qs.filter(open_to_new_patients=open_to_new_patients)
    if form:
        qs = qs.filter(form=form)
    if source:
        qs = qs.filter(source=source)
    return qs


def practice_get(*, ydernummer: str) -> Practice | None:
    return practice_list().filter(ydernummer=ydernummer).first()


# --- history ------------------------------------------------------------------------

PRACTICE_FIELDS = (
    "name",
    "municipality_id",
    "form",
    "open_to_new_patients",
    "listed_patients",
    "capacities",
    "source",
)
DOCTOR_FIELDS = ("birth_year", "fte", "source")
# Changes of one writer this close together are one entry (a practice saved in the admin
# with its doctors is written within the same moment).
SAME_MOMENT = dt.timedelta(seconds=2)


@dataclass(frozen=True)
class FieldChange:
    """One value of a practice or doctor, before and after (None: there was none)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ChangeLine:
    """What happened to the practice or one of its doctors: ``action`` is "created",
    "changed" or "removed", ``subject`` "practice" or "doctor"."""

    subject: str
    action: str
    changes: tuple[FieldChange, ...]


@dataclass
class HistoryEntry:
    when: dt.datetime
    who: str
    reason: str  # as stored (practices.models: WEB_EDIT, import_reason(n), ...)
    lines: list[ChangeLine] = field(default_factory=list)

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def batch_id(self) -> int | None:
        """The import batch the change belongs to (an import or its revert)."""
        found = _BATCH.fullmatch(self.reason)
        return int(found.group(2)) if found else None


_BATCH = re.compile(r"(import batch|revert of batch) (\d+)")


def reason_label(reason: str) -> str:
    """Why a change was made, in the active language."""
    found = _BATCH.fullmatch(reason or "")
    if found is not None:
        n = found.group(2)
        if found.group(1) == "import batch":
            return gettext("import batch %(n)s") % {"n": n}
        return gettext("revert of batch %(n)s") % {"n": n}
    labels = {
        WEB_EDIT: gettext("web edit"),
        API_EDIT: gettext("API"),
        ADMIN_EDIT: gettext("admin"),
        CHANGE_LOG: gettext("web or API edit"),
    }
    return labels.get(reason, reason or "")


def _line(subject: str, record: Any, prev: Any, fields: tuple[str, ...]) -> ChangeLine | None:
    kind = record.history_type
    if kind == "+" or (prev is None and kind == "~"):
        # A "~" without a predecessor is a state recorded before the history began.
        if kind == "~":
            return None
        return ChangeLine(
            subject, "created", tuple(FieldChange(f, None, getattr(record, f)) for f in fields)
        )
    if kind == "-":
        return ChangeLine(
            subject, "removed", tuple(FieldChange(f, getattr(record, f), None) for f in fields)
        )
    changes = tuple(
        FieldChange(f, getattr(prev, f), getattr(record, f))
        for f in fields
        if getattr(prev, f) != getattr(record, f)
    )
    return ChangeLine(subject, "changed", changes) if changes else None


def _same_change(
    entry: HistoryEntry, who: str, reason: str, when: dt.datetime, line: ChangeLine
) -> bool:
    """``line`` belongs to ``entry``: the same batch, or the same writer at the same moment
    (a practice saved with its doctors); a second change of the practice is a new entry."""
    if entry.who != who or entry.reason != reason:
        return False
    if entry.batch_id is not None:
        return True
    return when - entry.when <= SAME_MOMENT and not (
        line.subject == "practice" and any(x.subject == "practice" for x in entry.lines)
    )


def practice_history(*, practice: Practice) -> list[HistoryEntry]:
    """The practice's history and its doctors', newest first: when, who, why, and what
    changed (old → new per value; municipalities by name). Three queries at most."""
    records = list(
        Practice.history.filter(id=practice.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    doctor_records = list(
        Doctor.history.filter(practice_id=practice.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    found: list[tuple[Any, ChangeLine]] = []
    prev: Any = None
    for r in records:
        line = _line("practice", r, prev, PRACTICE_FIELDS)
        if line is not None and r.history_change_reason != BASELINE:
            found.append((r, line))
        prev = r
    last_of: dict[int, Any] = {}
    for r in doctor_records:
        line = _line("doctor", r, last_of.get(r.id), DOCTOR_FIELDS)
        if line is not None and r.history_change_reason != BASELINE:
            found.append((r, line))
        last_of[r.id] = r
    codes = {
        v
        for _r, line in found
        for c in line.changes
        if c.field == "municipality_id"
        for v in (c.old, c.new)
        if v is not None
    }
    names = (
        dict(Municipality.objects.filter(pk__in=codes).values_list("kommunekode", "name"))
        if codes
        else {}
    )
    entries: list[HistoryEntry] = []
    for r, line in sorted(found, key=lambda x: (x[0].history_date, x[0].history_id)):
        if line.subject == "practice" and any(c.field == "municipality_id" for c in line.changes):
            line = ChangeLine(
                line.subject,
                line.action,
                tuple(
                    FieldChange(c.field, names.get(c.old, c.old), names.get(c.new, c.new))
                    if c.field == "municipality_id"
                    else c
                    for c in line.changes
                ),
            )
        who = r.history_user.get_username() if r.history_user is not None else ""
        reason = r.history_change_reason or ""
        last = entries[-1] if entries else None
        if last is not None and _same_change(last, who, reason, r.history_date, line):
            last.lines.append(line)
            continue
        entries.append(HistoryEntry(when=r.history_date, who=who, reason=reason, lines=[line]))
    entries.reverse()
    return entries


# --- where the register comes from --------------------------------------------------------

MIXED = "mixed"


@dataclass(frozen=True)
class RegisterSources:
    """The sources of the practice register's records (synthetic, imported), so that pages
    and exports mark today's capacities as synthetic exactly when they are."""

    sources: frozenset[str]

    @property
    def synthetic(self) -> bool:
        """Some records are synthetic: figures summed over the register are marked."""
        return RecordSource.SYNTHETIC in self.sources

    @property
    def only_synthetic(self) -> bool:
        return self.sources == {RecordSource.SYNTHETIC}


_SOURCES_KEY = "klyngeplan:practices:sources:v1"


def register_sources() -> RegisterSources:
    """The register's sources; cached, and cleared by every write of the register (one
    query when not cached)."""
    hit = cache.get(_SOURCES_KEY)
    if hit is None:
        hit = frozenset(Practice.objects.values_list("source", flat=True).distinct())
        cache.set(_SOURCES_KEY, hit, 300)
    return RegisterSources(frozenset(hit))


def forget_register_sources() -> None:
    cache.delete(_SOURCES_KEY)


@dataclass(frozen=True)
class SupplySources:
    """Where each municipality's capacities today come from: ``synthetic``, ``imported`` or
    ``mixed``. A municipality without practices takes the register's own source (the
    synthetic register is what says it has none)."""

    by_municipality: dict[int, str]
    overall: str

    def of(self, *codes: int) -> str:
        found = {self.by_municipality.get(code, self.overall) for code in codes}
        return next(iter(found)) if len(found) == 1 else MIXED


def supply_sources() -> SupplySources:
    """The source of each municipality's practices; one query."""
    found: dict[int, set[str]] = {}
    for code, source in Practice.objects.values_list("municipality_id", "source").distinct():
        found.setdefault(code, set()).add(source)
    every = {source for s in found.values() for source in s}
    return SupplySources(
        by_municipality={
            code: next(iter(s)) if len(s) == 1 else MIXED for code, s in found.items()
        },
        overall=next(iter(every)) if len(every) == 1 else MIXED,
    )
