"""Whole-table fingerprints, to prove that a failed import changed nothing.

Every stored column of every row, in primary-key order, read with plain SQL: the values as
the database holds them, without building a model instance or converting a field (JSON,
decimals, dates) per cell, which made a fingerprint of the demand table cost a tenth of a
second. A change to any stored value changes the fingerprint.
"""

from __future__ import annotations

import hashlib

from django.db import DEFAULT_DB_ALIAS, connections, models, router


def table_checksum(model: type[models.Model]) -> str:
    meta = model._meta
    connection = connections[router.db_for_read(model) or DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column or field.attname) for field in meta.concrete_fields)
    order = quote(meta.pk.column or meta.pk.attname)
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(meta.db_table)} ORDER BY {order}")
        while rows := cursor.fetchmany(2000):
            for row in rows:
                digest.update(repr(row).encode())
    return digest.hexdigest()


def checksums(*models_: type[models.Model]) -> dict[str, str]:
    return {m.__name__: table_checksum(m) for m in models_}
