"""Writes for the practice register: one validated path for synthetic and real registers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from municipalities.importing import ErrorCollector
from municipalities.models import DemandIndicator, Indicator, Municipality
from municipalities.sync import SyncCount, sync_table
from practices.models import Doctor, Practice, PracticeChange, PracticeForm, RecordSource
from practices.selectors import forget_register_sources
from practices.synthetic import MunicipalityInput, PracticeRow, generate_register

DEFAULT_SEED = 2035
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
    rows: Sequence[Mapping[str, str]], *, file: str, known_codes: set[int]
) -> list[ValidPractice]:
    """Check every row; raise ImportFailed naming each bad row and field, or return them all.

    A row is read here (columns, numbers, yes/no, duplicates) and then validated by the
    models, as the web form and the API are: the bounds and their messages are the model's.
    ``doctor_birth_years`` is optional: birth years separated by ``;``, ``|`` or spaces
    (use ``|`` in a semicolon-separated file), one per doctor.
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
    for i, row in enumerate(rows, start=1):
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
            doctor = Doctor(birth_year=year, fte=doctor_fte(capacities, len(years)))
            for messages in _model_errors(doctor, exclude=["practice", "source"]).values():
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


@dataclass
class RegisterResult:
    practices: SyncCount
    doctors: SyncCount

    @property
    def changed(self) -> bool:
        return self.practices.changed or self.doctors.changed


@transaction.atomic
def apply_register(
    *, practices: Iterable[ValidPractice], source: str, replace: bool
) -> RegisterResult:
    """Write validated practices of one source; with ``replace`` remove that source's others.

    Doctors are derived from ``doctor_birth_years``: one doctor per year, the capacities shared
    equally (a practice without birth years keeps its doctors as they are).
    """
    rows = list(practices)
    practice_count = sync_table(
        Practice.objects.filter(source=source),
        key=("ydernummer",),
        desired={
            p.ydernummer: {
                "name": p.name,
                "municipality_id": p.kommunekode,
                "form": p.form,
                "open_to_new_patients": p.open_to_new_patients,
                "listed_patients": p.listed_patients,
                "capacities": p.capacities,
                "source": source,
            }
            for p in rows
        },
        delete_missing=replace,
    )
    ids = dict(Practice.objects.filter(source=source).values_list("ydernummer", "id"))
    desired: dict[tuple[int, int, int], Decimal] = {}
    for p in rows:
        if not p.doctor_birth_years:
            continue
        fte = doctor_fte(p.capacities, len(p.doctor_birth_years))
        for n, year in enumerate(p.doctor_birth_years):
            # Doctors have no identity of their own in a register: key them by position.
            desired[(ids[p.ydernummer], n, year)] = fte
    with_years = [ids[p.ydernummer] for p in rows if p.doctor_birth_years]
    existing = Doctor.objects.filter(practice_id__in=with_years).order_by(
        "practice_id", "birth_year", "id"
    )
    doctor_count = _sync_doctors(existing, desired, source=source)
    if practice_count.changed:
        transaction.on_commit(forget_register_sources)
    return RegisterResult(practice_count, doctor_count)


def _sync_doctors(
    existing: Iterable[Doctor], desired: dict[tuple[int, int, int], Decimal], *, source: str
) -> SyncCount:
    count = SyncCount()
    position: dict[int, int] = {}
    stale: list[int] = []
    remaining = dict(desired)
    for d in existing:
        n = position.get(d.practice_id, 0)
        position[d.practice_id] = n + 1
        want = remaining.pop((d.practice_id, n, d.birth_year), None)
        if want is not None and want == d.fte and d.source == source:
            count.unchanged += 1
        else:
            stale.append(d.pk)
    if stale:
        Doctor.objects.filter(pk__in=stale).delete()
    # Positions of stale doctors are rebuilt; recreate every wanted doctor not kept.
    kept = count.unchanged
    new = [
        Doctor(practice_id=pid, birth_year=year, fte=fte, source=source)
        for (pid, _n, year), fte in remaining.items()
    ]
    Doctor.objects.bulk_create(new, batch_size=1000)
    count.created, count.deleted, count.unchanged = len(new), len(stale), kept
    return count


def synthetic_register_rows(*, seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """The synthetic register as import rows (the same shape as a CSV upload)."""
    shortage = set(
        DemandIndicator.objects.filter(
            indicator=Indicator.SHORTAGE_PLO_2019, value__gte=1
        ).values_list("municipality_id", flat=True)
    )
    munis = [
        MunicipalityInput(
            m.kommunekode, m.name, m.region_id, m.population, m.kommunekode in shortage
        )
        for m in Municipality.objects.all()
    ]
    return [_as_row(r) for r in generate_register(munis, seed=seed)]


def _as_row(r: PracticeRow) -> dict[str, str]:
    return {
        "ydernummer": r.ydernummer,
        "name": r.name,
        "kommunekode": str(r.kommunekode),
        "form": r.form,
        "open_to_new_patients": "yes" if r.open_to_new_patients else "no",
        "listed_patients": str(r.listed_patients),
        "capacities": str(r.capacities),
        "doctor_birth_years": ";".join(str(y) for y in r.doctor_birth_years),
    }


@transaction.atomic
def load_synthetic_register(*, seed: int = DEFAULT_SEED) -> RegisterResult:
    rows = synthetic_register_rows(seed=seed)
    known = set(Municipality.objects.values_list("kommunekode", flat=True))
    valid = validate_practice_rows(
        rows, file=f"synthetic register (seed {seed})", known_codes=known
    )
    return apply_register(practices=valid, source=RecordSource.SYNTHETIC, replace=True)


@transaction.atomic
def import_register(
    *, rows: Sequence[Mapping[str, str]], file: str, replace: bool = False
) -> RegisterResult:
    """Import a real register (CSV rows); marked imported. Nothing is written if any row fails."""
    known = set(Municipality.objects.values_list("kommunekode", flat=True))
    valid = validate_practice_rows(rows, file=file, known_codes=known)
    return apply_register(practices=valid, source=RecordSource.IMPORTED, replace=replace)


@transaction.atomic
def update_practice(
    *,
    practice: Practice,
    user: Any = None,
    name: str | None = None,
    form: str | None = None,
    open_to_new_patients: bool | None = None,
    listed_patients: int | None = None,
    capacities: Decimal | None = None,
) -> PracticeChange | None:
    """Edit one practice (a planner keeping their region's register current).

    The record keeps its source: a synthetic practice stays synthetic, so reloading the
    synthetic register can still replace it. Every edit that changes something is recorded
    as a PracticeChange: who (``user``), when, and each changed field as [old, new]; it is
    returned (None when nothing changed), so that the caller can tell the allocation.
    """
    changes = {
        "name": name,
        "form": form,
        "open_to_new_patients": open_to_new_patients,
        "listed_patients": listed_patients,
        "capacities": capacities,
    }
    fields = [key for key, value in changes.items() if value is not None]
    before = {key: getattr(practice, key) for key in fields}
    for key in fields:
        setattr(practice, key, changes[key])
    if fields:
        practice.full_clean(exclude=["municipality"], validate_unique=False)
        practice.save(update_fields=fields)
    diff = {
        key: [_json_value(before[key]), _json_value(getattr(practice, key))]
        for key in fields
        if before[key] != getattr(practice, key)
    }
    if not diff:
        return None
    return PracticeChange.objects.create(
        practice=practice,
        user=user if user is not None and user.is_authenticated else None,
        changes=diff,
    )


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
