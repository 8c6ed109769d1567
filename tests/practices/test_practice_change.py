"""update_practice records each change in the practice's history: who, when, why, and each
field's old and new value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from practices.models import API_EDIT, BASELINE, Practice
from practices.selectors import practice_history
from practices.services import update_practice

pytestmark = pytest.mark.usefixtures("denmark")


def test_a_change_is_recorded_with_who_and_what() -> None:
    user = User.objects.create_user("p1")
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    before = practice.listed_patients
    old_capacities = practice.capacities
    update_practice(
        practice=practice,
        user=user,
        reason=API_EDIT,
        listed_patients=before + 10,
        capacities=Decimal("3"),
    )
    records = list(Practice.history.filter(id=practice.pk).order_by("history_id"))
    # the stored state first (the register is older than its history), then the edit
    assert [r.history_change_reason for r in records] == [BASELINE, API_EDIT]
    assert records[0].history_user is None and records[0].listed_patients == before
    assert records[1].history_user == user and records[1].history_date is not None
    assert records[1].listed_patients == before + 10 and records[1].capacities == Decimal("3")
    [entry] = practice_history(practice=practice)
    assert entry.who == "p1" and entry.reason == API_EDIT
    changes = {c.field: (c.old, c.new) for c in entry.lines[0].changes}
    assert changes == {
        "listed_patients": (before, before + 10),
        "capacities": (old_capacities, Decimal("3")),
    }
    practice.refresh_from_db()
    assert practice.listed_patients == before + 10 and practice.is_synthetic


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    changed = update_practice(
        practice=practice, name=practice.name, listed_patients=practice.listed_patients
    )
    assert changed == {} and not Practice.history.exists()


def test_an_invalid_edit_is_refused_and_not_recorded() -> None:
    from django.core.exceptions import ValidationError

    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    with pytest.raises(ValidationError):
        update_practice(practice=practice, capacities=Decimal("0"))
    assert not Practice.history.exists()
