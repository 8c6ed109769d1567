"""Writes for scenarios and runs.

Runs are requested here and executed by ``allocation.tasks.run_allocation``; the task calls
back into :func:`execute_run`, which does the work and writes every result in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from allocation.engine import (
    NATION,
    AllocationParams,
    EngineInputs,
    Outcome,
    aggregate,
    allocate,
)
from allocation.engine.frames import json_safe
from allocation.engine.sensitivity import Sensitivity, perturbed_totals, summarise_sensitivity
from allocation.models import (
    DEFAULT_SCENARIO_NAME,
    PARAMS_SCHEMA_VERSION,
    AllocationRun,
    AreaResult,
    MunicipalityResult,
    PhasingResult,
    Placement,
    RunInputs,
    RunStatus,
    Scenario,
    ScenarioStatus,
    SensitivityBand,
    Stage,
    Trigger,
    Visibility,
)
from allocation.selectors import build_engine_inputs
from allocation.snapshots import inputs_from_frames, inputs_to_frames

logger = logging.getLogger(__name__)
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


def clone_name(name: str) -> str:
    """``"<name> (kopi)"``, the name shortened (with an ellipsis) to fit the column."""
    suffix = " (kopi)"
    room = Scenario._meta.get_field("name").max_length or 200
    if len(name) + len(suffix) > room:
        name = name[: room - len(suffix) - 1].rstrip() + "…"
    return name + suffix


@transaction.atomic
def clone_scenario(*, scenario: Scenario, owner: User, name: str | None = None) -> Scenario:
    return create_scenario(
        name=name or clone_name(scenario.name),
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
    # A value for a later year is a projection, not today's data: runs read up to today.
    return build_engine_inputs(year=timezone.localdate().year)


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
    inputs = inputs or _current_inputs()
    digest = inputs_hash(inputs=inputs, params=params)
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
        stage=Stage.QUEUED,
    )
    # The run computes on exactly the inputs it was hashed on, and its explanations are
    # rebuilt from them on read.
    RunInputs.objects.create(run=run, frames=inputs_to_frames(inputs))
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    # Imported here: allocation.tasks imports this module (tasks call services).
    from allocation.tasks import run_allocation

    result = run_allocation.apply_async(args=[run_id])
    # In eager mode the run has finished by now; never write over a finished run.
    AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(task_id=result.id)


def _rerun_shared(*, trigger: str, user: User = None) -> list[AllocationRun]:
    """Request a run of every shared scenario on the current data; a scenario whose inputs
    hash has not changed gets its existing run back (see :func:`request_run`)."""
    inputs = _current_inputs()
    return [
        request_run(scenario=s, user=user, trigger=trigger, inputs=inputs)
        for s in Scenario.objects.filter(visibility=Visibility.SHARED)
    ]


# What changed the engine's inputs, for :func:`data_changed`.
DEMAND_IMPORT = "demand import"
PRACTICE_IMPORT = "practice import"
PRACTICE_EDIT = "practice edit"
PROJECTION_IMPORT = "population projection import"


def data_changed(*, source: str, batch: Any = None, user: User = None) -> list[AllocationRun]:
    """The data the engine reads has changed: re-run every shared scenario on it.

    Called by whoever changed the data (the demand and practice imports, a practice edit on
    the web or through the API), after the change, so that the apps holding the data never
    call up into the allocation. ``source`` names the change (``DEMAND_IMPORT``,
    ``PRACTICE_IMPORT``, ``PRACTICE_EDIT``), ``batch`` the import batch if there is one, and
    ``user`` who made it (recorded as the runs' requester).
    """
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
        stage=Stage.STARTED,
        stage_count=None,
        stage_total=None,
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
        stage=Stage.FAILED,
        stage_count=None,
        stage_total=None,
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
    """The inputs the run was requested on (its snapshot), whatever changed since: a data
    change requests its own run. A run queued before snapshots were kept reads the current
    data, and refuses it if it has changed."""
    frames = RunInputs.objects.filter(run_id=run.pk).values_list("frames", flat=True).first()
    if frames is not None:
        return inputs_from_frames(frames)
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
    parts = []
    for index, draws in chunks:
        report_progress(
            run_id=run_id,
            progress=30 + int(60 * index / len(chunks)),
            stage=Stage.SENSITIVITY,
            count=index + 1,
            of=len(chunks),
        )
        parts.append(perturbed_totals(inputs, _chunk_params(params, index), draws))
    sensitivity = summarise_sensitivity(inputs, params, outcome, np.vstack(parts))
    timings["sensitivity"] = time.perf_counter() - t
    report_progress(run_id=run_id, progress=95, stage=Stage.SAVING)
    store_results(
        run_id=run_id, outcome=outcome, sensitivity=sensitivity, timings=timings, inputs=inputs
    )
    return RunPlan(chunks=[])


def sensitivity_chunk(*, run_id: int, index: int, draws: int) -> list[list[int]]:
    run = AllocationRun.objects.get(pk=run_id)
    params = AllocationParams.from_dict(run.params)
    totals = perturbed_totals(_inputs_for(run), _chunk_params(params, index), draws)
    of = len(sensitivity_chunks(draws=params.sensitivity_draws, chunk=settings.SENSITIVITY_CHUNK))
    report_progress(
        run_id=run_id,
        progress=30 + min(60, index),
        stage=Stage.SENSITIVITY,
        count=index + 1,
        of=of,
    )
    return [[int(x) for x in row] for row in totals]


def finish_split_run(*, run_id: int, chunks: list[list[list[int]]]) -> bool:
    run = AllocationRun.objects.get(pk=run_id)
    timings = dict(run.timings)
    t = time.perf_counter()
    report_progress(run_id=run_id, progress=92, stage=Stage.MERGING)
    inputs = _inputs_for(run)
    params = AllocationParams.from_dict(run.params)
    outcome = allocate(inputs, params)  # deterministic: the same outcome as before the split
    totals = np.vstack([np.asarray(c, dtype=np.int64) for c in chunks])
    sensitivity = summarise_sensitivity(inputs, params, outcome, totals)
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
    for related in (MunicipalityResult, AreaResult, PhasingResult, Placement, SensitivityBand):
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
        metrics=json_safe(outcome.metrics),
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


def _finite(values: pd.Series) -> list[float | None]:
    """Floats, with None where the value is missing or infinite (a load without supply)."""
    array = values.to_numpy(dtype=np.float64)
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
    areas: dict[str, list[Any]] = {k: [] for k in AREA_COLUMNS}
    # Denmark as one area too (NATION): the nation's line of a comparison reads it.
    for geography in [*sorted(inputs.geographies), NATION]:
        frame = aggregate(outcome, inputs, geography)
        k = len(frame)
        supply_after = frame["supply_at_horizon"] + frame["total"]
        floors = frame.get("floor")
        areas["run"] += [run_id] * k
        areas["geography"] += [geography] * k
        areas["area"] += frame.index.astype(str).tolist()
        areas["name"] += frame["name"].astype(str).tolist()
        for column in ("municipalities", "population", *PILLAR_COLUMNS):
            areas[column] += _ints(frame[column])
        for column in (
            "weighted_citizens",
            "weighted_citizens_base",
            "population_horizon",
            "pop_80_plus_base",
            "pop_80_plus_horizon",
            "retiring",
            "replaced",
        ):
            areas[column] += frame[column].astype(float).tolist()
        areas["supply_today"] += frame["capacities_today"].astype(float).tolist()
        areas["supply_at_horizon"] += frame["supply_at_horizon"].astype(float).tolist()
        areas["supply_after"] += supply_after.astype(float).tolist()
        areas["load_before"] += _finite(frame["load_before"])
        areas["load_after"] += _finite(frame["load_after"])
        areas["floor"] += _ints(floors) if floors is not None else [None] * k
    _insert(AreaResult, areas)

    phasing = outcome.phasing
    codes = _ints(phasing["kommunekode"])
    years = _ints(phasing["year"])
    phases: dict[str, list[Any]] = {
        k: [] for k in ("run", "municipality", "year", "pillar", "capacities", "cumulative")
    }
    for pillar in ("transition", "coverage", "accessibility"):
        new = phasing[pillar].to_numpy(np.int64)
        cumulative = phasing[f"cumulative_{pillar}"].to_numpy(np.int64)
        keep = np.flatnonzero((new != 0) | (cumulative != 0)).tolist()
        phases["run"] += [run_id] * len(keep)
        phases["municipality"] += [codes[i] for i in keep]
        phases["year"] += [years[i] for i in keep]
        phases["pillar"] += [pillar] * len(keep)
        phases["capacities"] += new[keep].tolist()
        phases["cumulative"] += cumulative[keep].tolist()
    _insert(PhasingResult, phases)

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
AREA_COLUMNS = (
    "run",
    "geography",
    "area",
    "name",
    "municipalities",
    "population",
    *PILLAR_COLUMNS,
    "weighted_citizens",
    "weighted_citizens_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "retiring",
    "replaced",
    "supply_today",
    "supply_at_horizon",
    "supply_after",
    "load_before",
    "load_after",
    "floor",
)
