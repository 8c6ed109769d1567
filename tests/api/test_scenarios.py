"""Scenarios and runs through the API: create, edit, clone, request a run (202)."""

from __future__ import annotations

from unittest.mock import patch

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from allocation.models import AllocationRun, DataLock, RunStatus, Scenario
from practices.models import API_EDIT, Practice
from tests.api.conftest import HOVEDSTADEN, make_user, token_client
from tests.checksums import checksums

pytestmark = pytest.mark.usefixtures("denmark", "eager_tasks")


@pytest.fixture
def negotiator() -> APIClient:
    return token_client(make_user("neg", "negotiator"))


def test_create_refuses_bad_params_naming_the_field(negotiator: APIClient) -> None:
    response = negotiator.post(
        "/api/v1/scenarios/", {"name": "Bad", "params": {"transition": 800}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["params"] and "total" in response.json()["params"]
    response = negotiator.post(
        "/api/v1/scenarios/", {"name": "Bad", "params": {"colour": "red"}}, format="json"
    )
    assert response.status_code == 400 and "colour" in response.json()["params"]
    response = negotiator.post("/api/v1/scenarios/", {"params": {}}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Scenario.objects.filter(name="Bad").exists()


def test_create_edit_clone_and_run(negotiator: APIClient) -> None:
    created = negotiator.post(
        "/api/v1/scenarios/",
        {"name": "Mine", "params": {"sensitivity_draws": 50, "coverage": 700, "transition": 600}},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["Location"] == body["url"] and body["visibility"] == "private"
    assert body["params"]["coverage"] == 700 and body["can_edit"] and body["owner"] == "neg"

    edited = negotiator.patch(body["url"], {"visibility": "shared", "description": "x"})
    assert edited.status_code == 200 and edited.json()["visibility"] == "shared"
    bad = negotiator.patch(body["url"], {"params": {**body["params"], "coverage": -1}})
    assert bad.status_code == 400 and "params" in bad.json()

    clone = negotiator.post(f"{body['url']}clone/", {"name": "Copy"}, format="json")
    assert clone.status_code == 201 and clone.json()["based_on"] == body["id"]
    assert clone.json()["visibility"] == "private"

    requested = negotiator.post("/api/v1/runs/", {"scenario": body["id"]}, format="json")
    assert requested.status_code == 202, requested.content
    run = requested.json()
    assert requested["Location"] == run["url"] and run["url"].endswith(f"/runs/{run['id']}/")
    assert run["status"] == RunStatus.SUCCEEDED  # tasks run in-process in this test
    assert run["totals"]["total"] == 1500 and set(run["links"]) >= {"results", "placements"}
    polled = negotiator.get(run["url"]).json()
    assert polled["progress"] == 100 and polled["params"]["coverage"] == 700
    again = negotiator.post("/api/v1/runs/", {"scenario": body["id"]}, format="json")
    assert again.json()["id"] == run["id"]  # same data and parameters: the same run
    assert AllocationRun.objects.filter(scenario_id=body["id"]).count() == 1


def test_run_list_filters(negotiator: APIClient) -> None:
    scenario = negotiator.post(
        "/api/v1/scenarios/", {"name": "S", "params": {"sensitivity_draws": 50}}, format="json"
    ).json()
    negotiator.post("/api/v1/runs/", {"scenario": scenario["id"]}, format="json")
    runs = negotiator.get("/api/v1/runs/", {"scenario": scenario["id"]}).json()
    assert runs["count"] == 1 and runs["results"][0]["scenario"] == scenario["id"]
    assert negotiator.get("/api/v1/runs/", {"status": "failed"}).json()["count"] == 0
    assert negotiator.get("/api/v1/runs/", {"status": "nope"}).status_code == 400


def test_run_request_for_unknown_scenario_names_the_field(negotiator: APIClient) -> None:
    response = negotiator.post("/api/v1/runs/", {"scenario": 999999}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["scenario"]


def test_planner_edits_a_practice_of_their_region_and_it_is_recorded() -> None:
    planner = make_user("ph", "planner", region=HOVEDSTADEN)
    practice = Practice.objects.filter(municipality__region_id=HOVEDSTADEN).first()
    assert practice is not None
    client = token_client(planner)
    url = f"/api/v1/practices/{practice.ydernummer}/"
    response = client.patch(url, {"capacities": "2.50", "open_to_new_patients": True})
    assert response.status_code == 200, response.content
    assert response.json()["capacities"] == 2.5 and response.json()["open_to_new_patients"]
    practice.refresh_from_db()
    assert str(practice.capacities) == "2.50"
    assert Practice.history.filter(
        id=practice.pk, history_user=planner, history_change_reason=API_EDIT, capacities=2.5
    ).exists()
    bad = client.patch(url, {"capacities": "0", "form": "castle"})
    assert bad.status_code == 400 and set(bad.json()) == {"capacities", "form"}


def test_an_api_edit_while_an_import_holds_the_data_lock_is_refused() -> None:
    planner = make_user("pl", "planner", region=HOVEDSTADEN)
    practice = Practice.objects.filter(municipality__region_id=HOVEDSTADEN).first()
    assert practice is not None
    before = checksums(Practice)

    def held(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")  # as while an import holds it

    with patch.object(DataLock.objects, "select_for_update", side_effect=held):
        response = token_client(planner).patch(
            f"/api/v1/practices/{practice.ydernummer}/", {"listed_patients": 1234}
        )
    assert response.status_code == 409 and response["Retry-After"] == "5"
    assert "import" in response.json()["detail"]
    assert checksums(Practice) == before and not Practice.history.exists()
