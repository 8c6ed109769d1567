"""Factories for tests that need their own small world beside the real data.

Codes start at 901 so they never collide with the 98 real municipalities.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from accounts.models import Profile
from municipalities.models import Municipality, Region
from practices.models import Doctor, Practice, PracticeForm, RecordSource


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = 1081
    name = "Nordjylland"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    kommunekode = factory.Sequence(lambda n: 901 + n % 98)
    name = factory.Sequence(lambda n: f"Testkommune {n}")
    region = factory.SubFactory(RegionFactory)
    population = 40_000
    population_date = dt.date(2026, 1, 1)
    area_km2 = Decimal("400.0")


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    ydernummer = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Testpraksis {n}")
    municipality = factory.SubFactory(MunicipalityFactory)
    form = PracticeForm.PARTNERSHIP
    open_to_new_patients = False
    listed_patients = 3400
    capacities = Decimal("2.00")
    source = RecordSource.IMPORTED


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    practice = factory.SubFactory(PracticeFactory)
    birth_year = 1970
    fte = Decimal("1.00")
    source = RecordSource.IMPORTED


def user_with_role(username: str, role: str, *, region: int | None = None) -> User:
    """A user in ``role`` (a group, as accounts.services makes them), with a region."""
    user = User.objects.create_user(username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if region is not None:
        Profile.objects.create(user=user, region_id=region)
    return user
