"""Bring a table to a desired state and count what changed.

Used by the loaders so that a second run with the same inputs changes nothing and can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router
from simple_history.utils import bulk_create_with_history, bulk_update_with_history


@dataclass
class SyncCount:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged"
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def sync_table(
    queryset: models.QuerySet[Any],
    *,
    key: tuple[str, ...],
    desired: Mapping[Any, Mapping[str, Any]],
    delete_missing: bool = True,
    history: Mapping[str, Any] | None = None,
) -> SyncCount:
    """Create, update and (optionally) delete rows of ``queryset`` to match ``desired``.

    ``desired`` maps a key tuple (values of the ``key`` fields) to the row's other fields.
    Foreign keys are given by their ``*_id`` attribute names. ``history``: the model keeps a
    django-simple-history record of each row written, with these defaults (who and why;
    bulk writes send no signals, so the history helpers record them).
    """
    model = queryset.model
    count = SyncCount()
    existing = {tuple(getattr(obj, f) for f in key): obj for obj in queryset}
    to_create, to_update = [], []
    fields: set[str] = set()
    for k, values in desired.items():
        k_tuple = k if isinstance(k, tuple) else (k,)
        obj = existing.pop(k_tuple, None)
        if obj is None:
            to_create.append(model(**dict(zip(key, k_tuple, strict=True)), **values))
            continue
        changed = [f for f, v in values.items() if not _same(getattr(obj, f), v)]
        if changed:
            for f in changed:
                setattr(obj, f, values[f])
            fields.update(changed)
            to_update.append(obj)
        else:
            count.unchanged += 1
    if to_create and history is not None:
        bulk_create_with_history(to_create, model, batch_size=1000, **history)
    elif to_create:
        model.objects.bulk_create(to_create, batch_size=1000)
    if to_update and history is not None:
        bulk_update_with_history(to_update, model, sorted(fields), batch_size=500, **history)
    elif to_update:
        _update_rows(model, to_update, sorted(fields))
    if delete_missing and existing:
        model.objects.filter(pk__in=[o.pk for o in existing.values()]).delete()
        count.deleted = len(existing)
    else:
        count.unchanged += len(existing)
    count.created, count.updated = len(to_create), len(to_update)
    return count


def _update_rows(model: type[models.Model], objs: list[Any], fields: list[str]) -> None:
    """Write ``fields`` of every object in ``objs`` (saved rows), as ``bulk_update`` writes
    them: the same values, prepared for the database by each field, and no signals.

    One UPDATE a row, sent with one executemany: ``bulk_update`` builds one statement a batch
    with a CASE of every row's value for every field, and composing and running those cost
    seconds for a projection's 4,000 values.
    """
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)  # a column, as bulk_update requires too
        columns.append(field)
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(str(field.column))} = %s" for field in columns),
        quote(str(meta.pk.column)),
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [meta.pk.get_db_prep_value(obj.pk, connection)]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
