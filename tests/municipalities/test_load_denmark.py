from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Sum

from clusters.models import Area, Geography, Membership
from municipalities.models import (
    ENGINE_INDICATORS,
    DataStatus,
    DemandIndicator,
    Municipality,
    Region,
)

pytestmark = pytest.mark.usefixtures("denmark")


def test_98_municipalities_in_5_regions() -> None:
    assert Municipality.objects.count() == 98
    assert list(Region.objects.values_list("code", flat=True)) == [1081, 1082, 1083, 1084, 1085]


def test_population_total_2026() -> None:
    assert Municipality.objects.aggregate(s=Sum("population"))["s"] == 6_025_511
    assert set(Municipality.objects.values_list("population_date", flat=True)) == {
        __import__("datetime").date(2026, 1, 1)
    }


def test_every_municipality_has_a_boundary_and_an_area() -> None:
    assert not Municipality.objects.filter(boundary__isnull=True).exists()
    assert not Municipality.objects.filter(area_km2__lte=0).exists()


@pytest.mark.parametrize(
    ("slug", "areas"),
    [
        ("sundhedsklynger-21", 21),
        ("sundhedsklynger-2022", 22),
        ("regioner", 5),
        ("regioner-2027", 4),
        ("sundhedsraad-2027", 17),
    ],
)
def test_each_geography_is_a_partition(slug: str, areas: int) -> None:
    geography = Geography.objects.get(slug=slug)
    assert Area.objects.filter(geography=geography).count() == areas
    members = Counter(
        Membership.objects.filter(geography=geography).values_list("municipality_id", flat=True)
    )
    assert set(members) == set(Municipality.objects.values_list("kommunekode", flat=True))
    assert set(members.values()) == {1}
    # No empty area.
    assert not Area.objects.filter(geography=geography, memberships__isnull=True).exists()


def test_regions_geography_matches_municipality_regions() -> None:
    for m in Membership.objects.filter(geography__slug="regioner").select_related(
        "area", "municipality"
    ):
        assert m.area.slug == str(m.municipality.region_id)


def test_provisional_geography_is_marked() -> None:
    assert list(Geography.objects.filter(provisional=True).values_list("slug", flat=True)) == [
        "sundhedsraad-2027"
    ]


def test_every_engine_indicator_present_with_status_and_source() -> None:
    for indicator in ENGINE_INDICATORS:
        rows = DemandIndicator.objects.filter(indicator=indicator, year=2026)
        assert rows.count() == 98, indicator
        assert not rows.filter(source="").exists()
        # No municipal source exists for these (data/denmark/SOURCES.md): all estimated.
        assert set(rows.values_list("status", flat=True)) == {DataStatus.ESTIMATED}


def test_age_bands_add_up_to_population() -> None:
    bands = ["pop_0_17", "pop_18_64", "pop_65_79", "pop_80_plus"]
    total = DemandIndicator.objects.filter(indicator__in=bands, year=2026).aggregate(
        s=Sum("value")
    )["s"]
    assert total == pytest.approx(6_025_511)


def test_estimates_meet_their_national_rates() -> None:
    def total(ind: str) -> float:
        return DemandIndicator.objects.filter(indicator=ind, year=2026).aggregate(s=Sum("value"))[
            "s"
        ]

    assert total("multimorbid") == pytest.approx(1_200_000, rel=0.001)  # N5, Danske Patienter
    assert total("psychiatric") == pytest.approx(150_000, rel=0.001)  # N14
    assert total("residential_residents") == pytest.approx(27_100, rel=0.001)  # N13
    # Chronic: about 20 % of adults (N4).
    adults = sum(total(b) for b in ["pop_18_64", "pop_65_79", "pop_80_plus"])
    assert 0.17 < total("chronic") / adults < 0.23


def test_shortage_flag_is_sourced() -> None:
    flags = DemandIndicator.objects.filter(indicator="laegedaekningstruet_plo_2019")
    assert flags.count() == 98
    assert flags.filter(value=1).count() == 42  # PLO's May 2019 list of 42 municipalities
    assert set(flags.values_list("status", flat=True)) == {DataStatus.SOURCED}


def test_second_run_changes_nothing_and_says_so() -> None:
    out = io.StringIO()
    call_command("load_denmark", stdout=out)
    assert "Nothing changed" in out.getvalue()
    assert " 0 created, 0 updated, 0 deleted" in out.getvalue()
