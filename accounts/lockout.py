"""Failed logins counted per username and per client address, in the cache.

Ten failures for one username within the window lock that username for the window, even
with the right password: a guesser cannot spread attempts over many addresses. The count per
client address is generous on purpose (many honest users share one address behind a NAT,
and their successes count for nothing); it stops one address from trying password after
password across many usernames. The client address is REMOTE_ADDR; only with NUM_PROXIES
set (trusted proxies in front) is it read from X-Forwarded-For, counting from the right, so
a header the client makes up changes nothing.

The web login, the admin login and the API login all authenticate through
``accounts.backends.LockoutBackend``, which refuses a locked username or address; the web
and API login views ask ``refusal`` first to answer 429 with the time to try again.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The cache the counts live in; tests give each test a fresh one.
cache: BaseCache = caches["default"]


@dataclass(frozen=True)
class Refusal:
    until: float  # unix time when logins are accepted again
    message: str

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.until - time.time()))


def window() -> int:
    return int(settings.LOGIN_FAILURE_WINDOW)


def client_address(request: HttpRequest | None) -> str:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies the address the first of them saw."""
    if request is None:
        return ""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = int(settings.NUM_PROXIES)
    if proxies > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:32]
    return f"login-failures:{kind}:{digest}"


def _locked_until(kind: str, value: str) -> float | None:
    until = cache.get(_key(kind, value) + ":locked")
    return float(until) if until is not None and float(until) > time.time() else None


def _message(kind: str, until: float) -> str:
    minutes = max(1, math.ceil((until - time.time()) / 60))
    at = timezone.localtime(datetime.fromtimestamp(until, tz=UTC)).strftime("%H:%M")
    wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    if kind == "username":
        text = _("Too many failed logins for this username. Try again at %(at)s (in %(wait)s).")
    else:
        text = _("Too many failed logins from your address. Try again at %(at)s (in %(wait)s).")
    return text % {"at": at, "wait": wait}


def refusal(*, request: HttpRequest | None, username: str) -> Refusal | None:
    """Why a login for ``username`` from this request is refused now, or None if it may try."""
    for kind, value in (("username", username), ("address", client_address(request))):
        if not value:
            continue
        until = _locked_until(kind, value)
        if until is not None:
            return Refusal(until=until, message=_message(kind, until))
    return None


def _count(kind: str, value: str, limit: int) -> None:
    key = _key(kind, value)
    cache.add(key, 0, timeout=window())  # the window starts at the first failure
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr: this failure starts a new window
        cache.set(key, 1, timeout=window())
        failures = 1
    if failures >= limit:
        cache.add(key + ":locked", time.time() + window(), timeout=window())


def record_failure(*, request: HttpRequest | None, username: str) -> None:
    if username:
        _count("username", username, int(settings.LOGIN_FAILURES_PER_USERNAME))
    address = client_address(request)
    if address:
        _count("address", address, int(settings.LOGIN_FAILURES_PER_ADDRESS))


def record_success(*, username: str) -> None:
    """A right password (while not locked) forgets that username's earlier failures."""
    cache.delete(_key("username", username))
