import pytest
from django.db import IntegrityError, transaction

from clusters.models import Area, Membership
from clusters.selectors import area_summaries, geography_summary

pytestmark = pytest.mark.usefixtures("denmark")


def test_database_refuses_a_municipality_in_two_areas_of_one_geography() -> None:
    existing = Membership.objects.filter(geography__slug="regioner", municipality_id=101).get()
    other = Area.objects.filter(geography__slug="regioner").exclude(pk=existing.area_id).first()
    assert other is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            geography_id=existing.geography_id, area=other, municipality_id=101
        )


def test_area_summaries_add_up_to_denmark() -> None:
    areas = area_summaries(geography="sundhedsklynger-21")
    assert len(areas) == 21
    assert sum(a.population for a in areas) == 6_025_511
    assert sum(len(a.municipalities) for a in areas) == 98
    assert sum(a.capacities for a in areas) == 3500


def test_the_geography_summary_totals_are_denmarks_in_every_geography() -> None:
    from municipalities.models import Municipality
    from practices.models import Practice

    population = sum(Municipality.objects.values_list("population", flat=True))
    capacities = sum(Practice.objects.values_list("capacities", flat=True))
    for slug in ("regioner", "sundhedsklynger-21"):
        summary = geography_summary(geography=slug)
        assert summary.population == population == 6_025_511
        assert summary.capacities == capacities
        assert summary.practices == Practice.objects.count()
