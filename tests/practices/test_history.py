"""Imports and their reverts are recorded in the history of practices and doctors: who,
and which batch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from accounts.models import Profile
from accounts.roles import Role
from accounts.services import ensure_roles
from practices.models import Doctor, Practice, import_reason, revert_reason
from practices.selectors import practice_history
from practices.services import import_register_file, revert_register_batch

pytestmark = pytest.mark.usefixtures("denmark")
HEADER = (
    "ydernummer;name;kommunekode;form;open_to_new_patients;listed_patients;capacities;"
    "doctor_birth_years"
)
NORDJYLLAND = 1081


def _file(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


@pytest.fixture
def planner() -> User:
    ensure_roles()
    user = User.objects.create_user("nordplan")
    user.groups.add(Group.objects.get(name=Role.PLANNER))
    Profile.objects.create(user=user, region_id=NORDJYLLAND)
    return user


def test_an_import_and_its_revert_are_recorded_with_user_and_batch(planner: User) -> None:
    first = import_register_file(
        content=_file("012345;Lægehuset Thisted;787;partnership;nej;5100;3;1962|1975|1988"),
        file_name="a.csv",
        user=planner,
    )
    practice = Practice.objects.get(ydernummer="012345")
    [created] = Practice.history.filter(id=practice.pk)
    assert created.history_type == "+"
    assert created.history_user == planner
    assert created.history_change_reason == import_reason(first.pk)
    doctors = Doctor.history.filter(practice_id=practice.pk)
    assert doctors.count() == 3
    assert {(d.history_type, d.history_change_reason, d.history_user) for d in doctors} == {
        ("+", import_reason(first.pk), planner)
    }

    second = import_register_file(
        content=_file("012345;Lægehuset Thisted;787;partnership;ja;5100;3,5;1962|1975|1988"),
        file_name="b.csv",
        user=planner,
        accept_warnings=True,
    )
    changed = Practice.history.filter(id=practice.pk).latest("history_id")
    assert changed.history_type == "~" and changed.history_change_reason == import_reason(second.pk)
    assert changed.capacities == Decimal("3.5") and changed.open_to_new_patients

    revert_register_batch(batch=second, user=planner)
    reverted = Practice.history.filter(id=practice.pk).latest("history_id")
    assert reverted.history_change_reason == revert_reason(second.pk)
    assert reverted.history_user == planner
    assert reverted.capacities == Decimal("3") and not reverted.open_to_new_patients

    entries = practice_history(practice=practice)
    # newest first, each with who and why; the doctors' creation is part of the first import
    assert [(e.reason, e.who) for e in entries] == [
        (revert_reason(second.pk), "nordplan"),
        (import_reason(second.pk), "nordplan"),
        (import_reason(first.pk), "nordplan"),
    ]
    assert [e.batch_id for e in entries] == [second.pk, second.pk, first.pk]
    assert entries[1].lines[0].action == "changed"
    assert {c.field: (c.old, c.new) for c in entries[1].lines[0].changes} == {
        "open_to_new_patients": (False, True),
        "capacities": (Decimal("3.00"), Decimal("3.50")),
    }
    assert [line.subject for line in entries[2].lines] == ["practice", *["doctor"] * 3]


def test_an_import_that_updates_an_older_practice_records_its_state_first(
    planner: User,
) -> None:
    """A practice imported before the history existed has none: its stored state is
    recorded before the import changes it, so that the change shows old → new."""
    import_register_file(
        content=_file("012346;Læge Jensen;787;solo;ja;1400;1;1970"),
        file_name="a.csv",
        user=planner,
    )
    practice = Practice.objects.get(ydernummer="012346")
    # as if imported before the history existed
    Practice.history.filter(id=practice.pk).delete()
    Doctor.history.filter(practice_id=practice.pk).delete()
    batch = import_register_file(
        content=_file("012346;Læge Jensen;787;solo;ja;1500;1;1970"),
        file_name="b.csv",
        user=planner,
    )
    [entry] = practice_history(practice=practice)
    assert entry.reason == import_reason(batch.pk)
    assert [(c.field, c.old, c.new) for c in entry.lines[0].changes] == [
        ("listed_patients", 1400, 1500)
    ]
