"""A real Celery worker over Redis against the real PostgreSQL test database.

Runs where .ci/run provides PostgreSQL and Redis (DATABASE_URL and REDIS_URL set); skipped
on the SQLite quick start, whose in-memory test database no other process can see.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from allocation import services
from allocation.models import AllocationRun, MunicipalityResult, RunStatus, SensitivityBand
from tests.allocation.factories import ScenarioFactory
from tests.conftest import _ensure_denmark

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL)",
    ),
]


class Worker:
    def __init__(self, queue: str, extra_env: dict[str, str]) -> None:
        db = settings.DATABASES["default"]
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # Chunks the worker sends out must come back to this test's own queue.
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            **extra_env,
        }
        self.log = Path(settings.BASE_DIR) / "artifacts" / f"worker-{queue}.log"
        self.log.parent.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_worker(committed_db: None) -> Iterator[Callable[..., Worker]]:
    from config.celery import app

    _ensure_denmark()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    before = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(queue, env)
        workers.append(worker)
        return worker

    yield start
    for w in workers:
        w.stop()
    app.conf.task_default_queue, app.conf.task_always_eager = before


def wait_for(
    run: AllocationRun,
    done: Callable[[AllocationRun], bool],
    timeout: float = 180,
    check: Callable[[AllocationRun], None] | None = None,
) -> AllocationRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if check:
            check(run)
        if done(run):
            return run
        time.sleep(0.2)
    pytest.fail(f"run {run.pk} still {run.status} ({run.stage}) after {timeout} s")


def finished(run: AllocationRun) -> bool:
    return run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)


def test_worker_completes_a_run_and_identical_request_reuses_it(
    start_worker: Callable[..., Worker],
) -> None:
    start_worker()
    scenario = ScenarioFactory.create()
    run = services.request_run(scenario=scenario, user=scenario.owner)
    run = wait_for(run, finished)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.task_id and run.attempts == 1
    assert run.totals["total"] == 1500
    assert MunicipalityResult.objects.filter(run=run).count() == 98
    assert services.request_run(scenario=scenario).pk == run.pk


def test_many_draws_split_across_workers_and_merge(start_worker: Callable[..., Worker]) -> None:
    start_worker(SENSITIVITY_CHUNK="400")
    scenario = ScenarioFactory.create(
        params={**ScenarioFactory.build().params, "sensitivity_draws": 1000}
    )
    # The splitting itself happens in the worker: it reads its own SENSITIVITY_CHUNK.
    run = wait_for(services.request_run(scenario=scenario), finished)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert "sensitivity_merge" in run.timings
    assert run.sensitivity_summary["draws"] == 1000
    assert SensitivityBand.objects.filter(run=run, level="municipality").count() == 98


def test_sigkill_mid_run_leaves_no_partial_results(start_worker: Callable[..., Worker]) -> None:
    # Enough draws, computed in one process, that the run is still busy when it is killed.
    worker = start_worker(SENSITIVITY_CHUNK="1000000")
    scenario = ScenarioFactory.create(
        params={**ScenarioFactory.build().params, "sensitivity_draws": 60000}
    )
    run = services.request_run(scenario=scenario)

    def no_partial_results(r: AllocationRun) -> None:
        if r.status != RunStatus.SUCCEEDED:
            assert not MunicipalityResult.objects.filter(run=r).exists()

    wait_for(
        run,
        lambda r: r.status == RunStatus.RUNNING and "sensitivity" in r.stage,
        timeout=120,
        check=no_partial_results,
    )
    children = worker.children()
    assert children, "the worker has no pool process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    run = wait_for(run, finished, timeout=300, check=no_partial_results)
    if run.status == RunStatus.SUCCEEDED:
        assert run.attempts >= 2  # it was redelivered and ran again
        assert MunicipalityResult.objects.filter(run=run).count() == 98
    else:
        assert run.error


def test_whole_worker_killed_run_is_sent_again_by_the_stuck_run_job(
    start_worker: Callable[..., Worker],
) -> None:
    worker = start_worker(SENSITIVITY_CHUNK="1000000")
    scenario = ScenarioFactory.create(
        params={**ScenarioFactory.build().params, "sensitivity_draws": 60000}
    )
    run = services.request_run(scenario=scenario)
    wait_for(run, lambda r: r.status == RunStatus.RUNNING and "sensitivity" in r.stage)
    for pid in worker.children():
        os.kill(pid, signal.SIGKILL)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait()
    time.sleep(1.5)
    assert services.fail_stuck_runs(older_than_seconds=1) >= 1
    run.refresh_from_db()
    # Sent to a worker once more (failed only if lost again: test_faults_integration.py).
    assert run.status == RunStatus.QUEUED and run.redispatches == 1
    assert not MunicipalityResult.objects.filter(run=run).exists()
    connection.close()
