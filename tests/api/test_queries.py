"""List endpoints make a fixed number of queries, whatever their length."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

import api.caching
from allocation import services
from allocation.models import AllocationRun, Visibility
from tests.allocation.factories import ScenarioFactory
from tests.api.conftest import finish


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count the queries of building a response, not of reading it from the cache."""
    monkeypatch.setattr(api.caching, "cache", DummyCache("none", {}))


def queries(client: APIClient, url: str, params: dict[str, Any] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def count_for(client: APIClient) -> Callable[..., int]:
    def measure(url: str, **params: Any) -> int:
        queries(client, url, params)  # warm: the first call may load content types etc.
        return queries(client, url, params)

    return measure


# A token request costs 3 queries before the view: the token, the user's other tokens
# (knox drops expired ones) and the user's roles.
AUTH = 3


@pytest.mark.parametrize(
    ("url", "small", "large", "budget"),
    [
        ("/api/v1/regions/", {}, {}, 1),
        ("/api/v1/municipalities/", {"region": 1081}, {}, 3),
        (
            "/api/v1/municipalities/",
            {"area": "bornholm"},
            {"area": "1084", "geography": "regioner"},
            4,
        ),
        ("/api/v1/geographies/", {}, {}, 1),
        ("/api/v1/practices/", {"page_size": 2}, {"page_size": 1000}, 2),
        ("/api/v1/practices/", {"region": 1081}, {"open": "false"}, 2),
    ],
)
def test_reference_lists(
    denmark: None,
    reader: APIClient,
    url: str,
    small: dict[str, Any],
    large: dict[str, Any],
    budget: int,
) -> None:
    measure = count_for(reader)
    assert measure(url, **small) == measure(url, **large) <= AUTH + budget


def test_geography_detail(denmark: None, reader: APIClient) -> None:
    measure = count_for(reader)
    url = "/api/v1/geographies/{}/"
    assert measure(url.format("regioner")) == measure(url.format("sundhedsklynger-21")) == AUTH + 3


def test_scenario_and_run_lists(denmark: None, eager_tasks: None, reader: APIClient) -> None:
    measure = count_for(reader)

    def add_scenario_with_run() -> None:
        scenario = ScenarioFactory.create(visibility=Visibility.SHARED)
        AllocationRun.objects.create(
            scenario=scenario, params={}, inputs_hash="x", triggered_by="user"
        )
        # someone else's private scenario: filtered out, not counted
        ScenarioFactory.create(visibility=Visibility.PRIVATE)

    add_scenario_with_run()
    one_scenario, one_run = measure("/api/v1/scenarios/"), measure("/api/v1/runs/")
    for _ in range(5):
        add_scenario_with_run()
    assert measure("/api/v1/scenarios/") == one_scenario <= AUTH + 2
    assert measure("/api/v1/runs/") == one_run <= AUTH + 2


def test_run_result_lists(finished_run: AllocationRun, reader: APIClient) -> None:
    measure = count_for(reader)
    base = f"/api/v1/runs/{finished_run.pk}"
    # the run (with its scenario) and the geography check come first
    assert measure(f"{base}/results/", level="area", geography="regioner") == measure(
        f"{base}/results/", level="area"
    )
    assert measure(f"{base}/results/", level="area") <= AUTH + 5
    assert measure(f"{base}/results/", geography="regioner") == measure(f"{base}/results/")
    assert measure(f"{base}/placements/", page_size=5) == measure(
        f"{base}/placements/", page_size=1500
    )
    assert measure(f"{base}/placements/", page_size=5) <= AUTH + 3
    assert measure(f"{base}/phasing/", page_size=5) == measure(f"{base}/phasing/", page_size=5000)
    assert measure(f"{base}/phasing/", level="area") <= AUTH + 4
    assert measure(f"{base}/sensitivity/") == measure(f"{base}/sensitivity/", level="area")
    assert measure(f"{base}/metrics/") <= AUTH + 2  # the run's state, then its metrics


def test_compare_is_fixed_too(finished_run: AllocationRun, reader: APIClient) -> None:
    other = finish(
        services.request_run(
            scenario=ScenarioFactory.create(
                visibility=Visibility.SHARED,
                params={**finished_run.params, "coverage": 500, "transition": 800},
            )
        )
    )
    measure = count_for(reader)
    params = {"a": finished_run.pk, "b": other.pk, "level": "area"}
    assert measure("/api/v1/compare/", **params) == measure(
        "/api/v1/compare/", geography="regioner", **params
    )


def test_finished_results_are_served_from_the_cache(
    finished_run: AllocationRun, reader: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.caching, "cache", LocMemCache(f"results-{uuid.uuid4()}", {}))
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    with CaptureQueriesContext(connection) as built:
        first = reader.get(url, {"level": "area"})
    with CaptureQueriesContext(connection) as cached:
        second = reader.get(url, {"level": "area"})
    assert first.json() == second.json()
    # the cache saves the geography check and the two queries of the area rows (the stored
    # area results and the areas' hospitals)
    assert len(cached) == len(built) - 3
    assert reader.get(url, {"level": "area", "pillar": "coverage"}).json() != first.json()
