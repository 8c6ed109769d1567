"""Reads for regions, municipalities and their demand data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from clusters.models import Membership
from municipalities.models import (
    ENGINE_INDICATORS,
    DataStatus,
    DemandIndicator,
    Indicator,
    Municipality,
    Region,
)


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("code")


def region_get(*, code: int) -> Region | None:
    return Region.objects.filter(code=code).first()


def shortage_municipalities() -> frozenset[int]:
    """The GP shortage municipalities (lægedækningstruede kommuner) on PLO's list of May
    2019, the indicator ``laegedaekningstruet_plo_2019`` (data/denmark/SOURCES.md); one
    query."""
    return frozenset(
        DemandIndicator.objects.filter(
            indicator=Indicator.SHORTAGE_PLO_2019, value__gte=1
        ).values_list("municipality_id", flat=True)
    )


@dataclass(frozen=True)
class LatestIndicator:
    year: int
    value: float
    status: str
    source: str
    imported: bool


def _with_latest(municipalities: list[Municipality]) -> list[Municipality]:
    """Attach ``latest_indicators`` (indicator → its newest value), ``areas`` (geography
    slug → area slug) and ``area_list`` ((geography, area) pairs, settled geographies first)
    to municipalities fetched with the prefetches of this module."""
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
        m.area_list = sorted(  # type: ignore[attr-defined]
            ((ms.geography, ms.area) for ms in m.memberships.all()),
            key=lambda pair: (pair[0].provisional, pair[0].slug),
        )
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
                    "municipality_id",
                    "geography__slug",
                    "geography__name",
                    "geography__provisional",
                    "area__slug",
                    "area__name",
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


def municipality_queryset() -> QuerySet[Municipality]:
    """Municipalities by kommunekode, for a caller that narrows them further (the API's
    filters) before :func:`municipality_rows`."""
    return Municipality.objects.order_by("kommunekode")


LATEST_FIELDS = ("year", "value", "status", "source", "imported")  # LatestIndicator's
MUNICIPALITY_FIELDS = (
    "kommunekode",
    "name",
    "region_id",
    "region__name",
    "population",
    "population_date",
    "area_km2",
)


def municipality_rows(*, municipalities: QuerySet[Municipality]) -> list[dict[str, Any]]:
    """:func:`municipality_list`'s municipalities as plain rows, for a long list: the
    ``MUNICIPALITY_FIELDS`` (``.values()`` names), ``areas`` (geography slug → area slug)
    and ``latest_indicators`` (indicator → a dict of LatestIndicator's fields), without a
    model instance for any of them. ``municipalities`` is :func:`municipality_queryset`,
    narrowed. Three queries, as there."""
    rows = list(municipalities.values(*MUNICIPALITY_FIELDS))
    codes = [row["kommunekode"] for row in rows]
    latest: dict[int, dict[str, dict[str, Any]]] = {code: {} for code in codes}
    # Newest year first: the first value seen of an indicator is its latest.
    for code, indicator, *values in (
        DemandIndicator.objects.filter(municipality_id__in=codes)
        .order_by("indicator", "-year")
        .values_list("municipality_id", "indicator", *LATEST_FIELDS)
    ):
        latest[code].setdefault(indicator, dict(zip(LATEST_FIELDS, values, strict=True)))
    areas: dict[int, dict[str, str]] = {code: {} for code in codes}
    for code, geography, area in Membership.objects.filter(municipality_id__in=codes).values_list(
        "municipality_id", "geography__slug", "area__slug"
    ):
        areas[code][geography] = area
    for row in rows:
        code = row["kommunekode"]
        row["latest_indicators"] = dict(sorted(latest[code].items()))
        row["areas"] = areas[code]
    return rows


def municipality_get(*, kommunekode: int) -> Municipality | None:
    found = list(_municipalities().filter(kommunekode=kommunekode))
    return _with_latest(found)[0] if found else None


def municipality_names() -> list[Municipality]:
    """The 98 municipalities by name, without their boundaries (for filters); one query."""
    return list(Municipality.objects.defer("boundary").order_by("name"))


def indicator_rows(*, indicators: Iterable[str] = ENGINE_INDICATORS) -> list[tuple[Any, ...]]:
    """Every stored value of ``indicators``: kommunekode, municipality, indicator, year,
    value, status, source; one query."""
    return list(
        DemandIndicator.objects.filter(indicator__in=list(indicators))
        .order_by("municipality_id", "indicator", "year")
        .values_list(
            "municipality_id",
            "municipality__name",
            "indicator",
            "year",
            "value",
            "status",
            "source",
        )
    )


def indicator_list() -> QuerySet[DemandIndicator]:
    """Every stored demand value with its municipality's name, by kommunekode, indicator and
    year: the long format of the demand data. One query per page."""
    return (
        DemandIndicator.objects.select_related("municipality")
        .only(
            "municipality__kommunekode",
            "municipality__name",
            "indicator",
            "year",
            "value",
            "status",
            "source",
            "imported",
        )
        .order_by("municipality_id", "indicator", "year")
    )


_ESTIMATED_KEY = "klyngeplan:indicators:estimated:v1:"


def estimated_indicators(*, indicators: Iterable[str] = ENGINE_INDICATORS) -> list[str]:
    """Those of ``indicators`` with an estimated value somewhere (in indicator order). What
    the pages and exports call estimated comes from here, not from a list. Cached, and
    cleared by the writes of demand data (one query when not cached)."""
    wanted = list(indicators)
    key = _ESTIMATED_KEY + ",".join(wanted)
    found = cache.get(key)
    if found is None:
        found = set(
            DemandIndicator.objects.filter(indicator__in=wanted, status=DataStatus.ESTIMATED)
            .values_list("indicator", flat=True)
            .distinct()
        )
        cache.set(key, found, 300)
    return [i for i in wanted if i in found]


def forget_estimated_indicators() -> None:
    cache.delete(_ESTIMATED_KEY + ",".join(ENGINE_INDICATORS))


_GEOJSON_KEY = "klyngeplan:municipalities.geojson:v1"


def municipalities_geojson() -> tuple[bytes, str]:
    """The 98 municipality boundaries as one FeatureCollection (feature id = kommunekode),
    and its ETag. Cached: boundaries change only when the reference data is reloaded,
    which also changes the ETag (it hashes the content)."""
    hit = cache.get(_GEOJSON_KEY)
    if hit is not None:
        return hit[0], hit[1]
    features = [
        {"type": "Feature", "id": code, "properties": {"name": name}, "geometry": boundary}
        for code, name, boundary in Municipality.objects.filter(boundary__isnull=False)
        .order_by("kommunekode")
        .values_list("kommunekode", "name", "boundary")
    ]
    body = json.dumps(
        {"type": "FeatureCollection", "features": features}, separators=(",", ":")
    ).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    cache.set(_GEOJSON_KEY, (body, etag), 3600)
    return body, etag
