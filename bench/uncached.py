"""A local-memory cache that can leave out the cached results of finished runs.

The API (`api/caching.py`) and the pages (`reports/fragments.py`) keep what they make of a
finished run in the default cache, under keys with the prefixes below. With the results
switched off, those keys always miss and are never stored, so every request builds its
answer again; everything else (throttling, sessions, reference data) is cached as usual,
so the cached and uncached figures differ by the result caching alone.

`bench/pages.py` switches within one process (`without_results`); `bench/api.py` starts a
second server with `bench.uncached_settings`, whose cache never keeps results.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

RESULT_PREFIXES = ("klyngeplan:api:", "klyngeplan:fragment:")


class ResultsSwitch(LocMemCache):
    keep_results = True
    refused = 0  # result lookups answered with a miss: shows that the prefixes still match

    def _skip(self, key: str) -> bool:
        if self.keep_results or not key.startswith(RESULT_PREFIXES):
            return False
        ResultsSwitch.refused += 1
        return True

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        if self._skip(key):
            return default
        return super().get(key, default, version)

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        if self.keep_results or not key.startswith(RESULT_PREFIXES):
            super().set(key, value, timeout, version)


class NoResults(ResultsSwitch):
    keep_results = False


@contextmanager
def without_results() -> Iterator[None]:
    ResultsSwitch.keep_results = False
    try:
        yield
    finally:
        ResultsSwitch.keep_results = True
