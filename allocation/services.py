"""Writes for scenarios and runs.

Runs are requested here and executed by ``allocation.tasks.run_allocation``; the task calls
back into :func:`execute_run`, which does the work and writes every result in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from allocation.engine import (
    NATION,
    AllocationParams,
    EngineInputs,
    Outcome,
    allocate,
    area_columns_many,
)
from allocation.engine.frames import json_safe
from allocation.engine.sensitivity import (
    Sensitivity,
    perturbed,
    summarise_sensitivity,
    with_open_share_range,
)
from allocation.models import (
    DEFAULT_SCENARIO_NAME,
    PARAMS_SCHEMA_VERSION,
    AllocationRun,
    AreaResult,
    DataLock,
    MunicipalityResult,
    Placement,
    RunInputs,
    RunStatus,
    Scenario,
    ScenarioStatus,
    ScenarioTransition,
    SensitivityBand,
    Stage,
    Trigger,
    Visibility,
)
from allocation.selectors import (
    current_engine_inputs,
    forget_cached_inputs,
    inputs_hash,
    run_snapshot,
)
from allocation.snapshots import inputs_from_frames, inputs_to_frames

logger = logging.getLogger(__name__)
User = AbstractBaseUser | AnonymousUser | None
# A run that has been claimed this many times without finishing is failed, not retried: a
# task that kills its worker would otherwise loop forever.
MAX_ATTEMPTS = 3
# A lost run is dispatched again this many times before it is failed.
MAX_REDISPATCHES = 1
# What publishing a task raises when the broker is down or hangs (kombu wraps most of it).
BROKER_ERRORS = (KombuError, RedisError, OSError)
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class BrokerUnavailable(Exception):
    """The task queue did not take a run; the run stays queued and ``sweep_runs``
    dispatches it as soon as the broker answers again."""

    def __init__(self, run: AllocationRun) -> None:
        super().__init__(f"the broker did not take run {run.pk}")
        self.run = run


def validated_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's own validation; raises ParamsError naming the field."""
    return AllocationParams.from_dict(params).to_dict()


def _user(user: User) -> Any:
    return user if user is not None and user.is_authenticated else None


@transaction.atomic
def create_scenario(
    *,
    name: str,
    owner: User,
    params: Mapping[str, Any] | None = None,
    description: str = "",
    visibility: str = Visibility.PRIVATE,
    status: str = ScenarioStatus.DRAFT,
    based_on: Scenario | None = None,
) -> Scenario:
    scenario = Scenario(
        name=name,
        description=description,
        owner=_user(owner),
        visibility=visibility,
        status=status,
        params=validated_params(params or {}),
        params_schema_version=PARAMS_SCHEMA_VERSION,
        based_on=based_on,
    )
    scenario.full_clean(exclude=["owner", "based_on"])
    scenario.save()
    return scenario


class ScenarioLocked(Exception):
    """An agreed scenario is a record of what was agreed: it is not edited, it is cloned."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        super().__init__(
            f"Scenario {scenario.pk} is agreed and therefore locked; clone it to change it."
        )


class StatusChangeRefused(ValidationError):
    """A status change the scenario's life does not allow (draft -> agreed, say)."""


@transaction.atomic
def update_scenario(
    *,
    scenario: Scenario,
    name: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    status: str | None = None,
    params: Mapping[str, Any] | None = None,
    user: User = None,
) -> Scenario:
    """Change a scenario; a new ``status`` is a step of its life (:func:`change_status`,
    recorded with ``user``). Raises ScenarioLocked for an agreed scenario."""
    if scenario.is_locked:
        raise ScenarioLocked(scenario)
    if name is not None:
        scenario.name = name
    if description is not None:
        scenario.description = description
    if visibility is not None:
        scenario.visibility = visibility
    if params is not None:
        scenario.params = validated_params(params)
        scenario.params_schema_version = PARAMS_SCHEMA_VERSION
    scenario.full_clean(exclude=["owner", "based_on"])
    scenario.save()
    if status is not None and status != scenario.status:
        change_status(scenario=scenario, to=status, user=user)
    return scenario


@transaction.atomic
def change_status(
    *, scenario: Scenario, to: str, user: User = None, note: str = ""
) -> ScenarioTransition:
    """Move a scenario one step in its life (models.NEXT_STATUSES) and record who and when.

    Raises StatusChangeRefused (a ValidationError on ``status``) for a step that is not
    allowed, which includes any step away from agreed.
    """
    locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
    if to not in locked.next_statuses:
        raise StatusChangeRefused(
            {
                "status": gettext("The status %(from)s cannot change to %(to)s.")
                % {
                    "from": ScenarioStatus(locked.status).label,
                    "to": ScenarioStatus(to).label if to in ScenarioStatus.values else to,
                }
            }
        )
    step = ScenarioTransition.objects.create(
        scenario=locked, from_status=locked.status, to_status=to, by=_user(user), note=note
    )
    Scenario.objects.filter(pk=locked.pk).update(status=to, updated_at=timezone.now())
    scenario.status = to
    return step


def clone_name(name: str) -> str:
    """``"<name> (kopi)"``, the name shortened (with an ellipsis) to fit the column."""
    suffix = " (kopi)"
    room = Scenario._meta.get_field("name").max_length or 200
    if len(name) + len(suffix) > room:
        name = name[: room - len(suffix) - 1].rstrip() + "…"
    return name + suffix


@transaction.atomic
def clone_scenario(
    *, scenario: Scenario, owner: User, name: str | None = None, description: str = ""
) -> Scenario:
    """A private draft of ``owner``'s with ``scenario``'s parameters, named and described by
    its author (the original's description describes the original, so it is not copied)."""
    return create_scenario(
        name=name or clone_name(scenario.name),
        owner=owner,
        params=scenario.params,
        description=description,
        visibility=Visibility.PRIVATE,
        status=ScenarioStatus.DRAFT,
        based_on=scenario,
    )


@transaction.atomic
def ensure_default_scenario() -> Scenario:
    """The shared default scenario "KL/PLO 2035 (700/600/200)" with default parameters."""
    existing = Scenario.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    return Scenario.objects.create(
        name=DEFAULT_SCENARIO_NAME,
        description="The KL/PLO proposal: 700 transition, 600 coverage, 200 accessibility.",
        visibility=Visibility.SHARED,
        status=ScenarioStatus.PROPOSED,
        params=AllocationParams().to_dict(),
        is_default=True,
    )


# --- hashing ---------------------------------------------------------------------------


# --- requesting runs -------------------------------------------------------------------


def _identical(*, scenario: Scenario, digest: str) -> AllocationRun | None:
    return (
        AllocationRun.objects.filter(scenario=scenario, inputs_hash=digest)
        .filter(Q(status=RunStatus.SUCCEEDED) | Q(status__in=ACTIVE))
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def request_run(
    *,
    scenario: Scenario,
    user: User = None,
    trigger: str = Trigger.USER,
    inputs: EngineInputs | None = None,
) -> AllocationRun:
    """Queue a run of ``scenario`` on the current data, or return an identical one.

    An identical run (same inputs hash) that succeeded, or is queued or running, is returned
    instead of a new one; the database holds at most one queued or running run per scenario
    and inputs (a partial unique constraint), so a request at the same moment as another
    gets the other's run. The task is dispatched when the transaction commits, so the worker
    never looks for a row that is not there yet; if the broker does not take it, the run
    stays queued without a task id and ``sweep_runs`` dispatches it later.
    """
    params = validated_params(scenario.params)
    inputs = inputs or current_engine_inputs()
    digest = inputs_hash(inputs=inputs, params=params)
    same = _identical(scenario=scenario, digest=digest)
    if same is not None:
        return same
    try:
        with transaction.atomic():
            run = AllocationRun.objects.create(
                scenario=scenario,
                params=params,
                inputs_hash=digest,
                triggered_by=trigger,
                requested_by=_user(user),
                stage=Stage.QUEUED,
            )
    except IntegrityError:
        # An identical request committed its run after our look: that run is ours too.
        same = _identical(scenario=scenario, digest=digest)
        if same is None:
            raise
        return same
    # The run computes on exactly the inputs it was hashed on, and its explanations are
    # rebuilt from them on read; the statuses of its figures are kept beside them (outside
    # the hash: a status says where a value comes from, it does not change the result).
    # Written as the JSON text it is (the same for every run on the same data revision).
    _insert(RunInputs, {"run": [run.pk], "frames": [run_snapshot(inputs=inputs)]})
    _keep_inputs(run_id=run.pk, inputs=inputs)
    transaction.on_commit(lambda: dispatch_run(run_id=run.pk))
    return run


# The inputs of the runs this process requested last, for a task that runs here (Celery
# eager, the embedded default) to compute on without rebuilding them from the snapshot it
# was just written from (about a third of the time the store takes). The snapshot stays the
# record and is what a worker elsewhere, a retry or a re-dispatch reads. Bounded: a web
# process whose runs go to a worker keeps only the last few.
_KEPT_INPUTS = 4
_kept_inputs: OrderedDict[int, EngineInputs] = OrderedDict()
_kept_lock = threading.Lock()


def _keep_inputs(*, run_id: int, inputs: EngineInputs) -> None:
    with _kept_lock:
        _kept_inputs[run_id] = inputs
        while len(_kept_inputs) > _KEPT_INPUTS:
            _kept_inputs.popitem(last=False)


def _kept(run_id: int) -> EngineInputs | None:
    with _kept_lock:
        return _kept_inputs.pop(run_id, None)


def request_user_run(*, scenario: Scenario, user: User) -> AllocationRun:
    """A person's run request: the run, dispatched; or BrokerUnavailable if the broker is
    down (the run is kept queued and starts when the broker is back)."""
    run = request_run(scenario=scenario, user=user, trigger=Trigger.USER)
    run.refresh_from_db(fields=["status", "task_id"])
    if run.status == RunStatus.QUEUED and not run.task_id and not dispatch_run(run_id=run.pk):
        raise BrokerUnavailable(run)
    return run


def dispatch_run(*, run_id: int) -> bool:
    """Send a queued run without a task to the broker; False if the broker did not take it.

    The task id is written only once the broker has the message, so a run with an empty
    task id is one no broker has: ``sweep_runs`` dispatches those.
    """
    # Imported here: allocation.tasks imports this module (tasks call services).
    from allocation.tasks import run_allocation

    task_id = str(uuid.uuid4())
    try:
        run_allocation.apply_async(args=[run_id], task_id=task_id)
    except BROKER_ERRORS as exc:
        logger.warning(
            "run %s: the broker did not take the task (%s: %s); it stays queued",
            run_id,
            type(exc).__name__,
            exc,
        )
        return False
    # In eager mode the run has finished by now; never write over a claimed or finished run.
    AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED, task_id="").update(
        task_id=task_id, heartbeat_at=timezone.now()
    )
    return True


def _rerun_shared(*, trigger: str, user: User = None) -> list[AllocationRun]:
    """Request a run of every shared scenario on the current data; a scenario whose inputs
    hash has not changed gets its existing run back (see :func:`request_run`)."""
    inputs = current_engine_inputs()
    return [
        request_run(scenario=s, user=user, trigger=trigger, inputs=inputs)
        for s in Scenario.objects.filter(visibility=Visibility.SHARED)
    ]


DATA_LOCK = "engine-inputs"


class DataBusy(Exception):
    """Another writer (an import) held the data lock longer than this writer may wait (the
    database's lock timeout): nothing was changed; try again when it has finished."""


@contextmanager
def data_lock(*, holder: str) -> Iterator[None]:
    """A transaction holding the lock on the engine's input data, for one writer at a time.

    Imports, ``load_denmark`` and the web and API edits of practices apply their change
    inside it (and imports request the re-runs that follow inside it too, on the data they
    leave): a second writer waits for the first to commit and then reads what the first
    wrote, instead of both planning on the same rows. On PostgreSQL the lock is the lock
    row's (select_for_update); on SQLite, which ignores that, the update of the row takes the
    database's write lock, which serialises as well. A writer that waits longer than the
    database allows (a web request's lock timeout, SQLite's busy timeout) gets DataBusy.
    """
    with transaction.atomic():
        try:
            lock = DataLock.objects.select_for_update().filter(name=DATA_LOCK).first()
            if lock is None:  # a database flushed since its migration
                lock, _ = DataLock.objects.get_or_create(name=DATA_LOCK)
                lock = DataLock.objects.select_for_update().get(name=DATA_LOCK)
            DataLock.objects.filter(name=DATA_LOCK).update(
                holder=holder[:200], taken_at=timezone.now()
            )
        except DatabaseError as exc:
            raise DataBusy(f"the data lock is held by another writer ({exc})") from exc
        yield


# What changed the engine's inputs, for :func:`data_changed`.
DEMAND_IMPORT = "demand import"
PRACTICE_IMPORT = "practice import"
PRACTICE_EDIT = "practice edit"
PROJECTION_IMPORT = "population projection import"


def forget_engine_inputs() -> None:
    """The engine's data changed: this process drops the inputs it kept, after the commit
    (the data revision, raised by the database itself, tells every other process)."""
    transaction.on_commit(forget_cached_inputs)


def data_changed(*, source: str, batch: Any = None, user: User = None) -> list[AllocationRun]:
    """The data the engine reads has changed: re-run every shared scenario on it.

    Called by whoever changed the data (the demand and practice imports, a practice edit on
    the web or through the API), after the change, so that the apps holding the data never
    call up into the allocation. ``source`` names the change (``DEMAND_IMPORT``,
    ``PRACTICE_IMPORT``, ``PRACTICE_EDIT``), ``batch`` the import batch if there is one, and
    ``user`` who made it (recorded as the runs' requester). Previews read the new data.
    """
    forget_engine_inputs()
    runs = _rerun_shared(trigger=Trigger.DATA_CHANGE, user=user)
    logger.info(
        "%s%s changed the data: %d shared scenario(s) re-run",
        source,
        f" (batch {getattr(batch, 'pk', batch)})" if batch is not None else "",
        len(runs),
    )
    return runs


def rerun_changed_shared_scenarios() -> list[AllocationRun]:
    """The nightly job: a shared scenario whose inputs hash changed gets a new run."""
    return _rerun_shared(trigger=Trigger.SCHEDULE)


# --- executing runs --------------------------------------------------------------------


class Claim(enum.Enum):
    CLAIMED = "claimed"  # this task runs it now
    BUSY = "busy"  # another task computes it and is alive: ask again later
    GONE = "gone"  # finished, failed, or another task's: nothing to do


def _alive_after() -> dt.datetime:
    """Heartbeats since this moment show a task still at work (a few beats of slack)."""
    return timezone.now() - dt.timedelta(seconds=2.5 * settings.RUN_HEARTBEAT_EVERY)


def claim_run(*, run_id: int, task_id: str) -> Claim:
    """Move a queued run to running, atomically; a redelivered task may reclaim its own run.

    A redelivered message whose run still has a fresh heartbeat belongs to a task that is
    alive (the broker gave the message out again after its visibility timeout): BUSY, so
    that the copy asks again later instead of computing the run twice.
    """
    now = timezone.now()
    claimed = AllocationRun.objects.filter(
        Q(status=RunStatus.QUEUED)
        | Q(status=RunStatus.RUNNING, task_id=task_id)
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=_alive_after())),
        pk=run_id,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=RunStatus.RUNNING,
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        progress=1,
        stage=Stage.STARTED,
        stage_count=None,
        stage_total=None,
    )
    if claimed:
        AllocationRun.objects.filter(pk=run_id).update(attempts=F("attempts") + 1)
        return Claim.CLAIMED
    if AllocationRun.objects.filter(
        pk=run_id, status=RunStatus.RUNNING, task_id=task_id, attempts__lt=MAX_ATTEMPTS
    ).exists():
        return Claim.BUSY
    fail_run(
        run_id=run_id,
        error=f"The run was started {MAX_ATTEMPTS} times without finishing "
        "(the worker was lost each time).",
        only_if_attempts_exhausted=True,
    )
    return Claim.GONE


def beat(*, run_id: int) -> None:
    """A sign of life from a task computing the run; also while the run waits, queued, to
    be computed again (the chunks of its first attempt are still at work)."""
    AllocationRun.objects.filter(pk=run_id, status__in=ACTIVE).update(heartbeat_at=timezone.now())


@contextmanager
def heartbeat(*, run_id: int, every: float | None = None) -> Iterator[None]:
    """Beat for the run every ``every`` seconds (RUN_HEARTBEAT_EVERY) while the block runs.

    A thread beside the computation, with its own database connection: the engine's long
    numpy calls cannot report progress from inside, and a killed process stops beating,
    which is how ``sweep_runs`` notices a lost worker.
    """
    interval = float(every if every is not None else settings.RUN_HEARTBEAT_EVERY)
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(interval):
                try:
                    beat(run_id=run_id)
                except DatabaseError:  # the database away for a moment: beat next time
                    logger.warning("run %s: heartbeat not written", run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=loop, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)


def report_progress(
    *, run_id: int, progress: int, stage: Stage, count: int | None = None, of: int | None = None
) -> None:
    """``count`` of ``of`` says where in its stage the run is (sensitivity chunk 3 of 5)."""
    AllocationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=max(0, min(99, progress)),
        stage=stage,
        stage_count=count,
        stage_total=of,
        heartbeat_at=timezone.now(),
    )


def fail_run(*, run_id: int, error: str, only_if_attempts_exhausted: bool = False) -> bool:
    qs = AllocationRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    if only_if_attempts_exhausted:
        qs = qs.filter(attempts__gte=MAX_ATTEMPTS)
    return bool(
        qs.update(
            status=RunStatus.FAILED,
            error=error[:10_000],
            finished_at=timezone.now(),
            stage=Stage.FAILED,
            stage_count=None,
            stage_total=None,
        )
    )


@dataclass
class Sweep:
    dispatched: list[int] = field(default_factory=list)  # queued runs the broker had not taken
    resent: list[int] = field(default_factory=list)  # queued runs whose message may be lost
    redispatched: list[int] = field(default_factory=list)  # lost runs sent once more
    failed: list[int] = field(default_factory=list)  # lost again after that


def _lost_reason(stale_after: int) -> str:
    return (
        f"The worker computing the run stopped sending its heartbeat (none for {stale_after} "
        "s); the run was sent to a worker once more and was lost again, so it was stopped "
        "here. Workers are lost when they are killed, run out of memory or restart. Request "
        "the run again."
    )


# A split run waiting for its chunks or its merge: its tasks queue behind other runs' work.
WAITING_FOR_CHUNKS = Q(stage=Stage.MERGING) | Q(stage=Stage.SENSITIVITY, stage_total__gt=1)
# How much longer than RUN_STALE_AFTER such a run may wait while the workers are busy.
BUSY_SLACK = 4


def sweep_runs(*, stale_after: int | None = None, grace: float = 10.0) -> Sweep:
    """Dispatch, re-dispatch or fail runs that no live task is working on (the beat job).

    - a queued run without a task id (the broker did not take it) older than ``grace``
      seconds is dispatched: this is how runs requested while the broker was down start;
    - a running run whose heartbeat is older than ``stale_after`` (RUN_STALE_AFTER) lost its
      worker: it is dispatched once more (a split sensitivity's chunks included: the whole
      run starts again), and failed with the reason the next time. While other runs are
      being computed, a split run waiting for its chunks or its merge is queued behind
      them, not lost, for up to BUSY_SLACK times as long;
    - a queued run sent that long ago while no run is being computed may have lost its
      message (a broker restarted without its data): it is sent again (a second message is
      harmless: only one task claims the run). Waiting is not failing: a queued run is
      never failed here.
    """
    stale_after = int(stale_after if stale_after is not None else settings.RUN_STALE_AFTER)
    now = timezone.now()
    result = Sweep()
    seen = AllocationRun.objects.annotate(seen_at=Coalesce("heartbeat_at", "created_at"))

    undispatched = seen.filter(
        status=RunStatus.QUEUED, task_id="", seen_at__lt=now - dt.timedelta(seconds=grace)
    ).order_by("created_at")
    for run_id in undispatched.values_list("pk", flat=True):
        if not dispatch_run(run_id=run_id):
            break  # the broker is still away: the next sweep tries again
        result.dispatched.append(run_id)

    cutoff = now - dt.timedelta(seconds=stale_after)
    busy = AllocationRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__gte=cutoff)
    lost = Q(status=RunStatus.RUNNING, seen_at__lt=cutoff)
    if busy.exists():
        long_ago = now - dt.timedelta(seconds=BUSY_SLACK * stale_after)
        lost &= ~WAITING_FOR_CHUNKS | Q(seen_at__lt=long_ago)
    else:
        resend = seen.filter(status=RunStatus.QUEUED, seen_at__lt=cutoff).exclude(task_id="")
        for run_id in resend.values_list("pk", flat=True):
            if resend.filter(pk=run_id).update(task_id="", heartbeat_at=timezone.now()):
                result.resent.append(run_id)
                dispatch_run(run_id=run_id)  # if the broker is away, the next sweep sends it
    for run_id, redispatches in seen.filter(lost).values_list("pk", "redispatches"):
        still_lost = seen.filter(lost, pk=run_id, redispatches=redispatches)
        if redispatches >= MAX_REDISPATCHES:
            if still_lost.update(
                status=RunStatus.FAILED,
                finished_at=timezone.now(),
                stage=Stage.FAILED,
                stage_count=None,
                stage_total=None,
                error=_lost_reason(stale_after),
            ):
                result.failed.append(run_id)
                logger.warning("run %s lost again: failed", run_id)
            continue
        if still_lost.update(
            status=RunStatus.QUEUED,
            task_id="",
            progress=0,
            stage=Stage.QUEUED,
            stage_count=None,
            stage_total=None,
            heartbeat_at=timezone.now(),
            redispatches=F("redispatches") + 1,
        ):
            logger.warning("run %s lost its worker: dispatched again", run_id)
            result.redispatched.append(run_id)
            dispatch_run(run_id=run_id)  # if the broker is away, the next sweep sends it
    return result


def fail_stuck_runs(*, older_than_seconds: int) -> int:
    """Runs no task works on any more, dispatched again once and failed after that."""
    sweep = sweep_runs(stale_after=older_than_seconds)
    return len(sweep.resent) + len(sweep.redispatched) + len(sweep.failed)


@dataclass(frozen=True)
class RunPlan:
    """What is left of a run after the allocation: nothing, or sensitivity chunks to spread."""

    chunks: list[tuple[int, int]]


def sensitivity_chunks(*, draws: int, chunk: int) -> list[tuple[int, int]]:
    """(index, draws) of each chunk; fixed by the draw count so results never depend on how
    many workers there were."""
    return [(i, min(chunk, draws - start)) for i, start in enumerate(range(0, draws, chunk))]


def _chunk_params(params: AllocationParams, index: int) -> AllocationParams:
    # Each chunk has its own random stream, derived from the scenario's seed and the index.
    seed = int(np.random.SeedSequence([params.sensitivity_seed, index]).generate_state(1)[0])
    return params.with_changes(sensitivity_seed=seed)


def _inputs_for(run: AllocationRun) -> EngineInputs:
    """The inputs the run was requested on (its snapshot), whatever changed since: a data
    change requests its own run. A run queued before snapshots were kept takes the data as
    it is now, with its hash and snapshot (so its record says what it computed on)."""
    kept = _kept(run.pk)
    if kept is not None and run.attempts <= 1 and run.redispatches == 0:
        return kept
    frames = RunInputs.objects.filter(run_id=run.pk).values_list("frames", flat=True).first()
    if frames is not None:
        return inputs_from_frames(frames)
    inputs = current_engine_inputs()
    digest = inputs_hash(inputs=inputs, params=run.params)
    with transaction.atomic():
        RunInputs.objects.get_or_create(
            run_id=run.pk, defaults={"frames": inputs_to_frames(inputs)}
        )
        if digest != run.inputs_hash:
            try:
                with transaction.atomic():
                    AllocationRun.objects.filter(pk=run.pk).update(inputs_hash=digest)
            except IntegrityError as exc:
                raise RuntimeError(
                    "An identical run on the current data is already queued or running."
                ) from exc
    return inputs


def execute_run(*, run_id: int, split_sensitivity: bool) -> RunPlan:
    """Do a claimed run: allocate, then sensitivity here or split into chunks, then store.

    Returns the chunks still to compute when ``split_sensitivity`` spreads them across
    workers (the task then sends them out and ``finish_split_run`` stores everything).
    """
    run = AllocationRun.objects.get(pk=run_id)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=5, stage=Stage.READING)
    inputs = _inputs_for(run)
    params = AllocationParams.from_dict(run.params)
    timings["inputs"] = time.perf_counter() - t
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=15, stage=Stage.ALLOCATING)
    outcome = allocate(inputs, params)
    timings["allocate"] = time.perf_counter() - t
    chunks = sensitivity_chunks(draws=params.sensitivity_draws, chunk=settings.SENSITIVITY_CHUNK)
    if split_sensitivity and len(chunks) > 1:
        report_progress(
            run_id=run_id, progress=30, stage=Stage.SENSITIVITY, count=0, of=len(chunks)
        )
        AllocationRun.objects.filter(pk=run_id).update(timings=timings)
        return RunPlan(chunks=chunks)
    t = time.perf_counter()
    parts, shares = [], []
    for index, draws in chunks:
        report_progress(
            run_id=run_id,
            progress=30 + int(60 * index / len(chunks)),
            stage=Stage.SENSITIVITY,
            count=index + 1,
            of=len(chunks),
        )
        result = perturbed(inputs, _chunk_params(params, index), draws)
        parts.append(result.totals)
        shares.append(result.open_share)
    sensitivity = summarise_sensitivity(
        inputs, params, outcome, np.vstack(parts), np.concatenate(shares)
    )
    timings["sensitivity"] = time.perf_counter() - t
    report_progress(run_id=run_id, progress=95, stage=Stage.SAVING)
    store_results(
        run_id=run_id, outcome=outcome, sensitivity=sensitivity, timings=timings, inputs=inputs
    )
    return RunPlan(chunks=[])


def sensitivity_chunk(*, run_id: int, index: int, draws: int) -> dict[str, Any]:
    """One chunk of draws: {"totals": (draws, M) capacities, "open_share": (draws,)}."""
    run = AllocationRun.objects.get(pk=run_id)
    params = AllocationParams.from_dict(run.params)
    result = perturbed(_inputs_for(run), _chunk_params(params, index), draws)
    of = len(sensitivity_chunks(draws=params.sensitivity_draws, chunk=settings.SENSITIVITY_CHUNK))
    report_progress(
        run_id=run_id,
        progress=30 + min(60, index),
        stage=Stage.SENSITIVITY,
        count=index + 1,
        of=of,
    )
    return {
        "totals": result.totals.tolist(),
        # NaN (no practice at all) travels as None.
        "open_share": [float(v) if np.isfinite(v) else None for v in result.open_share],
    }


def finish_split_run(*, run_id: int, chunks: list[Any]) -> bool:
    """Merge the chunks and store. A chunk is a dict (sensitivity_chunk), or the bare list of
    totals that chunks sent before the open share was drawn (then the run has no open-share
    band)."""
    run = AllocationRun.objects.get(pk=run_id)
    timings = dict(run.timings)
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=92, stage=Stage.MERGING)
    inputs = _inputs_for(run)
    params = AllocationParams.from_dict(run.params)
    outcome = allocate(inputs, params)  # deterministic: the same outcome as before the split
    totals = np.vstack(
        [np.asarray(c["totals"] if isinstance(c, dict) else c, dtype=np.int64) for c in chunks]
    )
    shares = (
        np.array([np.nan if v is None else v for c in chunks for v in c["open_share"]], dtype=float)
        if all(isinstance(c, dict) for c in chunks)
        else None
    )
    sensitivity = summarise_sensitivity(inputs, params, outcome, totals, shares)
    timings["sensitivity_merge"] = time.perf_counter() - t
    return store_results(
        run_id=run_id, outcome=outcome, sensitivity=sensitivity, timings=timings, inputs=inputs
    )


@transaction.atomic
def store_results(
    *,
    run_id: int,
    outcome: Outcome,
    sensitivity: Sensitivity | None,
    timings: dict[str, float],
    inputs: EngineInputs,
) -> bool:
    """Write every result of a run and mark it succeeded, in one transaction.

    ``inputs`` are those ``outcome`` was computed on: their geographies give the area
    results (every geography, by the engine's own aggregation). Any rows from an earlier,
    interrupted attempt are replaced, so a retry converges. Returns False (and writes
    nothing) if the run is no longer running.
    """
    run = AllocationRun.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return False
    t = time.perf_counter()
    for related in (MunicipalityResult, AreaResult, Placement, SensitivityBand):
        related.objects.filter(run_id=run_id).delete()
    _write_results(run_id=run_id, outcome=outcome, sensitivity=sensitivity, inputs=inputs)
    timings = {**timings, "store": time.perf_counter() - t}
    summary: dict[str, Any] = {}
    if sensitivity is not None:
        summary = {"draws": sensitivity.draws, "seed": sensitivity.seed, **sensitivity.spearman}
    AllocationRun.objects.filter(pk=run_id).update(
        status=RunStatus.SUCCEEDED,
        progress=100,
        stage=Stage.DONE,
        stage_count=None,
        stage_total=None,
        finished_at=timezone.now(),
        totals=outcome.totals,
        metrics=json_safe(with_open_share_range(outcome.metrics, sensitivity)),
        sensitivity_summary=json_safe(summary),
        timings={k: round(v, 4) for k, v in timings.items()},
        error="",
    )
    return True


def _insert(model: type[models.Model], columns: dict[str, list[Any]]) -> None:
    """Insert rows given as columns (field name -> values), with one executemany.

    The ORM's bulk_create builds a model instance per row and prepares every value field
    by field: about 50 µs a row, and a run has some 4,000 rows. The values here are plain
    Python ints, floats, strings and None, which every backend takes as they are.
    """
    if not columns:
        return
    names = list(columns)
    rows = list(zip(*columns.values(), strict=True))
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(_column(meta.get_field(n))) for n in names),
        ", ".join(["%s"] * len(names)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _column(field: Any) -> str:
    column: str = field.column
    return column


def _finite(values: pd.Series | np.ndarray) -> list[float | None]:
    """Floats, with None where the value is missing or infinite (a load without supply)."""
    array = np.asarray(values, dtype=np.float64)
    return [None if not math.isfinite(v) else v for v in array.tolist()]


def _ints(values: Any) -> list[int]:
    return np.asarray(values, dtype=np.int64).tolist()


def _write_results(
    *, run_id: int, outcome: Outcome, sensitivity: Sensitivity | None, inputs: EngineInputs
) -> None:
    m = outcome.municipalities
    n = len(m)
    _insert(
        MunicipalityResult,
        {
            "run": [run_id] * n,
            "municipality": _ints(m.index),
            "transition": _ints(m["transition"]),
            "coverage": _ints(m["coverage"]),
            "accessibility": _ints(m["accessibility"]),
            "total": _ints(m["total"]),
            "weighted_citizens": m["weighted_citizens"].to_numpy(np.float64).tolist(),
            **{
                c: m[c].to_numpy(np.float64).tolist()
                for c in (
                    "weighted_citizens_base",
                    "population_base",
                    "population_horizon",
                    "pop_80_plus_base",
                    "pop_80_plus_horizon",
                    "retiring",
                    "replaced",
                )
            },
            "supply_today": m["capacities_today"].to_numpy(np.float64).tolist(),
            "supply_at_horizon": m["supply_at_horizon"].to_numpy(np.float64).tolist(),
            "coverage_cap": [None if pd.isna(v) else int(v) for v in m["coverage_cap"]],
            "load_before": _finite(m["load_before"]),
            "load_after": _finite(m["load_after"]),
            "coverage_rank": _ints(m["load_rank_before"]),
            "explanation": ["{}"] * n,  # rebuilt on read from the run's inputs
        },
    )
    # Denmark as one area too (NATION): the nation's line of a comparison reads it. The
    # engine's area columns of every geography, joined column by column (building a frame
    # per geography to read it back costs more than the values here).
    geographies = [*sorted(inputs.geographies), NATION]
    parts = area_columns_many(outcome, inputs, geographies)

    def joined(name: str, dtype: type = np.float64) -> np.ndarray:
        return np.concatenate([np.asarray(columns[name], dtype=dtype) for columns, _ in parts])

    def floats(name: str) -> list[float]:
        return joined(name).tolist()

    areas: dict[str, list[Any]] = {
        "run": [run_id] * sum(len(slugs) for _, slugs in parts),
        "geography": [g for g, (_, slugs) in zip(geographies, parts, strict=True) for _ in slugs],
        "area": [str(a) for _, slugs in parts for a in slugs],
        "name": [str(v) for columns, _ in parts for v in columns["name"]],
        **{
            c: joined(c, np.int64).tolist()
            for c in ("municipalities", "population", *PILLAR_COLUMNS)
        },
        **{
            c: floats(c)
            for c in (
                "weighted_citizens",
                "weighted_citizens_base",
                "population_horizon",
                "pop_80_plus_base",
                "pop_80_plus_horizon",
                "retiring",
                "replaced",
            )
        },
        "supply_today": floats("capacities_today"),
        "supply_at_horizon": floats("supply_at_horizon"),
        "supply_after": (joined("supply_at_horizon") + joined("total")).tolist(),
        "load_before": _finite(joined("load_before")),
        "load_after": _finite(joined("load_after")),
        "floor": [
            v
            for columns, slugs in parts
            for v in (_ints(columns["floor"]) if "floor" in columns else [None] * len(slugs))
        ],
        "effective_supply_after": floats("effective_supply_after"),
        "statutory": joined("statutory", np.int64).tolist(),
        "deviation": floats("deviation"),
        "statutory_load": _finite(joined("statutory_load")),
        "statutory_load_gap": _finite(joined("statutory_load_gap")),
    }
    _insert(AreaResult, areas)

    p = outcome.placements
    _insert(
        Placement,
        {
            "run": [run_id] * len(p),
            "municipality": _ints(p["kommunekode"]),
            "ydernummer": p["ydernummer"].astype(str).tolist(),
            "pillar": p["pillar"].astype(str).tolist(),
            "year": _ints(p["year"]),
            "kind": p["kind"].astype(str).tolist(),
            "reason_code": p["reason_code"].astype(str).tolist(),
            "reason": p["reason"].astype(str).tolist(),
        },
    )
    if sensitivity is not None:
        bands: dict[str, list[Any]] = {
            k: [] for k in ("run", "level", "geography", "key", "p5", "p50", "p95", "base")
        }
        for level, geography, frame in (
            (SensitivityBand.Level.MUNICIPALITY, "", sensitivity.municipalities),
            (SensitivityBand.Level.AREA, outcome.params.geography, sensitivity.areas),
        ):
            k = len(frame)
            bands["run"] += [run_id] * k
            bands["level"] += [str(level)] * k
            bands["geography"] += [geography] * k
            bands["key"] += frame.index.astype(str).tolist()
            for q in ("p5", "p50", "p95", "base"):
                bands[q] += frame[q].astype(float).tolist()
        _insert(SensitivityBand, bands)


PILLAR_COLUMNS = ("transition", "coverage", "accessibility", "total")
