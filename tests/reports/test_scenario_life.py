"""A scenario's life: draft → proposed → agreed with who and when; an agreed scenario is
locked on the page and in the API (409); a clone is named and described by its author."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from allocation import services
from allocation.models import Scenario, ScenarioStatus, ScenarioTransition
from tests.reports.conftest import Site
from tests.reports.test_actions import editor_data


@pytest.fixture
def draft(site: Site, db: None) -> Scenario:
    return services.clone_scenario(
        scenario=site.default, owner=site.users["negotiator"], name="Vores udspil"
    )


def test_draft_is_proposed_then_agreed_with_who_and_when(
    site: Site, as_user: Any, draft: Scenario
) -> None:
    client = as_user("negotiator")
    assert as_user("viewer").post(
        f"/scenarios/{draft.pk}/status/", {"to": "proposed"}
    ).status_code in (403, 404)
    assert client.post(f"/scenarios/{draft.pk}/status/", {"to": "agreed"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == ScenarioStatus.DRAFT  # a draft is proposed before it is agreed
    client.post(f"/scenarios/{draft.pk}/status/", {"to": "proposed"})
    client.post(f"/scenarios/{draft.pk}/status/", {"to": "agreed"})
    draft.refresh_from_db()
    assert draft.status == ScenarioStatus.AGREED and draft.is_locked
    steps = list(ScenarioTransition.objects.filter(scenario=draft))
    assert [(t.from_status, t.to_status) for t in steps] == [
        ("draft", "proposed"),
        ("proposed", "agreed"),
    ]
    assert {t.by for t in steps} == {site.users["negotiator"]} and all(t.at for t in steps)
    html = client.get(f"/scenarios/{draft.pk}/").content.decode()
    assert "Aftalt og låst." in html and "Markeret som aftalt af negotiator" in html
    assert "Klon det for at arbejde videre" in html
    assert "data-preview" not in html and "disabled" in html
    # the page refuses an edit of the locked scenario, and nothing changes
    response = client.post(f"/scenarios/{draft.pk}/", editor_data(draft, coverage=700))
    assert response.status_code == 409 and "låst" in response.content.decode()
    assert Scenario.objects.get(pk=draft.pk).params["coverage"] == 600
    # and agreed is the end of the flow
    with pytest.raises(ValidationError):
        services.change_status(scenario=draft, to=ScenarioStatus.PROPOSED)


def test_the_api_answers_409_with_a_reason_for_an_agreed_scenario(
    site: Site, draft: Scenario
) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(site.users["negotiator"])
    url = f"/api/v1/scenarios/{draft.pk}/"
    refused = client.patch(url, {"status": "agreed"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()
    assert client.patch(url, {"status": "proposed"}, format="json").status_code == 200
    assert client.patch(url, {"status": "agreed"}, format="json").status_code == 200
    steps = ScenarioTransition.objects.filter(scenario=draft).values_list("to_status", "by")
    assert list(steps) == [
        ("proposed", site.users["negotiator"].pk),
        ("agreed", site.users["negotiator"].pk),
    ]
    locked = client.patch(url, {"description": "changed after the agreement"}, format="json")
    assert locked.status_code == 409
    assert "agreed" in locked.json()["detail"] and "clone" in locked.json()["detail"]
    assert Scenario.objects.get(pk=draft.pk).description == ""


def test_a_clone_is_named_and_described_by_its_author(site: Site, as_user: Any) -> None:
    client = as_user("negotiator")
    form = client.get(f"/scenarios/{site.default.pk}/clone/").content.decode()
    assert 'value="KL/PLO 2035 (700/600/200) – variant ved negotiator"' in form
    assert "Bygger på „KL/PLO 2035 (700/600/200)“. Ændringer:" in form
    assert "(kopi)" not in form and site.default.description not in form
    assert as_user("viewer").get(f"/scenarios/{site.default.pk}/clone/").status_code == 403
    assert client.post(f"/scenarios/{site.default.pk}/clone/", {"name": ""}).status_code == 400
    response = client.post(
        f"/scenarios/{site.default.pk}/clone/",
        {"name": "Flere til Nordjylland", "description": "Dækning 800, omstilling 500."},
    )
    clone = Scenario.objects.get(name="Flere til Nordjylland")
    assert response["Location"] == f"/scenarios/{clone.pk}/"
    assert clone.description == "Dækning 800, omstilling 500."
    assert clone.based_on == site.default and clone.status == ScenarioStatus.DRAFT
    assert clone.owner == site.users["negotiator"] and clone.visibility == "private"
