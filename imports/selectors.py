"""Reads of the upload pages: a pending upload's preview, the import history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imports.models import ImportKind, PendingUpload
from municipalities.demand_changes import preview_demand
from municipalities.importing import Preview
from municipalities.models import ImportBatch
from practices.models import RegisterBatch
from practices.register_import import plan_register


def pending_upload(*, pk: int, user: Any) -> PendingUpload | None:
    """The user's own pending upload (no one else's); one query."""
    return PendingUpload.objects.filter(pk=pk, user_id=user.pk).first()


def upload_preview(*, upload: PendingUpload) -> Preview:
    content = bytes(upload.content)
    if upload.kind == ImportKind.DEMAND:
        return preview_demand(content=content, file_name=upload.file_name, user=upload.user)
    return plan_register(content=content, file_name=upload.file_name, user=upload.user).preview


@dataclass(frozen=True)
class HistoryRow:
    kind: str
    batch: ImportBatch | RegisterBatch
    created: int
    updated: int
    unchanged: int


def import_history(*, limit: int = 50) -> list[HistoryRow]:
    """The latest demand and practice batches, newest first; two queries."""
    rows = [
        HistoryRow(ImportKind.DEMAND, b, b.values_created, b.values_updated, b.values_unchanged)
        for b in ImportBatch.objects.select_related("user", "reverted_by")[:limit]
    ] + [
        HistoryRow(
            ImportKind.PRACTICES, b, b.practices_created, b.practices_updated, b.practices_unchanged
        )
        for b in RegisterBatch.objects.select_related("user", "reverted_by")[:limit]
    ]
    rows.sort(key=lambda r: (r.batch.created_at, r.batch.pk), reverse=True)
    return rows[:limit]


def batch_get(*, kind: str, pk: int) -> ImportBatch | RegisterBatch | None:
    model = ImportBatch if kind == ImportKind.DEMAND else RegisterBatch
    return model.objects.select_related("user", "reverted_by").filter(pk=pk).first()


@dataclass(frozen=True)
class PracticeDiff:
    ydernummer: str
    name: str
    action: str  # "created", "updated" or "removed"
    changes: list[tuple[str, Any, Any]]


def batch_changes(*, kind: str, batch: ImportBatch | RegisterBatch) -> list[Any]:
    """A demand batch's DemandChange rows, or a register batch's practices with each field
    that differs between before and after; one query."""
    if isinstance(batch, ImportBatch):
        return list(batch.changes.select_related("municipality"))
    out = []
    for c in batch.changes.all():
        before, after = c.before or {}, c.after or {}
        action = "created" if not c.before else "removed" if not c.after else "updated"
        fields = [k for k in (*before, *after) if k != "doctors"]
        changes = [
            (f, before.get(f), after.get(f))
            for f in dict.fromkeys(fields)
            if before.get(f) != after.get(f)
        ]
        years = [sorted(d[0] for d in s.get("doctors", [])) for s in (before, after)]
        if years[0] != years[1]:
            changes.append(("doctor_birth_years", years[0] or None, years[1] or None))
        out.append(
            PracticeDiff(c.ydernummer, after.get("name") or before.get("name", ""), action, changes)
        )
    return out
