"""DRF permissions on top of accounts.policies: the rules live there, not here."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import policies


class CanRead(BasePermission):
    """Any role (planner, negotiator, viewer, api-client) reads; anonymous users get 401."""

    message = "Your account has no Klyngeplan role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return policies.can_read(request.user)


class ScenarioAccess(CanRead):
    """Create: negotiators. Read a scenario: visible ones (a private one is 404 to others, as
    the view only looks among the visible). Edit: its owner."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "POST":
            self.message = "Only negotiators create scenarios."
            return policies.can_create_scenario(request.user)
        return True

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return policies.can_view_scenario(request.user, obj)
        if request.method == "POST":  # clone: a new scenario of one's own from a visible one
            return policies.can_create_scenario(request.user)
        if obj.is_default:
            # Shared by everyone and ownerless: renamed or made private, it would vanish for
            # every other user.
            self.message = (
                "The default scenario cannot be edited; clone it "
                f"(POST /api/v1/scenarios/{obj.pk}/clone/) and edit the clone."
            )
            return False
        self.message = "Only the scenario's owner edits it."
        return policies.can_edit_scenario(request.user, obj)


class PracticeAccess(CanRead):
    """Everyone with a role reads practices; a planner edits those of their own region."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.message = "Only a planner of the practice's region edits it."
        return policies.can_edit_region_data(request.user, obj.municipality.region_id)


class RunRequest(CanRead):
    """Requesting a run: planners and negotiators, on a scenario they may see."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        self.message = "Only planners and negotiators request runs."
        return policies.can_request_run(request.user, obj)
