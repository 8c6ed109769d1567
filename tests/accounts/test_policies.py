from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from accounts import policies
from accounts.models import Profile
from accounts.services import ensure_roles
from allocation.models import Scenario, Visibility

pytestmark = pytest.mark.usefixtures("denmark")


def _user(name: str, role: str | None, region: int | None = None) -> User:
    ensure_roles()
    user = User.objects.create_user(username=name)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if region:
        Profile.objects.create(user=user, region_id=region)
    return user


def test_planner_edits_only_their_region() -> None:
    planner = _user("p", "planner", 1081)
    assert policies.can_edit_region_data(planner, 1081)
    assert not policies.can_edit_region_data(planner, 1084)
    assert not policies.can_edit_region_data(_user("n", "negotiator"), 1081)


def test_private_scenarios_are_for_their_owner_only() -> None:
    owner, other = _user("o", "negotiator"), _user("x", "negotiator")
    private = Scenario.objects.create(
        name="p", owner=owner, params={}, visibility=Visibility.PRIVATE
    )
    shared = Scenario.objects.create(name="s", owner=owner, params={}, visibility=Visibility.SHARED)
    assert policies.can_view_scenario(owner, private)
    assert not policies.can_view_scenario(other, private)
    assert policies.can_view_scenario(other, shared)
    assert not policies.can_edit_scenario(other, shared)
    assert policies.can_edit_scenario(owner, private)
    visible = policies.visible_scenarios(other, Scenario.objects.all())
    assert shared in visible and private not in visible


def test_roles_gate_actions() -> None:
    viewer, planner = _user("v", "viewer"), _user("pl", "planner", 1082)
    shared = Scenario.objects.create(name="s", params={}, visibility=Visibility.SHARED)
    assert policies.can_read(viewer) and not policies.can_request_run(viewer, shared)
    assert policies.can_request_run(planner, shared)
    assert not policies.can_create_scenario(planner)
    assert not policies.can_read(_user("nobody", None))
