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


LATEST_FIELDS = ("year", "value", "status", "source", "imported")  # LatestIndicator's


def _latest_values(codes: list[int]) -> dict[int, dict[str, tuple[Any, ...]]]:
    """Each municipality's newest value of each indicator, as a tuple of ``LATEST_FIELDS``,
    indicators in name order; one query. The one place that says which value is "latest"
    (the newest year), for the pages and the API alike."""
    latest: dict[int, dict[str, tuple[Any, ...]]] = {code: {} for code in codes}
    # Newest year first: the first value seen of an indicator is its latest.
    for code, indicator, *values in (
        DemandIndicator.objects.filter(municipality_id__in=codes)
        .order_by("indicator", "-year")
        .values_list("municipality_id", "indicator", *LATEST_FIELDS)
    ):
        latest[code].setdefault(indicator, tuple(values))
    return {code: dict(sorted(values.items())) for code, values in latest.items()}


def municipality_queryset() -> QuerySet[Municipality]:
    """Municipalities by kommunekode, for a caller that narrows them further (the API's
    filters) before :func:`municipality_rows`."""
    return Municipality.objects.order_by("kommunekode")


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
    """Municipalities as plain rows, for a long list: the ``MUNICIPALITY_FIELDS``
    (``.values()`` names), ``areas`` (geography slug → area slug) and ``latest_indicators``
    (indicator → a dict of LatestIndicator's fields), without a model instance for any of
    them. ``municipalities`` is :func:`municipality_queryset`, narrowed. Three queries."""
    rows = list(municipalities.values(*MUNICIPALITY_FIELDS))
    codes = [row["kommunekode"] for row in rows]
    latest = _latest_values(codes)
    areas: dict[int, dict[str, str]] = {code: {} for code in codes}
    for code, geography, area in Membership.objects.filter(municipality_id__in=codes).values_list(
        "municipality_id", "geography__slug", "area__slug"
    ):
        areas[code][geography] = area
    for row in rows:
        code = row["kommunekode"]
        row["latest_indicators"] = {
            indicator: dict(zip(LATEST_FIELDS, values, strict=True))
            for indicator, values in latest[code].items()
        }
        row["areas"] = areas[code]
    return rows


def municipality_get(*, kommunekode: int) -> Municipality | None:
    """One municipality (without its boundary) with ``latest_indicators`` (indicator → its
    LatestIndicator), ``areas`` (geography slug → area slug) and ``area_list`` ((geography,
    area) pairs, settled geographies first) attached; three queries."""
    m = (
        Municipality.objects.select_related("region")
        .defer("boundary")
        .prefetch_related(
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
        .filter(kommunekode=kommunekode)
        .first()
    )
    if m is None:
        return None
    m.latest_indicators = {  # type: ignore[attr-defined]
        indicator: LatestIndicator(*values)
        for indicator, values in _latest_values([kommunekode])[kommunekode].items()
    }
    memberships = list(m.memberships.all())
    m.areas = {ms.geography.slug: ms.area.slug for ms in memberships}  # type: ignore[attr-defined]
    m.area_list = sorted(  # type: ignore[attr-defined]
        ((ms.geography, ms.area) for ms in memberships),
        key=lambda pair: (pair[0].provisional, pair[0].slug),
    )
    return m


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
