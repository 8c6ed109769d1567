"""The coverage method once called "national-model" is "proportional-new": stored scenarios
are migrated, stored runs still read."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from allocation.engine import AllocationParams, ParamsError
from allocation.engine.params import COVERAGE_METHODS
from allocation.models import Scenario
from reports.parameters import format_value
from tests.allocation.factories import ScenarioFactory


def _scenario(method: str) -> Scenario:
    return ScenarioFactory.create(
        params={**AllocationParams().to_dict(), "coverage_method": method}
    )


rename = import_module("allocation.migrations.0008_coverage_method_proportional_new")


@pytest.mark.django_db
def test_the_migration_renames_the_method_in_stored_scenarios_and_back() -> None:
    old, other = _scenario("national-model"), _scenario("deficit")
    rename.forwards(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.params["coverage_method"] == "proportional-new"
    assert other.params["coverage_method"] == "deficit"
    # The rest of the parameters are untouched.
    assert {k: v for k, v in old.params.items() if k != "coverage_method"} == {
        k: v for k, v in AllocationParams().to_dict().items() if k != "coverage_method"
    }
    rename.backwards(apps, None)
    assert Scenario.objects.get(pk=old.pk).params["coverage_method"] == "national-model"


def test_a_stored_run_with_the_old_name_reads_as_the_new_method() -> None:
    assert "national-model" not in COVERAGE_METHODS
    params = AllocationParams.from_dict({"coverage_method": "national-model"})
    assert params.coverage_method == "proportional-new"
    # A new scenario cannot be given the old name.
    with pytest.raises(ParamsError, match="coverage_method"):
        AllocationParams(coverage_method="national-model")


def test_a_stored_run_shows_the_label_of_the_method_it_ran() -> None:
    assert format_value("national-model") == format_value("proportional-new")
    assert format_value("proportional-new") != "proportional-new"
