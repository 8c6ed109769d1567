"""Rendered results of finished runs, cached.

A finished run is immutable, so the HTML drawn from it (figures, tables) only changes with
the language, the links' query string and the reference data. The key holds the run's id,
inputs hash and finish time, the language and the view's own parts; entries expire after
FRAGMENT_TTL so a reload of the reference data shows within that time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from allocation.models import AllocationRun

FRAGMENT_TTL = 60 * 60


def run_key(run: AllocationRun) -> str:
    return f"{run.pk}:{run.inputs_hash}:{run.finished_at.isoformat() if run.finished_at else ''}"


def cached_fragment(
    request: HttpRequest,
    *,
    template: str,
    parts: Sequence[Any],
    build: Callable[[], dict[str, Any]],
) -> SafeString:
    """``template`` rendered with ``build()``'s context, from the cache when it is there."""
    raw = repr((template, get_language(), *parts)).encode()
    key = "klyngeplan:fragment:" + hashlib.sha256(raw).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render_to_string(template, build(), request=request)
        cache.set(key, html, FRAGMENT_TTL)
    return mark_safe(html)
