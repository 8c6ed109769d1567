from __future__ import annotations

import factory
from django.contrib.auth.models import User

from allocation.engine import AllocationParams
from allocation.models import AllocationRun, Scenario, Visibility


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")


class ScenarioFactory(factory.django.DjangoModelFactory[Scenario]):
    class Meta:
        model = Scenario

    name = factory.Sequence(lambda n: f"Scenario {n}")
    owner = factory.SubFactory(UserFactory)
    visibility = Visibility.PRIVATE
    # Few sensitivity draws keep unit tests quick; the engine's defaults are tested there.
    params = factory.LazyFunction(lambda: {**AllocationParams().to_dict(), "sensitivity_draws": 50})


class AllocationRunFactory(factory.django.DjangoModelFactory[AllocationRun]):
    """A bare run row, for tests of the run life cycle (no engine involved)."""

    class Meta:
        model = AllocationRun

    scenario = factory.SubFactory(ScenarioFactory)
    params = factory.LazyAttribute(lambda run: run.scenario.params)
    inputs_hash = "x"
    triggered_by = "user"
