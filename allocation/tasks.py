"""Celery tasks: they take ids, claim their run, call the services and report.

``run_allocation`` is acks_late and rejected back to the queue if its worker dies, so a
killed run is redelivered; it then reclaims its own run and starts again. Results are
written in one transaction at the end, so nothing half-written ever remains.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import chord, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from allocation import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_allocation(self: Any, run_id: int) -> str:
    task_id = self.request.id or f"local-{run_id}"
    if not services.claim_run(run_id=run_id, task_id=task_id):
        return "not claimed"
    try:
        plan = services.execute_run(
            run_id=run_id,
            # In-process (eager) runs have no other workers to share the draws with.
            split_sensitivity=not self.app.conf.task_always_eager,
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
def sensitivity_chunk(run_id: int, index: int, draws: int) -> list[list[int]]:
    return services.sensitivity_chunk(run_id=run_id, index=index, draws=draws)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def finish_run(chunks: list[list[list[int]]], run_id: int) -> str:
    try:
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
def fail_stuck_runs() -> int:
    return services.fail_stuck_runs(older_than_seconds=settings.RUN_STALE_AFTER)
