"""Celery tasks: they take ids, claim their run, call the services and report.

``run_allocation`` is acks_late and rejected back to the queue if its worker dies, so a
killed run is redelivered; it then reclaims its own run and starts again. Results are
written in one transaction at the end, so nothing half-written ever remains. While a task
computes, a thread beside it writes the run's heartbeat: a whole worker killed stops
beating, and ``sweep_runs`` sends the run once more, then fails it with the reason.
"""

from __future__ import annotations

import logging
import math
from contextlib import nullcontext
from typing import Any

from celery import chord, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from allocation import services

logger = logging.getLogger(__name__)


def _busy_countdown() -> float:
    # Long enough for a dead task's heartbeat to go stale (services._alive_after).
    return 3.0 * settings.RUN_HEARTBEAT_EVERY


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A copy of a message whose task is alive asks again until that task is done.
    max_retries=math.ceil(settings.CELERY_TASK_TIME_LIMIT / (3.0 * settings.RUN_HEARTBEAT_EVERY)),
)
def run_allocation(self: Any, run_id: int) -> str:
    task_id = self.request.id or f"local-{run_id}"
    claim = services.claim_run(run_id=run_id, task_id=task_id)
    if claim is services.Claim.BUSY:
        raise self.retry(countdown=_busy_countdown())
    if claim is not services.Claim.CLAIMED:
        return "not claimed"
    eager = bool(self.app.conf.task_always_eager)
    try:
        # In-process (eager) runs are inside the request that asked for them: no beating.
        with nullcontext() if eager else services.heartbeat(run_id=run_id):
            plan = services.execute_run(
                run_id=run_id,
                # In-process runs have no other workers to share the draws with.
                split_sensitivity=not eager,
            )
        if plan.chunks:
            chord(sensitivity_chunk.s(run_id, index, draws) for index, draws in plan.chunks)(
                finish_run.s(run_id)
            )
            return "sensitivity split"
        return "succeeded"
    except SoftTimeLimitExceeded:
        services.fail_run(run_id=run_id, error="The run exceeded its time limit.")
    except Exception as exc:
        logger.exception("allocation run %s failed", run_id)
        services.fail_run(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
    return "failed"


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=False)
def sensitivity_chunk(run_id: int, index: int, draws: int) -> dict[str, Any]:
    with services.heartbeat(run_id=run_id):
        return services.sensitivity_chunk(run_id=run_id, index=index, draws=draws)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def finish_run(chunks: list[Any], run_id: int) -> str:
    try:
        with services.heartbeat(run_id=run_id):
            services.finish_split_run(run_id=run_id, chunks=chunks)
        return "succeeded"
    except Exception as exc:
        logger.exception("allocation run %s failed while merging", run_id)
        services.fail_run(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"


@shared_task(ignore_result=True)
def nightly_rerun() -> int:
    return len(services.rerun_changed_shared_scenarios())


@shared_task(ignore_result=True)
def sweep_runs() -> dict[str, list[int]]:
    sweep = services.sweep_runs(stale_after=settings.RUN_STALE_AFTER)
    return {
        "dispatched": sweep.dispatched,
        "resent": sweep.resent,
        "redispatched": sweep.redispatched,
        "failed": sweep.failed,
    }


@shared_task(ignore_result=True)
def fail_stuck_runs() -> int:
    """The former name of ``sweep_runs``, for messages a beat sent before it was renamed."""
    return services.fail_stuck_runs(older_than_seconds=settings.RUN_STALE_AFTER)
