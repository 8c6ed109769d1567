"""Liveness and readiness.

``/healthz`` says the process answers: nothing else is asked (no database, no host check), so
a container is not restarted because a dependency is down. ``/readyz`` says whether it can
serve: the database, the data revision's triggers (without them the engine inputs each
process keeps would not notice a change: allocation.revision), Redis and at least one Celery
worker, each named in the body, 503 when one is down. Without REDIS_URL (the embedded quick
start) tasks run in-process and Redis and the worker read "not configured".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from allocation import revision
from config.celery import app as celery_app

logger = logging.getLogger(__name__)
OK, NOT_CONFIGURED = "ok", "not configured"
TIMEOUT = 2.0  # seconds for Redis and the workers to answer


class LivenessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return JsonResponse({"status": "ok"})
        return self.get_response(request)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return OK


def check_data_revision() -> str:
    missing = set(revision.engine_tables()) - revision.installed_tables()
    if missing:
        logger.error("data revision triggers missing on %s: run migrate", sorted(missing))
        raise RuntimeError(f"no trigger on {', '.join(sorted(missing))}")
    return OK


def check_redis() -> str:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return OK


def check_worker() -> str:
    if not settings.REDIS_URL or celery_app.conf.task_always_eager:
        return NOT_CONFIGURED
    replies = celery_app.control.ping(timeout=TIMEOUT)
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)} answering)"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "data_revision": check_data_revision,
    "redis": check_redis,
    "worker": check_worker,
}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency means not ready: name it
            results[name] = f"down: {type(exc).__name__}"
    ready = all(r.startswith(OK) or r == NOT_CONFIGURED for r in results.values())
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if ready else 503)
