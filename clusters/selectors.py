"""Reads for geographies and their areas."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Prefetch, Sum

from clusters.models import DEFAULT_GEOGRAPHY, Area, Geography, Membership
from practices.models import Practice


@dataclass
class MunicipalityRow:
    kommunekode: int
    name: str
    population: int
    capacities: Decimal
    practices: int

    @property
    def citizens_per_capacity(self) -> float | None:
        return self.population / float(self.capacities) if self.capacities else None


@dataclass
class AreaSummary:
    slug: str
    name: str
    hospital: str
    municipalities: list[MunicipalityRow] = field(default_factory=list)

    @property
    def population(self) -> int:
        return sum(m.population for m in self.municipalities)

    @property
    def capacities(self) -> Decimal:
        return sum((m.capacities for m in self.municipalities), Decimal(0))

    @property
    def practices(self) -> int:
        return sum(m.practices for m in self.municipalities)

    @property
    def citizens_per_capacity(self) -> float | None:
        return self.population / float(self.capacities) if self.capacities else None


_GEOGRAPHIES_KEY = "klyngeplan:geographies:v1"


def geographies() -> list[Geography]:
    """The planning geographies, settled ones first; cached for a few minutes (reference
    data, which changes only when Denmark is reloaded)."""
    hit = cache.get(_GEOGRAPHIES_KEY)
    if hit is None:
        hit = list(Geography.objects.order_by("provisional", "slug"))
        cache.set(_GEOGRAPHIES_KEY, hit, 300)
    return list(hit)


def memberships(*, geography: str) -> dict[int, tuple[str, str, str]]:
    """kommunekode -> (area slug, area name, hospital) in ``geography``. One query."""
    return {
        code: (slug, name, hospital)
        for code, slug, name, hospital in Membership.objects.filter(
            geography__slug=geography
        ).values_list("municipality_id", "area__slug", "area__name", "area__hospital")
    }


def area_get(*, geography: str, slug: str) -> Area | None:
    """One area of a geography, with its geography; one query."""
    return (
        Area.objects.select_related("geography")
        .filter(geography__slug=geography, slug=slug)
        .first()
    )


def area_summaries(*, geography: str = DEFAULT_GEOGRAPHY) -> list[AreaSummary]:
    """Areas of a geography with their municipalities, populations and today's capacities.

    Three queries whatever the size of the geography.
    """
    supply: dict[int, dict[str, Any]] = {
        row["municipality_id"]: dict(row)
        for row in Practice.objects.values("municipality_id").annotate(
            capacities=Sum("capacities"), practices=Count("id")
        )
    }
    areas = {
        a.pk: AreaSummary(a.slug, a.name, a.hospital)
        for a in Area.objects.filter(geography__slug=geography)
    }
    members = (
        Membership.objects.filter(geography__slug=geography)
        .select_related("municipality")
        .only("area_id", "municipality__name", "municipality__population")
        .order_by("municipality__name")
    )
    for m in members:
        s: dict[str, Any] = supply.get(m.municipality_id, {})
        areas[m.area_id].municipalities.append(
            MunicipalityRow(
                kommunekode=m.municipality_id,
                name=m.municipality.name,
                population=m.municipality.population,
                capacities=s.get("capacities") or Decimal(0),
                practices=s.get("practices") or 0,
            )
        )
    return sorted(areas.values(), key=lambda a: a.name)


@dataclass(frozen=True)
class GeographySummary:
    """A geography's areas (:func:`area_summaries`) and Denmark's totals over them."""

    areas: list[AreaSummary]

    @property
    def population(self) -> int:
        return sum(a.population for a in self.areas)

    @property
    def capacities(self) -> Decimal:
        return sum((a.capacities for a in self.areas), Decimal(0))

    @property
    def practices(self) -> int:
        return sum(a.practices for a in self.areas)


def geography_summary(*, geography: str = DEFAULT_GEOGRAPHY) -> GeographySummary:
    """The clusters page's table: :func:`area_summaries` with their totals. Three queries."""
    return GeographySummary(area_summaries(geography=geography))


# --- for the API -----------------------------------------------------------------------


def geographies_with_area_counts() -> list[Geography]:
    """Every geography with ``area_count``; one query."""
    return list(
        Geography.objects.annotate(area_count=Count("areas")).order_by("provisional", "slug")
    )


def geography_get(*, slug: str) -> Geography | None:
    """A geography with its areas and their memberships (municipality names); three queries."""
    members = Membership.objects.select_related("municipality").only(
        "area", "municipality", "confidence", "municipality__name"
    )
    return (
        Geography.objects.annotate(area_count=Count("areas"))
        .prefetch_related(
            Prefetch(
                "areas",
                queryset=Area.objects.order_by("name").prefetch_related(
                    Prefetch("memberships", queryset=members.order_by("municipality_id"))
                ),
            )
        )
        .filter(slug=slug)
        .first()
    )


def geography_exists(*, slug: str) -> bool:
    return Geography.objects.filter(slug=slug).exists()


def geography_slugs() -> list[str]:
    return list(Geography.objects.order_by("slug").values_list("slug", flat=True))
