"""Writes for scenarios and runs.

Runs are requested here and executed by ``allocation.tasks.run_allocation``; the task calls
back into :func:`execute_run`, which does the work and writes every result in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from allocation.engine import AllocationParams, EngineInputs, Outcome, allocate
from allocation.engine.frames import json_safe
from allocation.engine.sensitivity import Sensitivity, perturbed_totals, summarise_sensitivity
from allocation.models import (
    DEFAULT_SCENARIO_NAME,
    PARAMS_SCHEMA_VERSION,
    AllocationRun,
    MunicipalityResult,
    PhasingResult,
    Placement,
    RunStatus,
    Scenario,
    ScenarioStatus,
    SensitivityBand,
    Trigger,
    Visibility,
)

User = AbstractBaseUser | AnonymousUser | None
# A run that has been claimed this many times without finishing is failed, not retried: a
# task that kills its worker would otherwise loop forever.
MAX_ATTEMPTS = 3


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
    return Scenario.objects.create(
        name=name,
        description=description,
        owner=_user(owner),
        visibility=visibility,
        status=status,
        params=validated_params(params or {}),
        params_schema_version=PARAMS_SCHEMA_VERSION,
        based_on=based_on,
    )


@transaction.atomic
def update_scenario(
    *,
    scenario: Scenario,
    name: str | None = None,
    description: str | None = None,
    visibility: str | None = None,
    status: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Scenario:
    if name is not None:
        scenario.name = name
    if description is not None:
        scenario.description = description
    if visibility is not None:
        scenario.visibility = visibility
    if status is not None:
        scenario.status = status
    if params is not None:
        scenario.params = validated_params(params)
        scenario.params_schema_version = PARAMS_SCHEMA_VERSION
    scenario.full_clean(exclude=["owner", "based_on"])
    scenario.save()
    return scenario


@transaction.atomic
def clone_scenario(*, scenario: Scenario, owner: User, name: str | None = None) -> Scenario:
    return create_scenario(
        name=name or f"{scenario.name} (kopi)",
        owner=owner,
        params=scenario.params,
        description=scenario.description,
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


def inputs_hash(*, inputs: EngineInputs, params: Mapping[str, Any]) -> str:
    """Hash of the data and parameters a run uses: equal hashes give identical results."""
    digest = hashlib.sha256()
    digest.update(json.dumps(dict(params), sort_keys=True, default=str).encode())
    for frame in (inputs.municipalities, inputs.practices, inputs.doctors):
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    for slug in sorted(inputs.geographies):
        digest.update(slug.encode())
        series = inputs.geographies[slug]
        digest.update(pd.util.hash_pandas_object(series, index=True).to_numpy().tobytes())
    # The population projection is an input too: importing one must give a new run.
    for year in inputs.projection_years:
        bands = inputs.projected_bands(year)
        assert bands is not None
        digest.update(f"projection {year}".encode())
        digest.update(bands.tobytes())
    return digest.hexdigest()


# --- requesting runs -------------------------------------------------------------------


def _current_inputs() -> EngineInputs:
    from allocation.selectors import build_engine_inputs

    return build_engine_inputs()


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
    instead of a new one. The task is enqueued when the transaction commits, so the worker
    never looks for a row that is not there yet.
    """
    params = validated_params(scenario.params)
    digest = inputs_hash(inputs=inputs or _current_inputs(), params=params)
    same = (
        AllocationRun.objects.filter(scenario=scenario, inputs_hash=digest)
        .filter(Q(status=RunStatus.SUCCEEDED) | Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]))
        .order_by("-created_at")
        .first()
    )
    if same is not None:
        return same
    run = AllocationRun.objects.create(
        scenario=scenario,
        params=params,
        inputs_hash=digest,
        triggered_by=trigger,
        requested_by=_user(user),
        stage="queued",
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from allocation.tasks import run_allocation

    result = run_allocation.apply_async(args=[run_id])
    # In eager mode the run has finished by now; never write over a finished run.
    AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(task_id=result.id)


def request_runs_for_data_change(*, batch: Any = None) -> list[AllocationRun]:
    """Re-run every shared scenario against the changed data (called by imports)."""
    inputs = _current_inputs()
    return [
        request_run(scenario=s, trigger=Trigger.DATA_CHANGE, inputs=inputs)
        for s in Scenario.objects.filter(visibility=Visibility.SHARED)
    ]


def rerun_changed_shared_scenarios() -> list[AllocationRun]:
    """The nightly job: a shared scenario whose inputs hash changed gets a new run."""
    inputs = _current_inputs()
    return [
        request_run(scenario=s, trigger=Trigger.SCHEDULE, inputs=inputs)
        for s in Scenario.objects.filter(visibility=Visibility.SHARED)
    ]


# --- executing runs --------------------------------------------------------------------


def claim_run(*, run_id: int, task_id: str) -> bool:
    """Move a queued run to running, atomically; a redelivered task may reclaim its own run.

    Returns False when another worker has it or it has finished.
    """
    now = timezone.now()
    claimed = AllocationRun.objects.filter(
        Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, task_id=task_id),
        pk=run_id,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=RunStatus.RUNNING,
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        progress=1,
        stage="started",
    )
    if claimed:
        AllocationRun.objects.filter(pk=run_id).update(attempts=F("attempts") + 1)
        return True
    fail_run(
        run_id=run_id,
        error=f"The run was started {MAX_ATTEMPTS} times without finishing "
        "(the worker was lost each time).",
        only_if_attempts_exhausted=True,
    )
    return False


def report_progress(*, run_id: int, progress: int, stage: str) -> None:
    AllocationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=max(0, min(99, progress)), stage=stage, heartbeat_at=timezone.now()
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
            stage="failed",
        )
    )


def fail_stuck_runs(*, older_than_seconds: int) -> int:
    """Fail runs whose worker stopped reporting (killed, lost) for longer than the limit."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stuck = AllocationRun.objects.filter(
        Q(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=RunStatus.QUEUED, created_at__lt=cutoff, task_id="")
    )
    return stuck.update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        stage="failed",
        error=f"No progress for more than {older_than_seconds} s: the worker was lost or the "
        "run exceeded its time limit. Request the run again.",
    )


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
    inputs = _current_inputs()
    if inputs_hash(inputs=inputs, params=run.params) != run.inputs_hash:
        raise RuntimeError(
            "The data changed while the run was under way; its results would not match its "
            "inputs hash. A run on the new data is requested by the import itself."
        )
    return inputs


def execute_run(*, run_id: int, split_sensitivity: bool) -> RunPlan:
    """Do a claimed run: allocate, then sensitivity here or split into chunks, then store.

    Returns the chunks still to compute when ``split_sensitivity`` spreads them across
    workers (the task then sends them out and ``finish_split_run`` stores everything).
    """
    run = AllocationRun.objects.get(pk=run_id)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=5, stage="reading demand data and practices")
    inputs = _inputs_for(run)
    params = AllocationParams.from_dict(run.params)
    timings["inputs"] = time.perf_counter() - t
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=15, stage="allocating the capacities")
    outcome = allocate(inputs, params)
    timings["allocate"] = time.perf_counter() - t
    chunks = sensitivity_chunks(draws=params.sensitivity_draws, chunk=settings.SENSITIVITY_CHUNK)
    if split_sensitivity and len(chunks) > 1:
        report_progress(
            run_id=run_id,
            progress=30,
            stage=f"sensitivity: {params.sensitivity_draws} draws in {len(chunks)} chunks",
        )
        AllocationRun.objects.filter(pk=run_id).update(timings=timings)
        return RunPlan(chunks=chunks)
    t = time.perf_counter()
    parts = []
    for index, draws in chunks:
        first = index * settings.SENSITIVITY_CHUNK
        report_progress(
            run_id=run_id,
            progress=30 + int(60 * index / len(chunks)),
            stage=f"sensitivity: draws {first + 1}-{first + draws} of {params.sensitivity_draws}",
        )
        parts.append(perturbed_totals(inputs, _chunk_params(params, index), draws))
    sensitivity = summarise_sensitivity(inputs, params, outcome, np.vstack(parts))
    timings["sensitivity"] = time.perf_counter() - t
    report_progress(run_id=run_id, progress=95, stage="saving results")
    store_results(run_id=run_id, outcome=outcome, sensitivity=sensitivity, timings=timings)
    return RunPlan(chunks=[])


def sensitivity_chunk(*, run_id: int, index: int, draws: int) -> list[list[int]]:
    run = AllocationRun.objects.get(pk=run_id)
    params = AllocationParams.from_dict(run.params)
    totals = perturbed_totals(_inputs_for(run), _chunk_params(params, index), draws)
    report_progress(
        run_id=run_id, progress=30 + min(60, index), stage=f"sensitivity chunk {index + 1}"
    )
    return [[int(x) for x in row] for row in totals]


def finish_split_run(*, run_id: int, chunks: list[list[list[int]]]) -> bool:
    run = AllocationRun.objects.get(pk=run_id)
    timings = dict(run.timings)
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=92, stage="merging sensitivity chunks")
    inputs = _inputs_for(run)
    params = AllocationParams.from_dict(run.params)
    outcome = allocate(inputs, params)  # deterministic: the same outcome as before the split
    totals = np.vstack([np.asarray(c, dtype=np.int64) for c in chunks])
    sensitivity = summarise_sensitivity(inputs, params, outcome, totals)
    timings["sensitivity_merge"] = time.perf_counter() - t
    return store_results(run_id=run_id, outcome=outcome, sensitivity=sensitivity, timings=timings)


@transaction.atomic
def store_results(
    *,
    run_id: int,
    outcome: Outcome,
    sensitivity: Sensitivity | None,
    timings: dict[str, float],
) -> bool:
    """Write every result of a run and mark it succeeded, in one transaction.

    Any rows from an earlier, interrupted attempt are replaced, so a retry converges.
    Returns False (and writes nothing) if the run is no longer running.
    """
    run = AllocationRun.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return False
    for related in (MunicipalityResult, PhasingResult, Placement, SensitivityBand):
        related.objects.filter(run_id=run_id).delete()
    t = time.perf_counter()
    _write_results(run_id=run_id, outcome=outcome, sensitivity=sensitivity)
    timings = {**timings, "store": time.perf_counter() - t}
    summary: dict[str, Any] = {}
    if sensitivity is not None:
        summary = {"draws": sensitivity.draws, "seed": sensitivity.seed, **sensitivity.spearman}
    AllocationRun.objects.filter(pk=run_id).update(
        status=RunStatus.SUCCEEDED,
        progress=100,
        stage="done",
        finished_at=timezone.now(),
        totals=outcome.totals,
        metrics=json_safe(outcome.metrics),
        sensitivity_summary=json_safe(summary),
        timings={k: round(v, 4) for k, v in timings.items()},
        error="",
    )
    return True


def _num(value: Any) -> float | None:
    v = float(value)
    return v if v == v and v not in (float("inf"), float("-inf")) else None


def _write_results(*, run_id: int, outcome: Outcome, sensitivity: Sensitivity | None) -> None:
    m = outcome.municipalities
    MunicipalityResult.objects.bulk_create(
        [
            MunicipalityResult(
                run_id=run_id,
                municipality_id=int(code),
                transition=int(row["transition"]),
                coverage=int(row["coverage"]),
                accessibility=int(row["accessibility"]),
                total=int(row["total"]),
                weighted_citizens=float(row["weighted_citizens"]),
                supply_today=float(row["capacities_today"]),
                supply_at_horizon=float(row["supply_at_horizon"]),
                load_before=_num(row["load_before"]),
                load_after=_num(row["load_after"]),
                coverage_rank=int(row["load_rank_before"]),
                explanation=json_safe(outcome.explain(int(code))),
            )
            for code, row in m.iterrows()
        ],
        batch_size=500,
    )
    phases = []
    for row in outcome.phasing.itertuples(index=False):
        for pillar in ("transition", "coverage", "accessibility"):
            new = int(getattr(row, pillar))
            cumulative = int(getattr(row, f"cumulative_{pillar}"))
            if new or cumulative:
                phases.append(
                    PhasingResult(
                        run_id=run_id,
                        municipality_id=int(row.kommunekode),
                        year=int(row.year),
                        pillar=pillar,
                        capacities=new,
                        cumulative=cumulative,
                    )
                )
    PhasingResult.objects.bulk_create(phases, batch_size=1000)
    Placement.objects.bulk_create(
        [
            Placement(
                run_id=run_id,
                municipality_id=int(p.kommunekode),
                ydernummer=str(p.ydernummer),
                pillar=str(p.pillar),
                year=int(p.year),
                kind=str(p.kind),
                reason=str(p.reason),
            )
            for p in outcome.placements.itertuples(index=False)
        ],
        batch_size=1000,
    )
    if sensitivity is not None:
        bands = [
            SensitivityBand(
                run_id=run_id,
                level=SensitivityBand.Level.MUNICIPALITY,
                key=str(code),
                p5=float(r["p5"]),
                p50=float(r["p50"]),
                p95=float(r["p95"]),
                base=float(r["base"]),
            )
            for code, r in sensitivity.municipalities.iterrows()
        ] + [
            SensitivityBand(
                run_id=run_id,
                level=SensitivityBand.Level.AREA,
                geography=outcome.params.geography,
                key=str(slug),
                p5=float(r["p5"]),
                p50=float(r["p50"]),
                p95=float(r["p95"]),
                base=float(r["base"]),
            )
            for slug, r in sensitivity.areas.iterrows()
        ]
        SensitivityBand.objects.bulk_create(bands, batch_size=1000)
