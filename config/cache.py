"""Django's Redis cache, falling back to a per-process cache while Redis is unreachable.

Everything the cache holds can be recomputed (serialized results, page fragments, the data
status marks), and what counts in it (API throttling, failed logins) may count per process
for a while: so a Redis that is down or hangs must cost a short timeout, not a 500. Each
call that fails on Redis is answered from a local LocMemCache instead, and for the next
``RETRY_AFTER`` seconds Redis is not even tried (a hung Redis would otherwise cost the
socket timeout on every call). Keys deleted while Redis was away are deleted there too when
it answers again, so an invalidation is not lost with the outage; values set meanwhile live
only in the process that set them.

Configured in settings with short socket timeouts (``REDIS_SOCKET_TIMEOUT``): Django's own
RedisCache passes OPTIONS on to redis-py's connection pool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What a lost or hung Redis raises: redis-py's errors, or the socket's own.
FAILURES = (RedisError, OSError)


class ClientPerPool(RedisCacheClient):
    """Django's client with one redis-py client per connection pool, not one per call.

    Django makes a ``redis.Redis`` for every cache call, and each copies its table of
    response callbacks (about 0.3 ms here; an API request makes five or six calls, for the
    throttles and the cached results). A redis-py client is safe to share between threads:
    each command borrows a connection from the pool, which also notices a fork.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The private helpers are Django's own (django-stubs leaves them out).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
                    client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
                    self._clients[index] = client
        return client


class FallbackRedisCache(RedisCache):
    RETRY_AFTER = 5.0  # seconds without trying Redis after it failed

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", self.RETRY_AFTER))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ClientPerPool
        self.local = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._pending_deletes: set[str] = set()

    @property
    def redis_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if self.redis_down:
            return local()
        try:
            self._replay_deletes()
            return remote()
        except FAILURES as exc:
            with self._lock:
                first = not self.redis_down
                self._down_until = time.monotonic() + self.retry_after
            if first:
                logger.warning(
                    "cache: Redis unreachable (%s: %s); using a local cache for %.0f s",
                    type(exc).__name__,
                    exc,
                    self.retry_after,
                )
            return local()

    def _forget_remotely(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._pending_deletes.update(keys)

    def _replay_deletes(self) -> None:
        if not self._pending_deletes:
            return
        with self._lock:
            keys, self._pending_deletes = list(self._pending_deletes), set()
        try:
            self._cache.delete_many(keys)  # made keys already: the client, not the API
        except FAILURES:
            self._forget_remotely(keys)
            raise

    # --- the cache API: Redis first, the local cache while Redis is away ------------------

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).add(key, value, timeout, version),
            lambda: self.local.add(key, value, timeout, version),
        )

    def get(self, key: str, default: Any = None, version: Any = None) -> Any:
        return self._call(
            lambda: super(FallbackRedisCache, self).get(key, default, version),
            lambda: self.local.get(key, default, version),
        )

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._call(
            lambda: super(FallbackRedisCache, self).set(key, value, timeout, version),
            lambda: self.local.set(key, value, timeout, version),
        )

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).touch(key, timeout, version),
            lambda: self.local.touch(key, timeout, version),
        )

    def delete(self, key: str, version: Any = None) -> bool:
        self.local.delete(key, version)

        def local() -> bool:
            self._forget_remotely([self.make_and_validate_key(key, version=version)])
            return True

        return self._call(lambda: super(FallbackRedisCache, self).delete(key, version), local)

    def get_many(self, keys: Any, version: Any = None) -> dict[str, Any]:
        return self._call(
            lambda: super(FallbackRedisCache, self).get_many(keys, version),
            lambda: self.local.get_many(keys, version),
        )

    def has_key(self, key: str, version: Any = None) -> bool:
        return self._call(
            lambda: super(FallbackRedisCache, self).has_key(key, version),
            lambda: self.local.has_key(key, version),
        )

    def incr(self, key: str, delta: int = 1, version: Any = None) -> int:
        return self._call(
            lambda: super(FallbackRedisCache, self).incr(key, delta, version),
            lambda: self.local.incr(key, delta, version),
        )

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[str]:
        return self._call(
            lambda: super(FallbackRedisCache, self).set_many(data, timeout, version),
            lambda: self.local.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        keys = list(keys)
        self.local.delete_many(keys, version)

        def local() -> None:
            self._forget_remotely(self.make_and_validate_key(k, version=version) for k in keys)

        self._call(lambda: super(FallbackRedisCache, self).delete_many(keys, version), local)

    def clear(self) -> None:
        self.local.clear()
        self._call(lambda: super(FallbackRedisCache, self).clear(), lambda: None)
