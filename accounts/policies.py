"""Who may do what: one place for the role rules the pages and the API both enforce.

Roles are groups (accounts.roles.Role). Superusers may do everything.
- planner: reads everything; edits practices and demand data of their own region; requests runs;
- negotiator: creates and edits their own scenarios; requests runs; reads shared scenarios;
- viewer: reads;
- api-client: reads results.
Nobody but its owner sees a private scenario or its runs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Role


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_klyngeplan_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._klyngeplan_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_superuser) or bool(
        roles_of(user) & set(roles)
    )


def can_read(user: Any) -> bool:
    return has_role(user, Role.PLANNER, Role.NEGOTIATOR, Role.VIEWER, Role.API_CLIENT)


def region_of(user: Any) -> int | None:
    profile = getattr(user, "profile", None) if user is not None else None
    return profile.region_id if profile is not None else None


def can_edit_region_data(user: Any, region_code: int) -> bool:
    """Practices and demand data: a planner of that region (or a superuser)."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return has_role(user, Role.PLANNER) and region_of(user) == region_code


def can_create_scenario(user: Any) -> bool:
    return has_role(user, Role.NEGOTIATOR)


def can_view_scenario(user: Any, scenario: Any) -> bool:
    if not can_read(user):
        return False
    return bool(
        scenario.visibility == "shared" or scenario.owner_id == user.pk or user.is_superuser
    )


def can_edit_scenario(user: Any, scenario: Any) -> bool:
    """The owner (a negotiator) or an administrator; nobody edits the default scenario, which
    is shared by everyone and ownerless (renamed or made private, it would vanish for every
    other user): it is cloned and the clone edited."""
    if scenario.is_default:
        return False
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return has_role(user, Role.NEGOTIATOR) and scenario.owner_id == user.pk


def can_request_run(user: Any, scenario: Any) -> bool:
    return has_role(user, Role.PLANNER, Role.NEGOTIATOR) and can_view_scenario(user, scenario)


def can_preview(user: Any) -> bool:
    """A what-if computed in the web process: those who may request runs."""
    return has_role(user, Role.PLANNER, Role.NEGOTIATOR)


def visible_scenarios(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Filter a Scenario queryset to what ``user`` may see."""
    if not can_read(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(Q(visibility="shared") | Q(owner=user))


def importable_regions(user: Any) -> frozenset[int] | None:
    """The regions whose practices and demand data ``user`` may import: None for all (a
    superuser; also a shell command run without a user), a planner's own region, or none."""
    if user is None or (user.is_authenticated and user.is_superuser):
        return None
    region = region_of(user)
    if has_role(user, Role.PLANNER) and region is not None:
        return frozenset({region})
    return frozenset()


def can_import(user: Any) -> bool:
    regions = importable_regions(user)
    return regions is None or bool(regions)
