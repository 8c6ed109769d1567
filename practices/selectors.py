"""Reads for the practice register: the pages and the API use the same ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from practices.models import Practice, PracticeChange, RecordSource


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
) -> QuerySet[Practice]:
    """Practices with their municipality, region and number of doctors; one query per page.

    ``q`` searches the name or the start of the ydernummer; ``area`` is an area slug within
    ``geography``. Ordered by ydernummer, or by municipality name then ydernummer.
    """
    qs = (
        Practice.objects.select_related("municipality", "municipality__region")
        .defer("municipality__boundary")
        .annotate(doctor_count=Count("doctors"))
        .order_by(*(("municipality__name", "ydernummer") if by_municipality else ("ydernummer",)))
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


def practice_changes(*, practice: Practice) -> list[PracticeChange]:
    """The practice's change log, newest first, with who made each change; one query."""
    return list(PracticeChange.objects.filter(practice=practice).select_related("user"))


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
