"""Faults against the real stack: Redis stopped and started again, workers killed mid-run
(a pool process, the whole worker, twice), run requests and imports at the same moment, and
the web's statement and lock timeouts.

Runs where PostgreSQL and Redis are there (DATABASE_URL and REDIS_URL, as in .ci/run); the
Redis this file stops is its own redis-server on a free port, never the shared one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.test import Client, override_settings
from django.utils import timezone

from accounts import lockout
from allocation import services
from allocation.models import (
    AllocationRun,
    MunicipalityResult,
    RunStatus,
    Scenario,
    SensitivityBand,
    Visibility,
)
from allocation.selectors import build_engine_inputs
from config.database import set_web_timeouts
from municipalities.models import DemandIndicator
from tests.allocation.factories import ScenarioFactory
from tests.allocation.test_worker_integration import Worker, finished, start_worker, wait_for
from tests.api.conftest import make_user, token_client

__all__ = ["start_worker"]  # the fixture, shared with the worker tests

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)",
    ),
]
# The workers here beat every second and count a run lost after 8 s without a beat (also
# their visibility timeout); the test process reads the same bounds (claim_run's "alive",
# the sweep's "stale").
FAST = {"RUN_HEARTBEAT_EVERY": "1", "RUN_STALE_AFTER": "8"}
STALE = int(FAST["RUN_STALE_AFTER"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A redis-server of this test's own, to stop and start (no persistence)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="faults-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()
    shutil.rmtree(redis.dir, ignore_errors=True)


@contextmanager
def broker_and_cache(url: str) -> Iterator[None]:
    """This process's broker and cache on ``url`` (the producer pools made again)."""
    from config.celery import app

    def fresh_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    cache = {
        "default": {
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 1},
        }
    }
    app.conf.broker_url = url
    fresh_pools()
    try:
        with override_settings(CACHES=cache):
            lockout_before, lockout.cache = lockout.cache, caches["default"]
            try:
                yield
            finally:
                lockout.cache = lockout_before
    finally:
        app.conf.broker_url = before
        fresh_pools()


@pytest.fixture
def fast_bounds(settings: Any) -> None:
    settings.RUN_HEARTBEAT_EVERY = int(FAST["RUN_HEARTBEAT_EVERY"])
    settings.RUN_STALE_AFTER = STALE


def _busy_scenario(draws: int = 60000) -> Scenario:
    # Enough draws, in one process, that the run is still computing when it is killed.
    return ScenarioFactory.create(
        params={**ScenarioFactory.build().params, "sensitivity_draws": draws}
    )


def _kill_whole(worker: Worker) -> None:
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait()


def _computing(run: AllocationRun) -> bool:
    return run.status == RunStatus.RUNNING and run.stage == "sensitivity"


def test_with_redis_stopped_reads_answer_and_a_run_waits_for_it(
    start_worker: Callable[..., Worker], own_redis: OwnRedis
) -> None:
    from config.celery import app

    negotiator = make_user("negotiator-faults", "negotiator")
    shared = ScenarioFactory.create(owner=negotiator, visibility=Visibility.SHARED)
    wanted = ScenarioFactory.create(
        owner=negotiator,
        params={**shared.params, "transition": 650, "coverage": 650, "accessibility": 200},
    )
    start_worker(REDIS_URL=own_redis.url)
    with broker_and_cache(own_redis.url):
        done = wait_for(services.request_run(scenario=shared), finished, timeout=120)
        assert done.status == RunStatus.SUCCEEDED, done.error
        api = token_client(negotiator)
        page = Client()
        page.force_login(negotiator)
        reads = [
            f"/api/v1/runs/{done.pk}/results/?level=area&geography=sundhedsklynger-21",
            f"/api/v1/runs/{done.pk}/results/?level=municipality&format=csv-da",
            "/api/v1/ping/",
        ]
        pages = [f"/?scenario={shared.pk}", "/compare/", "/municipalities/787/"]
        for url in reads:
            assert api.get(url).status_code == 200, url  # cached in Redis now

        own_redis.stop()
        started = time.monotonic()
        for url in reads:
            assert api.get(url).status_code == 200, url
        for url in pages:
            assert page.get(url).status_code == 200, url
        response = api.post("/api/v1/runs/", {"scenario": wanted.pk}, format="json")
        assert response.status_code == 503 and response["Content-Type"] == "application/json"
        waiting = AllocationRun.objects.get(pk=response.json()["run"])
        assert waiting.status == RunStatus.QUEUED and waiting.task_id == ""
        html = page.post(f"/scenarios/{wanted.pk}/run/")  # Danish first
        assert html.status_code == 503 and "Opgavekøen kan ikke nås" in html.content.decode()
        assert time.monotonic() - started < 15  # timeouts, not hangs

        own_redis.start()  # empty: what the broker held is gone
        deadline = time.monotonic() + 30
        while not services.sweep_runs(grace=0).dispatched:  # the beat job, called here
            assert time.monotonic() < deadline, "the broker did not come back"
            time.sleep(0.5)
        run = wait_for(waiting, finished, timeout=120)
        assert run.status == RunStatus.SUCCEEDED, run.error
        assert app.conf.broker_url == own_redis.url


def test_a_whole_worker_killed_is_noticed_sent_once_more_then_failed(
    start_worker: Callable[..., Worker], fast_bounds: None
) -> None:
    first = start_worker(SENSITIVITY_CHUNK="1000000", **FAST)
    run = services.request_run(scenario=_busy_scenario())
    wait_for(run, _computing, timeout=120)
    _kill_whole(first)
    # The heartbeat stops with the worker; after RUN_STALE_AFTER the sweep sends it again.
    time.sleep(STALE + 0.5)
    sweep = services.sweep_runs(stale_after=STALE)
    assert sweep.redispatched == [run.pk], sweep
    run.refresh_from_db()
    assert run.redispatches == 1 and run.status == RunStatus.QUEUED and run.task_id
    second = start_worker(SENSITIVITY_CHUNK="1000000", **FAST)
    run = wait_for(run, _computing, timeout=120)
    assert run.attempts == 2
    _kill_whole(second)  # lost again
    time.sleep(STALE + 0.5)
    lost_at = time.monotonic()
    assert services.sweep_runs(stale_after=STALE).failed == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "heartbeat" in run.error
    assert "once more" in run.error and time.monotonic() - lost_at < 5
    assert not MunicipalityResult.objects.filter(run=run).exists()


def test_a_killed_worker_comes_back_and_finishes_the_run(
    start_worker: Callable[..., Worker], fast_bounds: None
) -> None:
    first = start_worker(SENSITIVITY_CHUNK="1000000", **FAST)
    run = services.request_run(scenario=_busy_scenario(30000))
    wait_for(run, _computing, timeout=120)
    _kill_whole(first)
    killed = time.monotonic()
    start_worker(SENSITIVITY_CHUNK="1000000", **FAST)
    # The broker gives the unacknowledged message out again after its visibility timeout
    # (RUN_STALE_AFTER); the sweep sends the run once more if that has not happened first.
    while not finished(run):
        services.sweep_runs(stale_after=STALE)
        run.refresh_from_db()
        assert time.monotonic() - killed < 150, f"still {run.status} ({run.stage})"
        time.sleep(1)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert MunicipalityResult.objects.filter(run=run).count() == 98


def test_a_pool_process_killed_mid_chord_the_run_still_finishes(
    start_worker: Callable[..., Worker], fast_bounds: None
) -> None:
    worker = start_worker(SENSITIVITY_CHUNK="2000", **FAST)
    run = services.request_run(scenario=_busy_scenario(16000))
    wait_for(run, lambda r: _computing(r) and (r.stage_count or 0) >= 1, timeout=120)
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)  # a chunk of the chord dies with it
    killed = time.monotonic()
    while not finished(run):
        services.sweep_runs(stale_after=STALE)
        run.refresh_from_db()
        assert time.monotonic() - killed < 120, f"still {run.status} ({run.stage})"
        time.sleep(1)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.sensitivity_summary["draws"] == 16000
    assert SensitivityBand.objects.filter(run=run, level="municipality").count() == 98


@pytest.mark.django_db(transaction=True)
def test_simultaneous_run_requests_get_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "dispatch_run", lambda *, run_id: True)  # no worker needed
    from tests.conftest import _ensure_denmark

    _ensure_denmark()
    scenario = ScenarioFactory.create()
    inputs = build_engine_inputs()

    def ask(barrier: threading.Barrier, got: list[int], errors: list[BaseException]) -> None:
        try:
            barrier.wait()
            got.append(services.request_run(scenario=scenario, inputs=inputs).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    for threads in (4, 8, 8):
        barrier = threading.Barrier(threads)
        got: list[int] = []
        errors: list[BaseException] = []
        workers = [
            threading.Thread(target=ask, args=(barrier, got, errors)) for _ in range(threads)
        ]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert not errors, errors
        assert len(got) == threads and len(set(got)) == 1, got
        active = AllocationRun.objects.filter(scenario=scenario, status__in=services.ACTIVE)
        assert active.count() == 1
        active.update(status=RunStatus.FAILED)  # the next burst asks for a new run


CODES = (101, 147, 151, 153, 155, 157, 159, 161, 163, 165)


def _demand_file(path: Path, value: int, year: int) -> Path:
    rows = "".join(f"{code};{year};{value + n}\n" for n, code in enumerate(CODES))
    path.write_text("kommunekode;year;chronic\n" + rows, encoding="utf-8")
    return path


def test_two_imports_at_once_apply_one_after_the_other_and_no_rerun_fails(
    start_worker: Callable[..., Worker], tmp_path: Path
) -> None:
    shared = Scenario.objects.filter(visibility=Visibility.SHARED)
    for scenario in shared:
        services.update_scenario(
            scenario=scenario, params={**scenario.params, "sensitivity_draws": 50}
        )
    if not shared.exists():
        ScenarioFactory.create(visibility=Visibility.SHARED)
    start_worker()
    # This year's values, which runs read (a later year is a projection, not today's data).
    year = timezone.localdate().year
    files = [
        _demand_file(tmp_path / f"{name}.csv", v, year) for name, v in (("a", 5000), ("b", 7000))
    ]
    # New keys in both files: without the lock both would insert them. (The rows go back
    # after the test, with the rest of the shared data.)
    this_year = DemandIndicator.objects.filter(year=year, indicator="chronic")
    this_year.filter(municipality_id__in=CODES).delete()
    outputs: dict[str, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(files))

    def run_import(path: Path) -> None:
        out = StringIO()
        try:
            barrier.wait()
            call_command("import_demand", str(path), accept_warnings=True, stdout=out)
            outputs[path.name] = out.getvalue()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_import, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all("Demand data imported" in o for o in outputs.values()), outputs
    values = set(this_year.filter(municipality_id__in=CODES).values_list("value", flat=True))
    assert values in ({5000 + n for n in range(10)}, {7000 + n for n in range(10)})
    # Every re-run succeeds; the newest of each shared scenario is on the final data.
    reruns = AllocationRun.objects.filter(triggered_by="data")
    assert reruns.exists()
    for run in reruns:
        run = wait_for(run, finished, timeout=120)
        assert run.status == RunStatus.SUCCEEDED, run.error
    final = build_engine_inputs(year=year)
    for scenario in shared:
        newest = reruns.filter(scenario=scenario).order_by("-created_at").first()
        assert newest is not None
        assert newest.inputs_hash == services.inputs_hash(inputs=final, params=newest.params)


@pytest.mark.django_db(transaction=True)
def test_web_connections_give_up_on_a_held_lock(settings: Any) -> None:
    settings.DB_STATEMENT_TIMEOUT = 2000
    settings.DB_LOCK_TIMEOUT = 300
    from tests.conftest import _ensure_denmark

    _ensure_denmark()
    scenario = ScenarioFactory.create()
    seen: dict[str, Any] = {}

    def web_request() -> None:
        web = connections.create_connection("default")
        try:
            web.ensure_connection()
            set_web_timeouts(sender=None, connection=web)
            with web.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                seen["statement"] = cursor.fetchone()[0]
                started = time.monotonic()
                try:
                    cursor.execute(
                        "UPDATE allocation_scenario SET name = 'x' WHERE id = %s", [scenario.pk]
                    )
                except OperationalError as exc:
                    seen["error"] = exc
                seen["waited"] = time.monotonic() - started
        finally:
            web.close()

    with transaction.atomic():
        Scenario.objects.select_for_update().get(pk=scenario.pk)  # a lock held for long
        thread = threading.Thread(target=web_request)
        thread.start()
        thread.join(timeout=20)
    assert seen["statement"] == "2s"
    assert "lock timeout" in str(seen["error"]) and seen["waited"] < 3
