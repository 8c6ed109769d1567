"""Conditional responses for finished runs: ETag and Last-Modified, and 304 when unchanged.

A finished run never changes, so a representation of it is fixed by the runs it shows, the
request's path and query and the renderer. REPRESENTATION bumps every ETag when the API's
output changes shape.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from allocation.models import AllocationRun

REPRESENTATION = "1"


def _validators(request: Any, runs: tuple[AllocationRun, ...]) -> tuple[str, int] | None:
    if not runs or any(not r.is_finished or r.finished_at is None for r in runs):
        return None
    renderer = getattr(getattr(request, "accepted_renderer", None), "format", "")
    parts = [REPRESENTATION, request.get_full_path(), renderer]
    parts += [f"{r.pk}:{r.inputs_hash}:{r.finished_at.isoformat()}" for r in runs]  # type: ignore[union-attr]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    last_modified = max(int(r.finished_at.timestamp()) for r in runs)  # type: ignore[union-attr]
    return f'"{digest}"', last_modified


def not_modified(request: Any, *runs: AllocationRun) -> HttpResponseBase | None:
    """The 304 (or 412) answer to a conditional request on finished runs, or None."""
    validators = _validators(request, runs)
    if validators is None:
        return None
    etag, last_modified = validators
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is not None:
        _stamp(response, etag, last_modified)
    return response


def stamp(response: HttpResponseBase, request: Any, *runs: AllocationRun) -> HttpResponseBase:
    """Add ETag, Last-Modified and caching headers to a response about finished runs."""
    validators = _validators(request, runs)
    if validators is not None and 200 <= response.status_code < 300:
        _stamp(response, *validators)
    return response


def _stamp(response: HttpResponseBase, etag: str, last_modified: int) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])
