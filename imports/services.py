"""Writes of the upload pages: keep an upload, confirm it, revert a batch.

The imports themselves are the owning apps' services (municipalities.services.import_demand,
practices.services.import_register_file and their reverts); this module keeps the file
between preview and confirmation and tells the allocation that the data changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from allocation.models import AllocationRun
from allocation.services import DEMAND_IMPORT, PRACTICE_IMPORT, data_changed, data_lock
from imports.models import ImportKind, PendingUpload
from municipalities.importing import ImportFailed, RowError
from municipalities.models import ImportBatch
from municipalities.services import import_demand, revert_demand_batch
from practices.models import RegisterBatch
from practices.services import import_register_file, revert_register_batch

# An upload not confirmed within a day is discarded with the next upload.
KEEP_FOR = dt.timedelta(days=1)


@transaction.atomic
def keep_upload(*, user: Any, kind: str, file_name: str, content: bytes) -> PendingUpload:
    """Store an uploaded file for its preview; older unconfirmed uploads are discarded."""
    PendingUpload.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return PendingUpload.objects.create(
        user=user,
        kind=kind,
        file_name=file_name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


@dataclass(frozen=True)
class Applied:
    batch: ImportBatch | RegisterBatch
    runs: list[AllocationRun]


def confirm_upload(
    *, upload: PendingUpload, user: Any, sha256: str, accept_warnings: bool
) -> Applied:
    """Apply the previewed file in one transaction, then request the shared re-runs.

    Refused (ImportFailed) when the user is not the uploader or the hash is not the
    previewed file's; the owning service refuses errors and unconfirmed warnings.
    """
    if upload.user_id != user.pk or sha256 != upload.sha256:
        raise ImportFailed(
            [
                RowError(
                    upload.file_name,
                    None,
                    "file",
                    gettext("the file differs from the one previewed"),
                )
            ]
        )
    content = bytes(upload.content)
    batch: ImportBatch | RegisterBatch
    # The lock the import commands and the practice edits take: one writer at a time, and
    # the re-runs are requested on the data this batch leaves (DataBusy if it is held).
    with data_lock(holder=f"upload {upload.file_name}"):
        if upload.kind == ImportKind.DEMAND:
            batch = import_demand(
                content=content,
                file_name=upload.file_name,
                user=user,
                accept_warnings=accept_warnings,
                expected_sha256=sha256,
            )
            changed = batch.changes.exists()
            source = DEMAND_IMPORT
        else:
            batch = import_register_file(
                content=content,
                file_name=upload.file_name,
                user=user,
                accept_warnings=accept_warnings,
                expected_sha256=sha256,
            )
            changed = batch.changes.exists()
            source = PRACTICE_IMPORT
        upload.delete()
        runs = data_changed(source=source, batch=batch, user=user) if changed else []
    return Applied(batch, runs)


def revert_batch(*, kind: str, batch: ImportBatch | RegisterBatch, user: Any) -> Applied:
    """Revert an import batch (RevertRefused says why not), then request the re-runs."""
    with data_lock(holder=f"revert of batch {batch.pk}"):
        if kind == ImportKind.DEMAND:
            assert isinstance(batch, ImportBatch)
            revert_demand_batch(batch=batch, user=user)
            source = DEMAND_IMPORT
        else:
            assert isinstance(batch, RegisterBatch)
            revert_register_batch(batch=batch, user=user)
            source = PRACTICE_IMPORT
        runs = data_changed(source=f"{source} reverted", batch=batch, user=user)
    return Applied(batch, runs)
