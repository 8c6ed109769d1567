"""/healthz (liveness: no database, no host check) and /readyz (database, Redis, a worker)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from config import health
from config.celery import app as celery_app


def test_liveness_asks_nothing_not_even_the_host(client: Client) -> None:
    # no database fixture: a query here would fail the test
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    other = client.get("/healthz", HTTP_HOST="not-in-allowed-hosts.example")
    assert other.status_code == 200


@pytest.mark.django_db
def test_quick_start_is_ready_with_redis_and_worker_not_configured(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "data_revision": "ok",
            "redis": "not configured",
            "worker": "not configured",
        },
    }


@pytest.mark.django_db
def test_a_missing_data_revision_trigger_is_503_naming_it(client: Client, settings: Any) -> None:
    """Without its trigger a table's changes would not reach the inputs processes keep."""
    from django.db import connection

    from allocation import revision

    settings.REDIS_URL = ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {revision.TRIGGER} ON practices_practice")
        else:
            cursor.execute(f"DROP TRIGGER {revision.TRIGGER}_practices_practice_update")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["data_revision"] == "down: RuntimeError"
    revision.install_triggers()
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_database_down_is_503_naming_it(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = ""

    def refuse() -> str:
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "down: OperationalError"
    assert body["checks"]["redis"] == "not configured"


@pytest.mark.django_db
def test_redis_down_is_503_naming_it(client: Client, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("down: ")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_no_worker_answering_is_503(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = "redis://example.invalid:6379/0"
    monkeypatch.setitem(health.CHECKS, "redis", lambda: "ok")
    monkeypatch.setattr(celery_app.control, "ping", lambda timeout: [])
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        response = client.get("/readyz")
        monkeypatch.setattr(
            celery_app.control, "ping", lambda timeout: [{"celery@w1": {"ok": "pong"}}]
        )
        ready = client.get("/readyz")
    finally:
        celery_app.conf.task_always_eager = eager
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "data_revision": "ok",
        "redis": "ok",
        "worker": "down: RuntimeError",
    }
    assert ready.status_code == 200 and ready.json()["checks"]["worker"] == "ok (1 answering)"


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")
def test_a_real_redis_answers(client: Client, settings: Any) -> None:
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert health.check_redis() == "ok"
