"""update_practice records each change: who, when, and each field's old and new value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from practices.models import Practice, PracticeChange
from practices.services import update_practice

pytestmark = pytest.mark.usefixtures("denmark")


def test_a_change_is_recorded_with_who_and_what() -> None:
    user = User.objects.create_user("p1")
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    before = practice.listed_patients
    update_practice(
        practice=practice, user=user, listed_patients=before + 10, capacities=Decimal("3")
    )
    change = PracticeChange.objects.get(practice=practice)
    assert change.user == user and change.changed_at is not None
    assert change.changes["listed_patients"] == [before, before + 10]
    assert change.changes["capacities"][1] == "3"
    practice.refresh_from_db()
    assert practice.listed_patients == before + 10 and practice.is_synthetic


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    update_practice(practice=practice, name=practice.name, listed_patients=practice.listed_patients)
    assert not PracticeChange.objects.exists()


def test_an_invalid_edit_is_refused_and_not_recorded() -> None:
    from django.core.exceptions import ValidationError

    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    with pytest.raises(ValidationError):
        update_practice(practice=practice, capacities=Decimal("0"))
    assert not PracticeChange.objects.exists()
