"""Who changed the practice register and why, on every path that writes it.

django-simple-history records each save and delete of a practice or doctor through model
signals, and the bulk writes of imports through its bulk helpers. The writer states who and
why once, around its writes (:func:`recording`); the signal handlers and the bulk helpers
read it from there, so that a queryset delete inside an import (which sends one signal per
row) is recorded with the import's user and batch like the rows it creates.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


@dataclass(frozen=True)
class Note:
    user: Any
    reason: str

    def bulk_kwargs(self) -> dict[str, Any]:
        """The arguments of simple_history's bulk_create/bulk_update_with_history."""
        return {"default_user": self.user, "default_change_reason": self.reason}


_note: contextvars.ContextVar[Note | None] = contextvars.ContextVar("history_note", default=None)


def _person(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@contextmanager
def recording(*, user: Any, reason: str) -> Iterator[Note]:
    """Writes of practices and doctors inside the block are recorded as ``user``'s, for
    ``reason`` (practices.models: WEB_EDIT, API_EDIT, ADMIN_EDIT, import_reason(n), ...)."""
    note = Note(_person(user), reason)
    token = _note.set(note)
    try:
        yield note
    finally:
        _note.reset(token)


def current_note() -> Note | None:
    return _note.get()


class NotedHistoricalRecords(HistoricalRecords):
    """HistoricalRecords that take who and why from :func:`recording` when the instance
    does not carry its own (``_history_user``, ``_change_reason``)."""

    def get_change_reason_for_object(self, instance: Any, history_type: str, using: Any) -> Any:
        reason = super().get_change_reason_for_object(instance, history_type, using)
        note = _note.get()
        return reason or (note.reason if note is not None else None)

    def get_history_user(self, instance: Any) -> Any:
        note = _note.get()
        if note is not None and not hasattr(instance, "_history_user"):
            return note.user
        return super().get_history_user(instance)


def write_records(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    kind: str,
    user: Any,
    reason: str,
    date: Any = None,
) -> None:
    """History rows of ``kind`` ("+", "~", "-") for ``objs`` as they are in memory: for the
    states that no save records (a baseline, a row removed by a bulk delete)."""
    if not objs:
        return
    history = model.history.model  # type: ignore[attr-defined]
    when = date or timezone.now()
    history.objects.bulk_create(
        [
            history(
                history_date=when,
                history_user=_person(user),
                history_change_reason=reason,
                history_type=kind,
                **{f.attname: getattr(o, f.attname) for f in history.tracked_fields},
            )
            for o in objs
        ],
        batch_size=1000,
    )
