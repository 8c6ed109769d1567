"""Serialized results of finished runs, cached.

A finished run never changes, so what a view makes of it is fixed by the run (id, inputs
hash, finish time), the view and its parameters. The serialized data is kept in the default
cache (per process without Redis, shared with it) for RESULT_TTL, so a reload of the
reference data (areas of a geography, names) shows within that time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache

from allocation.models import AllocationRun
from api.conditional import REPRESENTATION

RESULT_TTL = 60 * 60


def cached_data(
    runs: Sequence[AllocationRun], parts: Sequence[Any], build: Callable[[], Any]
) -> Any:
    """``build()``, or what it gave before for the same finished runs and parts."""
    if not runs or not all(run.is_finished for run in runs):
        return build()
    raw = repr(
        (REPRESENTATION, [(r.pk, r.inputs_hash, r.finished_at) for r in runs], *parts)
    ).encode()
    key = "klyngeplan:api:" + hashlib.sha256(raw).hexdigest()
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, RESULT_TTL)
    return data
