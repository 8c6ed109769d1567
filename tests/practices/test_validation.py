"""One source of practice validation: the model. The web form, the API and the import
refuse the same bad value with the same message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import translation

from municipalities.importing import ImportFailed
from practices.models import (
    BIRTH_YEAR_MESSAGE,
    CAPACITIES_MESSAGE,
    LISTED_PATIENTS_MESSAGE,
    Doctor,
    Practice,
)
from practices.services import validate_practice_rows
from reports.forms import PracticeEditForm
from tests.api.conftest import HOVEDSTADEN, make_user, token_client

pytestmark = pytest.mark.usefixtures("denmark")


def _practice() -> Practice:
    practice = Practice.objects.filter(municipality__region_id=HOVEDSTADEN).first()
    assert practice is not None
    return practice


def _form_errors(practice: Practice, **changes: Any) -> dict[str, list[str]]:
    data = {
        "name": practice.name,
        "form": practice.form,
        "listed_patients": practice.listed_patients,
        "capacities": str(practice.capacities).replace(".", ","),
        "open_to_new_patients": "on" if practice.open_to_new_patients else "",
        **changes,
    }
    form = PracticeEditForm(data, instance=practice)
    assert not form.is_valid()
    return {k: [str(e) for e in v] for k, v in form.errors.items()}


def _api_errors(practice: Practice, **changes: Any) -> dict[str, list[str]]:
    planner = User.objects.filter(username="ph").first() or make_user(
        "ph", "planner", region=HOVEDSTADEN
    )
    client = token_client(planner)
    response = client.patch(f"/api/v1/practices/{practice.ydernummer}/", changes, format="json")
    assert response.status_code == 400, response.content
    body: dict[str, list[str]] = response.json()
    return body


def _import_errors(**changes: str) -> dict[str, list[str]]:
    row = {
        "ydernummer": "990001",
        "name": "Ny praksis",
        "kommunekode": "101",
        "form": "solo",
        "open_to_new_patients": "ja",
        "listed_patients": "1500",
        "capacities": "1",
        "doctor_birth_years": "1970",
        **changes,
    }
    with pytest.raises(ImportFailed) as info:
        validate_practice_rows([row], file="register.csv", known_codes={101})
    out: dict[str, list[str]] = {}
    for error in info.value.errors:
        out.setdefault(error.field, []).append(error.message)
    return out


@pytest.mark.parametrize("capacities", ["0", "30.01", "31", "99"])
def test_capacities_out_of_bounds_are_refused_alike(capacities: str) -> None:
    practice = _practice()
    with translation.override("da"):
        message = str(CAPACITIES_MESSAGE)
        assert _form_errors(practice, capacities=capacities.replace(".", ","))["capacities"] == [
            message
        ]
        assert _import_errors(capacities=capacities)["capacities"] == [message]
    # The API speaks Danish first, as the pages do.
    assert _api_errors(practice, capacities=capacities)["capacities"] == [message]
    practice.refresh_from_db()
    assert practice.capacities != Decimal(capacities)


def test_the_bound_itself_is_accepted_everywhere() -> None:
    practice = _practice()
    form = PracticeEditForm(
        {
            "name": practice.name,
            "form": practice.form,
            "listed_patients": 30_000,
            "capacities": "30",
            "open_to_new_patients": "",
        },
        instance=practice,
    )
    assert form.is_valid(), form.errors
    rows = validate_practice_rows(
        [
            {
                "ydernummer": "990001",
                "name": "Stor praksis",
                "kommunekode": "101",
                "form": "partnership",
                "open_to_new_patients": "nej",
                "listed_patients": "30000",
                "capacities": "30",
            }
        ],
        file="register.csv",
        known_codes={101},
    )
    assert rows[0].capacities == Decimal("30")


def test_implausible_lists_are_refused_alike() -> None:
    practice = _practice()
    with translation.override("da"):
        message = str(LISTED_PATIENTS_MESSAGE)
        assert message in _form_errors(practice, listed_patients=60_001)["listed_patients"]
        assert message in _import_errors(listed_patients="60001")["listed_patients"]
        per_capacity = _form_errors(practice, listed_patients=6000, capacities="1")
        assert (
            per_capacity["listed_patients"]
            == _import_errors(listed_patients="6000", capacities="1")["listed_patients"]
        )
    assert message in _api_errors(practice, listed_patients=60_001)["listed_patients"]
    assert _api_errors(practice, listed_patients=6000, capacities="1") == {
        "listed_patients": per_capacity["listed_patients"]
    }


def test_doctors_birth_years_and_fte_come_from_the_model() -> None:
    with translation.override("da"):
        errors = _import_errors(doctor_birth_years="1970|2020")["doctor_birth_years"]
        assert errors == [f"2020: {BIRTH_YEAR_MESSAGE}"]
        # Three capacities on one listed doctor is three FTE: the list is missing doctors.
        assert _import_errors(capacities="3", doctor_birth_years="1970")["doctor_birth_years"]
    assert validate_practice_rows(
        [
            {
                "ydernummer": "990001",
                "name": "To læger",
                "kommunekode": "101",
                "form": "partnership",
                "open_to_new_patients": "nej",
                "listed_patients": "3000",
                "capacities": "2",
                "doctor_birth_years": "1960|1980",
            }
        ],
        file="register.csv",
        known_codes={101},
    )


def test_the_database_refuses_what_the_validators_refuse() -> None:
    practice = _practice()
    with pytest.raises(IntegrityError), transaction.atomic():
        Practice.objects.filter(pk=practice.pk).update(capacities=Decimal("31"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Doctor.objects.create(practice=practice, birth_year=1900, fte=1, source="imported")
