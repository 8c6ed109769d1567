"""Validation of practice register rows: the reading is here, the bounds are the model's."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from municipalities.importing import ErrorCollector
from practices.models import Doctor, Practice, PracticeForm

OPTIONAL_COLUMNS = ("doctor_birth_years",)
REQUIRED_COLUMNS = (
    "ydernummer",
    "name",
    "kommunekode",
    "form",
    "open_to_new_patients",
    "listed_patients",
    "capacities",
)
_TRUE = {"1", "true", "yes", "ja", "open", "åben", "aaben"}
_FALSE = {"0", "false", "no", "nej", "closed", "lukket"}


@dataclass(frozen=True)
class ValidPractice:
    ydernummer: str
    name: str
    kommunekode: int
    form: str
    open_to_new_patients: bool
    listed_patients: int
    capacities: Decimal
    doctor_birth_years: tuple[int, ...]


def doctor_fte(capacities: Decimal, doctors: int) -> Decimal:
    """Each listed doctor's share of a practice's capacities (a register lists doctors by
    birth year only, so the capacities are shared equally)."""
    return (capacities / doctors).quantize(Decimal("0.01"))


def _model_errors(record: Practice | Doctor, *, exclude: list[str]) -> dict[str, list[str]]:
    """The model's own validation (field validators, choices, ``clean``) as field -> messages."""
    try:
        # The check constraints repeat the field validators; checking them would cost a
        # query per record.
        record.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {}


def validate_practice_rows(
    rows: Sequence[Mapping[str, str]],
    *,
    file: str,
    known_codes: set[int],
    row_numbers: Sequence[int] | None = None,
) -> list[ValidPractice]:
    """Check every row; raise ImportFailed naming each bad row and field, or return them all.

    A row is read here (columns, numbers, yes/no, duplicates) and then validated by the
    models, as the web form and the API are: the bounds and their messages are the model's.
    ``doctor_birth_years`` is optional: birth years separated by ``;``, ``|`` or spaces
    (use ``|`` in a semicolon-separated file), one per doctor. ``row_numbers`` are the rows'
    numbers in their file (blank rows skipped), 1, 2, ... when not given.
    """
    ec = ErrorCollector(file)
    present = set(rows[0].keys()) if rows else set()
    for col in REQUIRED_COLUMNS:
        if col not in present:
            ec.add(None, col, "required column is missing")
    ec.raise_if_any()
    seen: dict[str, int] = {}
    out: list[ValidPractice] = []
    forms = set(PracticeForm.values)
    numbers = list(row_numbers) if row_numbers is not None else range(1, len(rows) + 1)
    # A doctor's validation depends on its birth year and FTE alone, and a register repeats
    # the same few pairs: each pair is validated once (the FTE as written, digits and all).
    doctor_errors: dict[tuple[int, str], dict[str, list[str]]] = {}
    for i, row in zip(numbers, rows, strict=True):
        errors_before = len(ec.errors)
        ydernummer = ec.text(i, "ydernummer", row.get("ydernummer"))
        if ydernummer in seen:
            ec.add(
                i,
                "ydernummer",
                f"duplicate ydernummer {ydernummer} (first on row {seen[ydernummer]})",
            )
        seen.setdefault(ydernummer, i)
        code = ec.integer(i, "kommunekode", row.get("kommunekode"))
        if code not in known_codes:
            ec.add(i, "kommunekode", f"unknown municipality {row.get('kommunekode')!r}")
        form = (row.get("form") or "").strip()
        if form not in forms:
            ec.add(i, "form", f"must be one of {', '.join(sorted(forms))}, got {form!r}")
        flag = (row.get("open_to_new_patients") or "").strip().lower()
        if flag not in _TRUE | _FALSE:
            ec.add(i, "open_to_new_patients", f"expected yes/no, got {flag!r}")
        listed = ec.integer(i, "listed_patients", row.get("listed_patients"))
        try:
            capacities = Decimal((row.get("capacities") or "").strip().replace(",", "."))
            if not capacities.is_finite():
                raise InvalidOperation
            capacities = capacities.quantize(Decimal("0.01"))
        except InvalidOperation:
            ec.add(i, "capacities", f"expected a number, got {row.get('capacities')!r}")
            capacities = Decimal(1)
        name = ec.text(i, "name", row.get("name"))
        # The model validates what could be read; a field that could not is named once.
        unread = {e.field for e in ec.errors[errors_before:]}
        practice = Practice(
            ydernummer=ydernummer,
            name=name,
            form=form,
            open_to_new_patients=flag in _TRUE,
            listed_patients=listed,
            capacities=capacities,
        )
        exclude = ["municipality", "source", *unread]
        for field, messages in _model_errors(practice, exclude=exclude).items():
            for message in messages:
                ec.add(i, field, message)
        years_raw = (row.get("doctor_birth_years") or "").strip()
        years: list[int] = []
        for part in re.split(r"[;| ]+", years_raw) if years_raw else []:
            years.append(ec.integer(i, "doctor_birth_years", part))
        for year in sorted(set(years)):
            fte = doctor_fte(capacities, len(years))
            key = (year, str(fte))
            if key not in doctor_errors:
                doctor = Doctor(birth_year=year, fte=fte)
                doctor_errors[key] = _model_errors(doctor, exclude=["practice", "source"])
            for messages in doctor_errors[key].values():
                for message in messages:
                    ec.add(i, "doctor_birth_years", f"{year}: {message}")
        out.append(
            ValidPractice(
                ydernummer=ydernummer,
                name=name,
                kommunekode=code,
                form=form,
                open_to_new_patients=flag in _TRUE,
                listed_patients=listed,
                capacities=capacities,
                doctor_birth_years=tuple(sorted(years)),
            )
        )
    ec.raise_if_any()
    return out
