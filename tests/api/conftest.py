"""Fixtures for the API tests: one user per role, tokens, and finished runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache.backends.locmem import LocMemCache
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import Profile
from accounts.services import ensure_roles
from allocation import services
from allocation.models import AllocationRun, RunStatus, Scenario, Visibility
from api import throttling
from practices.models import Practice
from tests.allocation.factories import ScenarioFactory

PASSWORD = "a-long-test-password-7"
NORDJYLLAND, HOVEDSTADEN = 1081, 1084


@pytest.fixture(autouse=True)
def _own_throttle_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts requests from zero in a cache of its own (CI's cache is a shared
    Redis, whose counts would otherwise carry over between tests and runs)."""
    for throttle in (throttling.UserThrottle, throttling.TokenThrottle, throttling.LoginThrottle):
        # LocMemCache instances of one name share their storage: a new name each time
        monkeypatch.setattr(throttle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {}))


def make_user(username: str, role: str | None, *, region: int | None = None) -> User:
    ensure_roles()
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role == "admin":
        user.is_staff = user.is_superuser = True
        user.save()
    elif role:
        user.groups.add(Group.objects.get(name=role))
    if region:
        Profile.objects.create(user=user, region_id=region)
    return user


def token_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def finish(run: AllocationRun) -> AllocationRun:
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


@dataclass
class World:
    users: dict[str, User | None]
    shared: Scenario
    private: Scenario
    shared_run: AllocationRun
    private_run: AllocationRun
    nord_practice: Practice
    hoved_practice: Practice

    def client(self, role: str) -> APIClient:
        return token_client(self.users[role])


ROLES = (
    "anonymous",
    "no-role",
    "viewer",
    "api-client",
    "planner-nordjylland",
    "planner-hovedstaden",
    "negotiator-owner",
    "negotiator-other",
    "admin",
)


@pytest.fixture
def world(denmark: None, eager_tasks: None) -> World:
    """A user per role; a shared and a private scenario of negotiator-owner, each with a
    finished run; a practice in Nordjylland and one in Hovedstaden."""
    users: dict[str, User | None] = {
        "anonymous": None,
        "no-role": make_user("norole", None),
        "viewer": make_user("viewer", "viewer"),
        "api-client": make_user("client", "api-client"),
        "planner-nordjylland": make_user("pnord", "planner", region=NORDJYLLAND),
        "planner-hovedstaden": make_user("phoved", "planner", region=HOVEDSTADEN),
        "negotiator-owner": make_user("nown", "negotiator"),
        "negotiator-other": make_user("noth", "negotiator"),
        "admin": make_user("admin", "admin"),
    }
    owner = users["negotiator-owner"]
    shared = ScenarioFactory.create(owner=owner, visibility=Visibility.SHARED, name="Shared")
    private = ScenarioFactory.create(
        owner=owner,
        visibility=Visibility.PRIVATE,
        name="Private",
        params={**ScenarioFactory.build().params, "transition": 600, "coverage": 700},
    )
    practices = Practice.objects.select_related("municipality")
    return World(
        users=users,
        shared=shared,
        private=private,
        shared_run=finish(services.request_run(scenario=shared, user=owner)),
        private_run=finish(services.request_run(scenario=private, user=owner)),
        nord_practice=practices.filter(municipality__region_id=NORDJYLLAND).first(),  # type: ignore[arg-type]
        hoved_practice=practices.filter(municipality__region_id=HOVEDSTADEN).first(),  # type: ignore[arg-type]
    )


@pytest.fixture
def finished_run(denmark: None, eager_tasks: None) -> AllocationRun:
    """One finished run of a shared scenario (50 sensitivity draws)."""
    scenario = ScenarioFactory.create(visibility=Visibility.SHARED)
    return finish(services.request_run(scenario=scenario, user=scenario.owner))


@pytest.fixture
def reader() -> Iterator[APIClient]:
    yield token_client(make_user("reader", "api-client"))


def json_of(response: Any) -> Any:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()
