"""Writes for users and roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from knox.models import AuthToken

from accounts.models import Profile
from accounts.roles import Role
from municipalities.models import Region


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str | None  # only set when the user was created now


DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("planner", Role.PLANNER),
    ("negotiator", Role.NEGOTIATOR),
    ("viewer", Role.VIEWER),
)
DEMO_PLANNER_REGION = 1081  # the demo planner plans for Region Nordjylland


@transaction.atomic
def ensure_roles() -> list[Group]:
    """The group of each role, in Role's order, created where missing. One query once they
    exist (not one per role): every user created through the roles asks for them."""
    names = [role.value for role in Role]
    found = {group.name: group for group in Group.objects.filter(name__in=names)}
    return [found.get(name) or Group.objects.get_or_create(name=name)[0] for name in names]


@transaction.atomic
def create_demo_users(*, with_admin: bool = True) -> list[DemoUser]:
    """Create one demo user per role (and an admin); passwords are random and returned once."""
    groups = {g.name: g for g in ensure_roles()}
    wanted = [*DEMO_USERS, ("admin", "admin")] if with_admin else list(DEMO_USERS)
    out: list[DemoUser] = []
    for username, role in wanted:
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(9)
            user = User.objects.create_user(username=username, password=password)
            if role == "admin":
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        if role in groups:
            user.groups.add(groups[role])
        if role == Role.PLANNER and Region.objects.filter(code=DEMO_PLANNER_REGION).exists():
            Profile.objects.update_or_create(user=user, defaults={"region_id": DEMO_PLANNER_REGION})
        out.append(DemoUser(username, role, password))
    return out


def revoke_tokens(*, user: User) -> int:
    """Delete every API token of ``user``; the number deleted."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def ensure_superuser(*, username: str, password: str, email: str = "") -> bool:
    """The first administrator: created with ``password`` if no user ``username`` exists (the
    password must pass the validators); an existing user is left as is. True if created."""
    if User.objects.filter(username=username).exists():
        return False
    candidate = User(username=username, email=email)
    validate_password(password, user=candidate)
    User.objects.create_superuser(username=username, email=email, password=password)
    return True
