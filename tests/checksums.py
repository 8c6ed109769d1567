"""Whole-table fingerprints, to prove that a failed import changed nothing."""

from __future__ import annotations

import hashlib

from django.db import models


def table_checksum(model: type[models.Model]) -> str:
    digest = hashlib.sha256()
    for row in model._default_manager.order_by("pk").values_list():
        digest.update(repr(row).encode())
    return digest.hexdigest()


def checksums(*models_: type[models.Model]) -> dict[str, str]:
    return {m.__name__: table_checksum(m) for m in models_}
