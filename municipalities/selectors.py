"""Reads for regions, municipalities and their demand data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from clusters.models import Membership
from municipalities.models import DemandIndicator, Municipality, Region


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("code")


@dataclass(frozen=True)
class LatestIndicator:
    year: int
    value: float
    status: str
    source: str
    imported: bool


def _with_latest(municipalities: list[Municipality]) -> list[Municipality]:
    """Attach ``latest_indicators`` (indicator → its newest value) and ``areas`` (geography
    slug → area slug) to municipalities fetched with the prefetches of this module."""
    for m in municipalities:
        latest: dict[str, LatestIndicator] = {}
        for ind in m.indicators.all():  # newest year first, see the prefetch
            latest.setdefault(
                ind.indicator,
                LatestIndicator(ind.year, ind.value, ind.status, ind.source, ind.imported),
            )
        m.latest_indicators = dict(sorted(latest.items()))  # type: ignore[attr-defined]
        m.areas = {  # type: ignore[attr-defined]
            ms.geography.slug: ms.area.slug for ms in m.memberships.all()
        }
    return municipalities


def _municipalities() -> QuerySet[Municipality]:
    return (
        Municipality.objects.select_related("region")
        .defer("boundary")
        .prefetch_related(
            Prefetch(
                "indicators",
                queryset=DemandIndicator.objects.order_by("indicator", "-year"),
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("geography", "area").only(
                    "municipality_id", "geography__slug", "area__slug"
                ),
            ),
        )
        .order_by("kommunekode")
    )


def municipality_list(
    *, region: int | None = None, area: str | None = None, geography: str | None = None
) -> list[Municipality]:
    """Municipalities with their latest demand indicators and areas; three queries.

    ``area`` is an area slug within ``geography``.
    """
    qs = _municipalities()
    if region is not None:
        qs = qs.filter(region_id=region)
    if area is not None:
        qs = qs.filter(memberships__geography__slug=geography, memberships__area__slug=area)
    return _with_latest(list(qs))


def municipality_get(*, kommunekode: int) -> Municipality | None:
    found = list(_municipalities().filter(kommunekode=kommunekode))
    return _with_latest(found)[0] if found else None
