"""Errors are JSON whatever the format (500 included); clone names fit their column; the
shared default scenario cannot be edited through the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from allocation import services
from allocation.models import Scenario
from tests.api.conftest import World, make_user, token_client

pytestmark = pytest.mark.usefixtures("denmark")


@pytest.mark.parametrize("fmt", ["", "?format=json", "?format=csv", "?format=csv-da"])
def test_an_error_is_json_in_every_format(fmt: str) -> None:
    client = token_client(make_user("bi", "api-client"))
    for path, code in (
        ("/api/v1/runs/999999/", 404),
        ("/api/v1/runs/999999/results/", 404),
        ("/api/v1/runs/?status=nonsense", 400),
    ):
        response = client.get(path + fmt.replace("?", "&" if "?" in path else "?"))
        assert response.status_code == code, (path, fmt)
        assert response["Content-Type"].startswith("application/json"), (path, fmt)
        assert "Content-Disposition" not in response
        assert response.json()


def test_anonymous_with_csv_gets_a_json_401() -> None:
    response = APIClient().get("/api/v1/regions/?format=csv-da")
    assert response.status_code == 401 and response.json()["detail"]


def test_a_server_error_is_json(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("api.views.scenarios.run_list", broken)
    client = token_client(make_user("bi", "api-client"))
    client.raise_request_exception = False
    for fmt in ("", "?format=csv", "?format=csv-da"):
        response = client.get("/api/v1/runs/" + fmt)
        assert response.status_code == 500
        assert response["Content-Type"].startswith("application/json")
        assert response.json() == {"detail": "Server error."}
        assert b"boom" not in response.content


def test_a_page_500_stays_html(monkeypatch: pytest.MonkeyPatch, client: Any) -> None:
    from api import exceptions

    response = exceptions.server_error(client.get("/healthz").wsgi_request)
    assert response.status_code == 500 and b"<h1>" in response.content


def test_clone_of_a_long_name_fits_the_column(world: World) -> None:
    owner = world.users["negotiator-owner"]
    assert owner is not None
    long = services.create_scenario(name="Å" * 200, owner=owner)
    client = world.client("negotiator-other")
    long.visibility = "shared"
    long.save()
    response = client.post(f"/api/v1/scenarios/{long.pk}/clone/", {}, format="json")
    assert response.status_code == 201, response.content
    name = response.json()["name"]
    assert len(name) == 200 and name.endswith("… (kopi)") and name.startswith("ÅÅÅ")
    again = client.post(f"/api/v1/scenarios/{response.json()['id']}/clone/", {}, format="json")
    assert again.status_code == 201 and len(again.json()["name"]) == 200
    too_long = client.post(
        f"/api/v1/scenarios/{long.pk}/clone/", {"name": "x" * 201}, format="json"
    )
    assert too_long.status_code == 400 and "name" in too_long.json()
    blank = client.post(f"/api/v1/scenarios/{long.pk}/clone/", {"name": ""}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()


def test_the_model_refuses_a_name_beyond_its_column(world: World) -> None:
    owner = world.users["negotiator-owner"]
    assert owner is not None
    with pytest.raises(ValidationError) as caught:
        services.create_scenario(name="x" * 201, owner=owner)
    assert "name" in caught.value.message_dict


@pytest.mark.parametrize(
    "change",
    [{"name": "Mine now"}, {"visibility": "private"}, {"description": "x"}, {"params": {}}],
)
def test_the_default_scenario_cannot_be_edited_through_the_api(
    world: World, change: dict[str, Any]
) -> None:
    default = services.ensure_default_scenario()
    before = (default.name, default.visibility, default.description, default.params)
    response = world.client("admin").patch(
        f"/api/v1/scenarios/{default.pk}/", change, format="json"
    )
    assert response.status_code == 403
    assert "clone" in response.json()["detail"]
    default.refresh_from_db()
    assert (default.name, default.visibility, default.description, default.params) == before
    # everyone still sees it, and cloning it is the way to change it
    assert world.client("viewer").get(f"/api/v1/scenarios/{default.pk}/").status_code == 200
    clone = world.client("negotiator-other").post(
        f"/api/v1/scenarios/{default.pk}/clone/", {}, format="json"
    )
    assert clone.status_code == 201
    assert not Scenario.objects.get(pk=clone.json()["id"]).is_default
