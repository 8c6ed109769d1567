"""The synthetic register meets the published figures it is calibrated to."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from municipalities.models import Municipality
from practices.models import CLOSING_LIST_SIZE, Doctor, Practice, RecordSource
from practices.services import synthetic_register_rows

pytestmark = pytest.mark.usefixtures("denmark")
REGION_GP_COUNTS = {1081: 285, 1085: 435, 1082: 798, 1083: 775, 1084: 1033}


def test_about_3500_capacities() -> None:
    total = Practice.objects.aggregate(s=Sum("capacities"))["s"]
    assert total == pytest.approx(3500, rel=0.02)


def test_regional_shares_follow_plo_counts() -> None:
    total = float(Practice.objects.aggregate(s=Sum("capacities"))["s"])
    per_region = dict(
        Practice.objects.values("municipality__region_id")
        .annotate(s=Sum("capacities"))
        .values_list("municipality__region_id", "s")
    )
    for region, count in REGION_GP_COUNTS.items():
        expected = count / sum(REGION_GP_COUNTS.values())
        assert float(per_region[region]) / total == pytest.approx(expected, rel=0.02), region


def test_practice_count_and_solo_shares() -> None:
    n = Practice.objects.count()
    assert 1700 <= n <= 1950
    solo = Practice.objects.filter(form="solo").count() / n
    assert solo == pytest.approx(0.49, abs=0.02)
    hov = Practice.objects.filter(municipality__region_id=1084)
    assert hov.filter(form="solo").count() / hov.count() == pytest.approx(0.60, abs=0.02)


def test_listed_patients_sum_to_population() -> None:
    listed = Practice.objects.aggregate(s=Sum("listed_patients"))["s"]
    population = Municipality.objects.aggregate(s=Sum("population"))["s"]
    assert listed == pytest.approx(population, rel=0.02)
    assert listed / 3500 == pytest.approx(1720, rel=0.02)


def test_nordjylland_has_the_highest_list_per_capacity() -> None:
    rows = Practice.objects.values("municipality__region_id").annotate(
        p=Sum("listed_patients"), c=Sum("capacities")
    )
    per_capacity = {r["municipality__region_id"]: r["p"] / float(r["c"]) for r in rows}
    assert max(per_capacity, key=per_capacity.__getitem__) == 1081


def test_two_thirds_closed_and_closing_rule_holds() -> None:
    n = Practice.objects.count()
    closed = Practice.objects.filter(open_to_new_patients=False)
    assert closed.count() / n == pytest.approx(2 / 3, abs=0.02)
    for p in Practice.objects.all():
        assert p.open_to_new_patients == (
            p.listed_patients / float(p.capacities) < CLOSING_LIST_SIZE
        )


def test_doctors_aged_60_plus() -> None:
    doctors = Doctor.objects.count()
    old = Doctor.objects.filter(birth_year__lte=2026 - 60).count()
    assert old / doctors == pytest.approx(0.27, abs=0.02)
    # One doctor per capacity; FTE adds up to the practice's capacities.
    sums: defaultdict[int, Decimal] = defaultdict(Decimal)
    for practice_id, fte in Doctor.objects.values_list("practice_id", "fte"):
        sums[practice_id] += fte
    for p in Practice.objects.all():
        assert sums[p.pk] == pytest.approx(p.capacities, abs=Decimal("0.05"))


def test_laesoe_has_no_practice() -> None:
    assert not Practice.objects.filter(municipality_id=825).exists()
    without = Municipality.objects.annotate(n=Count("practices")).filter(n=0)
    assert list(without.values_list("kommunekode", flat=True)) == [825]


def test_every_record_is_marked_synthetic() -> None:
    assert set(Practice.objects.values_list("source", flat=True)) == {RecordSource.SYNTHETIC}
    assert set(Doctor.objects.values_list("source", flat=True)) == {RecordSource.SYNTHETIC}


def test_generation_is_deterministic_by_seed() -> None:
    assert synthetic_register_rows(seed=11) == synthetic_register_rows(seed=11)
    assert synthetic_register_rows(seed=11) != synthetic_register_rows(seed=12)
