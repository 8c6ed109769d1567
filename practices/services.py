"""Writes for the practice register: one validated path for synthetic and real registers."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from accounts.policies import importable_regions
from municipalities.importing import ImportFailed, RevertRefused, RowError
from municipalities.models import DemandIndicator, Indicator, Municipality
from municipalities.sync import SyncCount, sync_table
from practices.history import current_note, recording, write_records
from practices.models import (
    BASELINE,
    WEB_EDIT,
    Doctor,
    Practice,
    RecordSource,
    RegisterBatch,
    RegisterChange,
    import_reason,
    revert_reason,
)
from practices.register_import import plan_register, snapshot
from practices.selectors import forget_register_sources
from practices.synthetic import MunicipalityInput, PracticeRow, generate_register
from practices.validation import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ValidPractice,
    doctor_fte,
    validate_practice_rows,
)

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "ValidPractice", "validate_practice_rows"]

DEFAULT_SEED = 2035


@dataclass
class RegisterResult:
    practices: SyncCount
    doctors: SyncCount

    @property
    def changed(self) -> bool:
        return self.practices.changed or self.doctors.changed


@transaction.atomic
def apply_register(
    *,
    practices: Iterable[ValidPractice],
    source: str,
    replace: bool,
    regions: Collection[int] | None = None,
) -> RegisterResult:
    """Write validated practices of one source; with ``replace`` remove that source's others
    (in ``regions`` only, when given: a planner replaces their own region's register).

    Doctors are derived from ``doctor_birth_years``: one doctor per year, the capacities shared
    equally (a practice without birth years keeps its doctors as they are).

    Inside :func:`practices.history.recording` every practice and doctor written is recorded
    in their history with its who and why (the synthetic register, which is regenerated
    reference data, is written without).
    """
    rows = list(practices)
    scope = Practice.objects.filter(source=source)
    if regions is not None:
        scope = scope.filter(
            Q(municipality__region_id__in=list(regions))
            | Q(ydernummer__in=[p.ydernummer for p in rows])
        )
    wanted = {
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
    }
    note = current_note()
    if note is not None:
        record_baselines(
            [
                p
                for p in Practice.objects.filter(ydernummer__in=list(wanted))
                if any(getattr(p, f) != v for f, v in wanted[p.ydernummer].items())
            ]
        )
    practice_count = sync_table(
        scope,
        key=("ydernummer",),
        desired=wanted,
        delete_missing=replace,
        history=note.bulk_kwargs() if note is not None else None,
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
    note = current_note()
    if note is not None:
        bulk_create_with_history(new, Doctor, batch_size=1000, **note.bulk_kwargs())
    else:
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
    """Import a real register (rows read already); marked imported. Nothing is written if
    any row fails. The upload page and the command use :func:`import_register_file`."""
    known = set(Municipality.objects.values_list("kommunekode", flat=True))
    valid = validate_practice_rows(rows, file=file, known_codes=known)
    return apply_register(practices=valid, source=RecordSource.IMPORTED, replace=replace)


def _snapshots(
    ydernumre: Collection[str] | None, *, regions: Collection[int] | None = None
) -> dict[str, Any]:
    """ydernummer -> snapshot of the imported practices named (all in ``regions`` when
    ``ydernumre`` is None); three queries."""
    qs = Practice.objects.filter(source=RecordSource.IMPORTED)
    if ydernumre is not None:
        qs = qs.filter(ydernummer__in=list(ydernumre))
    elif regions is not None:
        qs = qs.filter(municipality__region_id__in=list(regions))
    found = list(qs)
    doctors: dict[int, list[tuple[int, Decimal, str]]] = {}
    for pid, year, fte, source in Doctor.objects.filter(practice__in=found).values_list(
        "practice_id", "birth_year", "fte", "source"
    ):
        doctors.setdefault(pid, []).append((year, fte, source))
    return {p.ydernummer: snapshot(p, doctors.get(p.pk, [])) for p in found}


@transaction.atomic
def import_register_file(
    *,
    content: bytes,
    file_name: str,
    user: Any,
    replace: bool = False,
    accept_warnings: bool = False,
    expected_sha256: str | None = None,
    note: str = "",
) -> RegisterBatch:
    """Check a register file as its preview shows it (:func:`practices.register_import.
    plan_register`), then apply it and record the batch with each practice's state before
    and after, so that :func:`revert_register_batch` can restore it.

    Raises ImportFailed on an error, WarningsNotAccepted on unconfirmed warnings, before
    anything is written. ``user`` imports for their own region only (None: a shell command
    without a user); ``replace`` removes the imported practices of those regions that are
    not in the file.
    """
    plan = plan_register(content=content, file_name=file_name, user=user)
    if expected_sha256 is not None and plan.preview.sha256 != expected_sha256:
        raise ImportFailed(
            [RowError(file_name, None, "file", gettext("the file differs from the one previewed"))]
        )
    plan.preview.raise_unless_applicable(accept_warnings=accept_warnings)
    regions = importable_regions(user)
    names = [p.ydernummer for p in plan.practices]
    before = _snapshots(None, regions=regions) if replace else _snapshots(names)
    # The batch first, so that the history of every practice it writes names it.
    batch = RegisterBatch.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        file_name=file_name,
        file_sha256=plan.preview.sha256,
        rows=plan.preview.rows,
        practices_created=0,
        practices_updated=0,
        practices_unchanged=0,
        warnings_accepted=[str(w) for w in plan.preview.warnings],
        note=note,
    )
    with recording(user=user, reason=import_reason(batch.pk)):
        result = apply_register(
            practices=plan.practices,
            source=RecordSource.IMPORTED,
            replace=replace,
            regions=regions,
        )
    after = _snapshots(set(before) | set(names))
    batch.practices_created = result.practices.created
    batch.practices_updated = len(plan.preview.updated)
    batch.practices_deleted = result.practices.deleted
    batch.practices_unchanged = plan.preview.unchanged
    batch.save(
        update_fields=[
            "practices_created",
            "practices_updated",
            "practices_deleted",
            "practices_unchanged",
        ]
    )
    RegisterChange.objects.bulk_create(
        [
            RegisterChange(batch=batch, ydernummer=y, before=before.get(y), after=after.get(y))
            for y in sorted(set(before) | set(after))
            if before.get(y) != after.get(y)
        ]
    )
    return batch


@transaction.atomic
def revert_register_batch(*, batch: RegisterBatch, user: Any) -> int:
    """Restore every practice ``batch`` changed to its state before; the number restored.

    Refused (RevertRefused) when reverted already, outside ``user``'s region, or when a
    later change has touched one of its practices (revert that first).
    """
    batch = RegisterBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.reverted_at is not None:
        raise RevertRefused(
            gettext("it was reverted on %(when)s") % {"when": f"{batch.reverted_at:%Y-%m-%d %H:%M}"}
        )
    changes = list(batch.changes.all())
    allowed = importable_regions(user)
    if allowed is not None:
        regions = dict(Municipality.objects.values_list("kommunekode", "region_id"))
        outside = sorted(
            c.ydernummer
            for c in changes
            if any(
                s is not None and regions[s["municipality_id"]] not in allowed
                for s in (c.before, c.after)
            )
        )
        if outside:
            raise RevertRefused(
                gettext("outside your region: %(what)s") % {"what": ", ".join(outside)}
            )
    now = _snapshots([c.ydernummer for c in changes])
    conflicts = [c.ydernummer for c in changes if now.get(c.ydernummer) != c.after]
    if conflicts:
        raise RevertRefused(
            gettext("changed since this batch (revert the later change first): ")
            + ", ".join(conflicts[:20])
        )
    with recording(user=user, reason=revert_reason(batch.pk)):
        _restore(changes)
    batch.reverted_at = timezone.now()
    batch.reverted_by = user if user is not None and user.is_authenticated else None
    batch.save(update_fields=["reverted_at", "reverted_by"])
    transaction.on_commit(forget_register_sources)
    return len(changes)


def _restore(changes: Sequence[RegisterChange]) -> None:
    """Put each practice back as it was before its batch (saves and deletes one by one,
    so that the history records each)."""
    note = current_note()
    for c in changes:
        practice = Practice.objects.filter(ydernummer=c.ydernummer).first()
        if c.before is None:
            if practice is not None:
                practice.delete()
            continue
        fields = {k: v for k, v in c.before.items() if k != "doctors"}
        fields["capacities"] = Decimal(fields["capacities"])
        if practice is None:
            practice = Practice(ydernummer=c.ydernummer)
        for k, v in fields.items():
            setattr(practice, k, v)
        practice.save()
        if c.after is not None and c.after["doctors"] == c.before["doctors"]:
            continue  # the batch left the doctors as they were: keep their rows
        practice.doctors.all().delete()
        bulk_create_with_history(
            [
                Doctor(practice=practice, birth_year=year, fte=Decimal(fte), source=source)
                for year, fte, source in c.before["doctors"]
            ],
            Doctor,
            **(note.bulk_kwargs() if note is not None else {}),
        )


def record_baselines(objs: Sequence[models.Model]) -> None:
    """Record the stored state of each practice or doctor in ``objs`` (one model) that has
    no history yet (the register is older than its history), just before it changes, so
    that the change shows old → new."""
    if not objs:
        return
    model = type(objs[0])
    recorded = set(
        model.history.filter(  # type: ignore[attr-defined]
            id__in=[o.pk for o in objs]
        )
        .values_list("id", flat=True)
        .distinct()
    )
    write_records(
        model, [o for o in objs if o.pk not in recorded], kind="~", user=None, reason=BASELINE
    )


@transaction.atomic
def update_practice(
    *,
    practice: Practice,
    user: Any = None,
    reason: str = WEB_EDIT,
    name: str | None = None,
    form: str | None = None,
    open_to_new_patients: bool | None = None,
    listed_patients: int | None = None,
    capacities: Decimal | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Edit one practice (a planner keeping their region's register current); each changed
    field as (old, new), empty when nothing changed (so that the caller can tell the
    allocation only when something did).

    The record keeps its source: a synthetic practice stays synthetic, so reloading the
    synthetic register can still replace it. The practice's history records the edit with
    who (``user``) and why (``reason``: practices.models.WEB_EDIT, API_EDIT).
    """
    wanted = {
        "name": name,
        "form": form,
        "open_to_new_patients": open_to_new_patients,
        "listed_patients": listed_patients,
        "capacities": capacities,
    }
    fields = [key for key, value in wanted.items() if value is not None]
    stored = copy.copy(practice)
    for key in fields:
        setattr(practice, key, wanted[key])
    if fields:
        practice.full_clean(exclude=["municipality"], validate_unique=False)
    diff = {
        key: (getattr(stored, key), getattr(practice, key))
        for key in fields
        if getattr(stored, key) != getattr(practice, key)
    }
    if not diff:
        return {}
    record_baselines([stored])
    with recording(user=user, reason=reason):
        practice.save(update_fields=list(diff))
    return diff
