"""With Redis gone (a port nobody listens on, or a server that never answers) reads keep
answering, throttling and failed-login counts go on per process, and a run request answers
503 with its reason while the run waits, queued, for the broker to come back."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from accounts import lockout
from allocation import services, tasks
from allocation.models import AllocationRun, RunStatus, Visibility
from config.cache import FallbackRedisCache
from tests.allocation.factories import ScenarioFactory
from tests.api.conftest import PASSWORD, make_user, token_client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cache(url: str, **options: Any) -> FallbackRedisCache:
    return FallbackRedisCache(
        url,
        {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3, **options}},
    )


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_refused_redis_costs_nothing_and_the_local_cache_answers() -> None:
    cache = _cache(f"redis://127.0.0.1:{_free_port()}/0")
    started = time.monotonic()
    cache.set("a", {"x": 1})
    assert cache.get("a") == {"x": 1}
    assert cache.add("n", 0) and cache.incr("n") == 1 and cache.incr("n") == 1 + 1
    assert cache.get_many(["a", "missing"]) == {"a": {"x": 1}}
    cache.delete("a")
    assert cache.get("a") is None
    assert time.monotonic() - started < 1.0
    assert cache.redis_down


def test_a_hung_redis_costs_one_timeout_then_none_while_it_is_down(silent_server: str) -> None:
    cache = _cache(silent_server, RETRY_AFTER=60)
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    first = time.monotonic() - started
    assert 0.25 <= first < 2.0  # one socket timeout (0.3 s)
    started = time.monotonic()
    for n in range(50):
        cache.set(f"k{n}", n)
        assert cache.get(f"k{n}") == n
    assert time.monotonic() - started < 0.2  # Redis is not tried again for RETRY_AFTER


def test_deletes_while_redis_is_away_are_replayed_when_it_answers() -> None:
    cache = _cache(f"redis://127.0.0.1:{_free_port()}/0", RETRY_AFTER=0)
    cache.delete("stale")
    cache.delete_many(["older", "oldest"])
    replayed: list[list[str]] = []
    with (
        patch.object(cache._cache, "delete_many", lambda keys: replayed.append(sorted(keys))),
        patch.object(cache._cache, "get", return_value=None),
    ):
        assert cache.get("anything") is None  # Redis answers again
    assert replayed == [sorted(cache.make_key(k) for k in ("stale", "older", "oldest"))]
    assert not cache._pending_deletes


@contextmanager
def redis_down() -> Iterator[None]:
    """The cache (results, fragments, throttling, login failures) on a Redis that is gone,
    and a broker that refuses every task."""
    dead = {
        "default": {
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }

    def refused(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with override_settings(CACHES=dead):
        with (
            patch.object(lockout, "cache", caches["default"]),
            patch.object(tasks.run_allocation, "apply_async", refused),
        ):
            yield
        assert isinstance(caches["default"], FallbackRedisCache)
        assert caches["default"].redis_down


@pytest.mark.usefixtures("denmark", "eager_tasks")
def test_reads_answer_and_a_run_request_answers_503_while_redis_is_down() -> None:
    scenario = ScenarioFactory.create(visibility=Visibility.SHARED)
    finished = services.request_run(scenario=scenario)
    finished.refresh_from_db()
    assert finished.status == RunStatus.SUCCEEDED
    planner = make_user("planner", "negotiator")
    other = ScenarioFactory.create(
        owner=planner, params={**scenario.params, "transition": 690, "coverage": 610}
    )

    with redis_down():
        api = token_client(planner)
        for url in (
            "/api/v1/ping/",
            f"/api/v1/runs/{finished.pk}/results/?level=area&geography=sundhedsklynger-21",
            f"/api/v1/runs/{finished.pk}/results/?level=municipality&format=csv-da",
            f"/api/v1/runs/{finished.pk}/",
        ):
            for _ in range(2):  # a miss, then the local cache's hit
                assert api.get(url).status_code == 200, url
        login = APIClient().post(
            "/api/v1/auth/login/", {"username": "planner", "password": PASSWORD}
        )
        assert login.status_code == 200
        wrong = APIClient().post("/api/v1/auth/login/", {"username": "planner", "password": "x"})
        assert wrong.status_code == 400  # counted (per process), not a 500

        page = Client()
        page.force_login(planner)
        for url in ("/", f"/?scenario={scenario.pk}", "/compare/", "/municipalities/787/"):
            assert page.get(url).status_code == 200, url

        response = api.post("/api/v1/runs/", {"scenario": other.pk}, format="json")
        assert response.status_code == 503, response.content
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert "unreachable" in body["detail"] and int(response["Retry-After"]) > 0
        waiting = AllocationRun.objects.get(pk=body["run"])
        assert waiting.status == RunStatus.QUEUED and waiting.task_id == ""
        # Asked again: the same run, still waiting, still 503; no second row.
        again = api.post("/api/v1/runs/", {"scenario": other.pk}, format="json")
        assert again.status_code == 503 and again.json()["run"] == waiting.pk
        assert AllocationRun.objects.filter(scenario=other).count() == 1

        html = page.post(f"/scenarios/{other.pk}/run/")  # Danish first
        assert html.status_code == 503
        assert "Opgavekøen kan ikke nås lige nu" in html.content.decode()
        assert f"/runs/{waiting.pk}/progress/" in html.content.decode()  # the page shows when

    # The broker is back: the sweep sends the waiting run, which then computes (eagerly).
    assert services.sweep_runs(grace=0).dispatched == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.SUCCEEDED, waiting.error
