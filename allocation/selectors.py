"""Reads for the allocation: engine inputs from the database, and the stored results."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.encoding import force_str

from accounts.policies import visible_scenarios
from allocation import revision
from allocation.engine import NATION, AllocationParams, EngineInputs, Outcome, ParamsError, allocate
from allocation.engine.frames import json_safe
from allocation.engine.inputs import (
    DOCTOR_COLUMNS,
    MUNICIPALITY_COLUMNS,
    PRACTICE_COLUMNS,
    PROJECTION_COLUMNS,
)
from allocation.models import (
    AllocationRun,
    AreaResult,
    MunicipalityResult,
    Placement,
    RunInputs,
    RunStatus,
    Scenario,
    ScenarioTransition,
    SensitivityBand,
)
from allocation.snapshots import inputs_from_frames, inputs_to_frames
from clusters.models import Area, Membership
from municipalities.models import (
    ENGINE_INDICATORS,
    DataStatus,
    DemandIndicator,
    Indicator,
    Municipality,
    PopulationProjection,
)
from municipalities.plausibility import Value as Plausible
from municipalities.plausibility import check
from practices.models import Doctor, Practice
from practices.selectors import MIXED, SupplySources

logger = logging.getLogger(__name__)
ENGINE_DIR = Path(__file__).resolve().parent / "engine"
PILLARS: tuple[str, ...] = ("transition", "coverage", "accessibility")


def build_engine_inputs(*, year: int | None = None) -> EngineInputs:
    """The engine's inputs from the database.

    Each indicator takes its latest year up to ``year`` (all years when None), per
    municipality, so an imported newer value replaces the reference estimate; the population
    projection is its own input (future years are not today's data). Six queries; the
    five large ones are read as plain rows (:func:`_rows`), since the engine normalises
    every column's type itself.
    """
    munis = pd.DataFrame.from_records(
        Municipality.objects.order_by("kommunekode").values(
            "kommunekode", "name", "population", "population_date"
        ),
        index="kommunekode",
    )
    indicators = DemandIndicator.objects.filter(indicator__in=ENGINE_INDICATORS)
    if year is not None:
        indicators = indicators.filter(year__lte=year)
    columns = ["municipality_id", "year", "indicator", "value", "status", "imported"]
    frame = pd.DataFrame.from_records(_rows(indicators.values_list(*columns)), columns=columns)
    newest = (
        frame.sort_values("year", kind="stable").groupby(["municipality_id", "indicator"]).tail(1)
    )
    _refuse_implausible(newest, munis)
    latest = (
        newest.set_index(["municipality_id", "indicator"])["value"]
        .unstack()
        .reindex(index=munis.index, columns=list(ENGINE_INDICATORS))
    )
    missing = latest.isna()
    if missing.to_numpy().any():
        code, ind = next((c, i) for c in latest.index for i in latest.columns if missing.at[c, i])
        raise ValueError(f"municipality {code} has no value for indicator {ind!r}")
    munis = munis.drop(columns=["population_date"]).join(latest)
    munis = munis.loc[:, ["name", *MUNICIPALITY_COLUMNS]]

    practices = pd.DataFrame.from_records(
        _rows(
            Practice.objects.values_list(
                "ydernummer",
                "municipality_id",
                "capacities",
                "listed_patients",
                "open_to_new_patients",
            )
        ),
        columns=["ydernummer", "kommunekode", "capacities", "listed_patients", "open"],
    )
    practices["capacities"] = practices["capacities"].astype(float)
    doctors = pd.DataFrame.from_records(
        _rows(
            Doctor.objects.values_list(
                "practice__ydernummer", "practice__municipality_id", "birth_year", "fte"
            )
        ),
        columns=["ydernummer", "kommunekode", "birth_year", "fte"],
    )
    doctors["fte"] = doctors["fte"].astype(float)

    geographies: dict[str, dict[int, str]] = defaultdict(dict)
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for geo, code, slug, name in _rows(
        Membership.objects.values_list(
            "geography__slug", "municipality_id", "area__slug", "area__name"
        )
    ):
        geographies[geo][code] = slug
        names[geo][slug] = name
    # Every projected year: an imported value where there is one (it replaced the estimate's
    # row), the shipped estimate elsewhere.
    projection = pd.DataFrame.from_records(
        _rows(
            PopulationProjection.objects.values_list("municipality_id", "year", "age_band", "value")
        ),
        columns=["kommunekode", "year", "band", "value"],
    )
    return EngineInputs(
        municipalities=munis,
        practices=practices,
        doctors=doctors,
        geographies={g: pd.Series(m).sort_index() for g, m in geographies.items()},
        area_names=dict(names),
        projection=projection if len(projection) else None,
    )


def _rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database driver returns them.

    Django's per-value converters (a Decimal built and quantized for every capacity and FTE
    on SQLite, a bool for every flag) cost more than the query for the engine's five
    thousand rows, and the engine casts each column itself: a decimal arrives as float or
    Decimal, a flag as bool or 0/1, and both give the same normalised frames.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _refuse_implausible(newest: pd.DataFrame, munis: pd.DataFrame) -> None:
    """Raise ValueError naming every impossible value the engine would compute on
    (municipalities.plausibility; a shipped estimate's only warns and is logged)."""
    values: dict[int, dict[str, Plausible]] = defaultdict(dict)
    columns = ("municipality_id", "indicator", "value", "status", "imported")
    # Plain columns, not itertuples: a named tuple per value cost more than the checks.
    for code, indicator, value, status, imported in zip(
        *(newest[c].tolist() for c in columns), strict=True
    ):
        values[code][indicator] = Plausible(
            float(value), estimated=status == DataStatus.ESTIMATED and not imported
        )
    errors: list[str] = []
    # Plain columns, not iterrows: a Series per municipality cost more than the checks.
    for code, name, population, population_date in zip(
        munis.index.tolist(),
        munis["name"].tolist(),
        munis["population"].tolist(),
        munis["population_date"].tolist(),
        strict=True,
    ):
        base_year = population_date.year
        for finding in check(
            kommunekode=int(code),
            name=str(name),
            year=base_year,
            population=int(population),
            population_year=base_year,
            values=values.get(int(code), {}),
            today_year=base_year,
        ):
            if finding.is_error:
                errors.append(f"{code} {name}, {finding.indicator}: {finding.message}")
            else:
                logger.debug("plausibility warning in the engine's inputs: %s", finding)
    if errors:
        raise ValueError(
            "the demand data holds impossible values; correct them before a run: "
            + "; ".join(errors[:10])
            + (f" (and {len(errors) - 10} more)" if len(errors) > 10 else "")
        )


# --- the current engine inputs, kept in the process while the data revision holds -------
#
# Reading Denmark from the database and hashing it costs more than the engine itself (about
# 60 ms and 6 ms against 10-20 ms for an allocation), and run requests, previews and the
# pages' "data changed since this run" notice all need it. Each process keeps the last
# inputs it read, with their hash and their run snapshot, for as long as the data revision
# (allocation.revision) is the one they were read at. The database raises the revision by
# trigger on every write to the tables read here, in the writer's transaction, so the kept
# inputs are the data exactly: a change by any path (an import, a practice edit, the admin,
# raw SQL) is seen by every process from its commit on. A new token with every raise makes
# a rolled-back change's revision one that never comes again.

PREVIEW_MAX_TOTAL = 20_000  # the web process computes previews: bound their size


@dataclass
class _Current:
    revision: str
    year: int
    inputs: EngineInputs
    data_digest: bytes | None = None  # the data part of inputs_hash
    snapshot: str | None = None  # the run snapshot's JSON (frames and statuses)


_current: _Current | None = None


def _current_data() -> _Current:
    global _current
    # The data a run reads: values up to this year (a later year is a projection).
    year = timezone.localdate().year
    for _attempt in range(3):
        before = revision.current()
        kept = _current
        if (
            kept is not None
            and before is not None
            and kept.revision == before
            and kept.year == year
        ):
            return kept
        inputs = build_engine_inputs(year=year)
        if before is not None and revision.current() == before:
            _current = _Current(revision=before, year=year, inputs=inputs)
            return _current
        # Written to while it was read (or a database just emptied): read once more.
    return _Current(revision="", year=year, inputs=inputs)  # consistent or not, not kept


def current_engine_inputs() -> EngineInputs:
    """:func:`build_engine_inputs` of the data a run reads (values up to this year), kept
    in this process while the data revision is unchanged (see above). Treat the result as
    read-only: it is shared."""
    return _current_data().inputs


def forget_cached_inputs() -> None:
    """Drop this process's kept inputs (the revision tells every process anyway; this is
    for a change the caller knows of before its commit is seen)."""
    global _current
    _current = None


def _kept_for(inputs: EngineInputs) -> _Current | None:
    kept = _current
    return kept if kept is not None and kept.inputs is inputs and kept.revision else None


def _data_digest(inputs: EngineInputs) -> bytes:
    """What inputs_hash hashes of the data, in its order (kept with the current inputs)."""
    kept = _kept_for(inputs)
    if kept is not None and kept.data_digest is not None:
        return kept.data_digest
    parts: list[bytes] = []
    for frame in (inputs.municipalities, inputs.practices, inputs.doctors):
        parts.append(",".join(map(str, frame.columns)).encode())
        parts.append(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    for slug in sorted(inputs.geographies):
        parts.append(slug.encode())
        series = inputs.geographies[slug]
        parts.append(pd.util.hash_pandas_object(series, index=True).to_numpy().tobytes())
    # The population projection is an input too: importing one must give a new run.
    for year in inputs.projection_years:
        bands = inputs.projected_bands(year)
        assert bands is not None
        parts.append(f"projection {year}".encode())
        parts.append(bands.tobytes())
    data = b"".join(parts)
    if kept is not None:
        kept.data_digest = data
    return data


def inputs_hash(*, inputs: EngineInputs, params: Mapping[str, Any]) -> str:
    """Hash of the data and parameters a run uses: equal hashes give identical results."""
    digest = hashlib.sha256()
    digest.update(json.dumps(dict(params), sort_keys=True, default=str).encode())
    digest.update(_data_digest(inputs))
    return digest.hexdigest()


def run_snapshot(*, inputs: EngineInputs) -> str:
    """The JSON a run keeps of the inputs it computes on (allocation.snapshots) and of the
    statuses of their figures as the database has them now (:func:`input_statuses`)."""
    kept = _kept_for(inputs)
    if kept is not None and kept.snapshot is not None:
        return kept.snapshot
    snapshot = json.dumps({**inputs_to_frames(inputs), "statuses": input_statuses(inputs=inputs)})
    # The statuses are read now: keep them only if the data is still the inputs' own.
    if kept is not None and revision.current() == kept.revision:
        kept.snapshot = snapshot
    return snapshot


def current_inputs_hash(*, params: Mapping[str, Any]) -> str:
    """The inputs hash a run of ``params`` would get on the current data (the data a run
    reads: up to this year). Cheap while the data is unchanged (the kept inputs); the first
    call after a change reads the data again."""
    return inputs_hash(inputs=current_engine_inputs(), params=params)


def run_on_current_data(*, run: AllocationRun | None) -> tuple[AllocationRun | None, bool]:
    """The run to show in place of ``run`` (its scenario's newest succeeded run), and
    whether the data has changed since the run shown.

    ``run`` itself when the data has not changed since it. When it has, the data may have
    gone back to a state a run was computed on (an import reverted: the re-run request gets
    that earlier run back, as it has the same inputs hash): that run, its scenario's newest
    succeeded one of the same parameters on today's data, is shown instead. No query unless
    the data has changed; then one.
    """
    if not data_changed_since(run=run):
        return run, False
    assert run is not None
    digest = current_inputs_hash(params=run.params)
    earlier = (
        AllocationRun.objects.filter(
            scenario_id=run.scenario_id, status=RunStatus.SUCCEEDED, inputs_hash=digest
        )
        .order_by("-id")
        .first()
    )
    return (earlier, False) if earlier is not None else (run, True)


def data_changed_since(*, run: AllocationRun | None) -> bool:
    """The data has changed since ``run`` was requested: a run of its parameters now would
    have another inputs hash (so its results are not those of today's data)."""
    if run is None or not run.inputs_hash:
        return False
    return current_inputs_hash(params=run.params) != run.inputs_hash


def preview(*, params: Mapping[str, Any]) -> Outcome:
    """The allocation ``params`` would give on the current data, computed now and written
    nowhere (no sensitivity draws: those are a run's). Raises ParamsError naming the field,
    as a scenario's parameters do; InfeasibleError when caps leave too little room."""
    parsed = AllocationParams.from_dict(params)
    if parsed.total > PREVIEW_MAX_TOTAL:
        raise ParamsError(
            "total", f"a preview places at most {PREVIEW_MAX_TOTAL:,} capacities; run it instead"
        )
    return allocate(current_engine_inputs(), parsed)


# --- runs and results ------------------------------------------------------------------


def latest_run(*, scenario: Scenario, succeeded_only: bool = True) -> AllocationRun | None:
    runs = AllocationRun.objects.filter(scenario=scenario)
    if succeeded_only:
        runs = runs.filter(status=RunStatus.SUCCEEDED)
    return runs.order_by("-created_at", "-id").first()


RESULT_SUMS = (
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "supply_today",
    "supply_at_horizon",
    # Need and supply at both ends (null for runs stored before they were projected).
    "weighted_citizens_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "retiring",
    "replaced",
)
AREA_FIELDS = (
    "area",
    "name",
    "municipalities",
    "population",
    *RESULT_SUMS,
    "supply_after",
    "load_before",
    "load_after",
    "floor",
    "effective_supply_after",
    "statutory",
    "deviation",
    "statutory_load",
    "statutory_load_gap",
)


MUNICIPALITY_FIELDS = (
    "municipality_id",
    "municipality__name",
    "municipality__region_id",
    "municipality__population",
    *RESULT_SUMS,
    "population_base",
    "coverage_cap",
    "load_before",
    "load_after",
    "coverage_rank",
)


def area_result_rows(
    *, run_ids: Collection[int], geographies: Collection[str], areas: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The stored results per area (the engine's aggregation, written with the run) of some
    runs in some geographies (optionally some areas): ``run_id``, ``geography`` and
    AREA_FIELDS, sorted by name. ``nation`` (allocation.engine.NATION) is Denmark as one
    area. The one read of AreaResult rows, for the API, the pages and compare. One query."""
    rows = AreaResult.objects.filter(run_id__in=list(run_ids), geography__in=list(geographies))
    if areas is not None:
        rows = rows.filter(area__in=list(areas))
    return list(rows.order_by("name", "area").values("run_id", "geography", *AREA_FIELDS))


def municipality_result_rows(
    *, run_ids: Collection[int], codes: Iterable[int] | None = None, by_name: bool = False
) -> list[dict[str, Any]]:
    """The stored results per municipality of some runs (optionally some municipalities):
    ``run_id`` and MUNICIPALITY_FIELDS, by kommunekode or by name. The one read of
    MunicipalityResult rows, for the API, the pages and compare. One query."""
    rows = MunicipalityResult.objects.filter(run_id__in=list(run_ids))
    if codes is not None:
        rows = rows.filter(municipality_id__in=list(codes))
    order = "municipality__name" if by_name else "municipality_id"
    return list(rows.order_by(order).values("run_id", *MUNICIPALITY_FIELDS))


def area_results(*, run: AllocationRun, geography: str) -> list[dict[str, Any]]:
    """A run's stored results per area of ``geography``, sorted by name, with each area's
    hospital. Two queries."""
    hospitals = dict(Area.objects.filter(geography__slug=geography).values_list("slug", "hospital"))
    rows = area_result_rows(run_ids=[run.pk], geographies=[geography])
    for row in rows:
        del row["run_id"], row["geography"]
        row["hospital"] = hospitals.get(row["area"], "")
    return rows


def scenario_runs(*, scenario: Scenario, limit: int = 10) -> list[AllocationRun]:
    """The scenario's latest runs, newest first, with who requested them; one query."""
    return list(
        AllocationRun.objects.filter(scenario=scenario)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def scenario_transitions(*, scenario: Scenario) -> list[ScenarioTransition]:
    """A scenario's status changes, oldest first, with who made them; one query."""
    return list(
        ScenarioTransition.objects.filter(scenario=scenario)
        .select_related("by")
        .order_by("at", "id")
    )


def run_in_progress(*, scenario: Scenario) -> AllocationRun | None:
    """The scenario's newest queued or running run, if any; one query."""
    return (
        AllocationRun.objects.filter(
            scenario=scenario, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        )
        .order_by("-created_at", "-id")
        .first()
    )


# --- scenarios and runs, for the pages and the API ---------------------------------------


def scenario_list(*, user: Any) -> QuerySet[Scenario]:
    """The scenarios ``user`` may see (accounts.policies), with their owners; one query."""
    return visible_scenarios(
        user, Scenario.objects.select_related("owner").order_by("-is_default", "name", "id")
    )


def scenarios_with_runs(*, user: Any) -> list[Scenario]:
    """:func:`scenario_list`, each scenario with its latest run and latest succeeded run
    (attributes last_run_id, last_run_status, last_run_at, last_ok_run_id, last_ok_run).

    Three plain queries: correlated subqueries cost more to compile than to run.
    """
    scenarios = list(scenario_list(user=user))
    latest: dict[int, Any] = {}
    if scenarios:
        latest = {
            row["scenario_id"]: row
            for row in AllocationRun.objects.filter(scenario__in=[s.pk for s in scenarios])
            .values("scenario_id")
            .annotate(last=Max("id"), last_ok=Max("id", filter=Q(status=RunStatus.SUCCEEDED)))
        }
    wanted = {row["last"] for row in latest.values()} | {
        row["last_ok"] for row in latest.values() if row["last_ok"]
    }
    runs: dict[int, AllocationRun] = (
        {r.pk: r for r in AllocationRun.objects.filter(pk__in=wanted)} if wanted else {}
    )
    for s in scenarios:
        row = latest.get(s.pk)
        last = runs.get(row["last"]) if row else None
        ok = runs.get(row["last_ok"]) if row and row["last_ok"] else None
        s.last_run_id = last.pk if last else None  # type: ignore[attr-defined]
        s.last_run_status = last.status if last else None  # type: ignore[attr-defined]
        s.last_run_at = last.created_at if last else None  # type: ignore[attr-defined]
        s.last_ok_run_id = ok.pk if ok else None  # type: ignore[attr-defined]
        s.last_ok_run = ok  # type: ignore[attr-defined]
    return scenarios


def scenario_list_with_latest_run(*, user: Any) -> QuerySet[Scenario]:
    """:func:`scenario_list`, each scenario with ``latest_run_id``: its newest succeeded run
    (as :func:`latest_run` finds it), or None. One query."""
    newest = AllocationRun.objects.filter(
        scenario=OuterRef("pk"), status=RunStatus.SUCCEEDED
    ).order_by("-created_at", "-id")
    return scenario_list(user=user).annotate(latest_run_id=Subquery(newest.values("id")[:1]))


def scenario_get(*, user: Any, pk: int) -> Scenario | None:
    """A scenario ``user`` may see, with its owner, the scenario it was cloned from and its
    latest succeeded run's id (``latest_run_id``)."""
    return scenario_list_with_latest_run(user=user).select_related("based_on").filter(pk=pk).first()


def run_list(
    *, user: Any, scenario: int | None = None, status: str | None = None
) -> QuerySet[AllocationRun]:
    """Runs of the scenarios ``user`` may see, newest first; one query per page."""
    runs = AllocationRun.objects.filter(
        scenario__in=visible_scenarios(user, Scenario.objects.values("pk"))
    )
    if scenario is not None:
        runs = runs.filter(scenario_id=scenario)
    if status is not None:
        runs = runs.filter(status=status)
    return runs.select_related("scenario", "requested_by").order_by("-created_at", "-id")


def run_get(*, user: Any, pk: int) -> AllocationRun | None:
    return run_list(user=user).filter(pk=pk).first()


def result_rows(
    *, run: AllocationRun, level: str, geography: str, pillar: str | None = None
) -> list[dict[str, Any]]:
    """A run's results per municipality or per area of ``geography``, as uniform rows.

    ``capacities`` is the chosen pillar's number (the total without one). Three queries.
    """
    if level == "area":
        rows = [
            {
                "level": "area",
                "key": r["area"],
                "name": r["name"],
                "kommunekode": None,
                "region": None,
                "area": r["area"],
                "coverage_rank": None,
                **{
                    k: v
                    for k, v in r.items()
                    if k not in ("area", "name", "hospital", "supply_after", "floor")
                },
            }
            for r in area_results(run=run, geography=geography)
        ]
    else:
        area_of = dict(
            Membership.objects.filter(geography__slug=geography).values_list(
                "municipality_id", "area__slug"
            )
        )
        values = municipality_result_rows(run_ids=[run.pk])
        rows = [
            {
                "level": "municipality",
                "key": str(r["municipality_id"]),
                "name": r["municipality__name"],
                "kommunekode": r["municipality_id"],
                "region": r["municipality__region_id"],
                "area": area_of.get(r["municipality_id"]),
                "municipalities": 1,
                "population": r["municipality__population"],
                **{k: r[k] for k in (*RESULT_SUMS, "load_before", "load_after", "coverage_rank")},
                "population_base": r["population_base"],
                "coverage_cap": r["coverage_cap"],
            }
            for r in values
        ]
    for row in rows:
        row["pillar"] = pillar or "total"
        row["capacities"] = row[pillar or "total"]
    return rows


def placement_list(
    *,
    run: AllocationRun,
    municipality: int | None = None,
    municipalities: Iterable[int] | None = None,
    area: str | None = None,
    geography: str | None = None,
    pillar: str | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> QuerySet[Any]:
    """A run's placements with their municipality's name; one query per page.

    ``municipalities`` narrows to several kommunekoder (an area's members on its page).
    """
    qs = (
        Placement.objects.filter(run=run)
        .select_related("municipality")
        .only(
            "id",
            "municipality",
            "municipality__name",
            "ydernummer",
            "pillar",
            "year",
            "kind",
            "reason_code",
            "reason",
        )
    )
    if municipality is not None:
        qs = qs.filter(municipality_id=municipality)
    if municipalities is not None:
        qs = qs.filter(municipality_id__in=list(municipalities))
    if area is not None:
        qs = qs.filter(
            municipality__memberships__geography__slug=geography,
            municipality__memberships__area__slug=area,
        )
    if pillar is not None:
        qs = qs.filter(pillar=pillar)
    if year is not None:
        qs = qs.filter(year=year)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("year", "municipality_id", "id")


def with_reason_labels(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Placement rows read with ``.values()`` (with ``reason_code``), each with
    ``reason_label``: the reason in the active language, as ``get_reason_code_display``
    gives it on an instance."""
    page = list(rows)
    choices = dict(Placement._meta.get_field("reason_code").flatchoices)
    labels: dict[str, str] = {}
    for row in page:
        code = row["reason_code"]
        if code not in labels:
            labels[code] = force_str(choices.get(code, code), strings_only=True)
        row["reason_label"] = labels[code]
    return page


def phase_years(run: AllocationRun) -> list[int]:
    """The years of a run's phase-in, its base year to its horizon."""
    return list(range(run.params["base_year"], run.params["horizon"] + 1))


# A run's phase-in is not stored as such: each placement is one new capacity in one year,
# so the capacities new in a year are a count of placements, and the cumulative ones a
# running sum of those counts over the run's years (docs/model.md#phase-in).
def _phased(new_in: Mapping[int, int], years: Iterable[int]) -> dict[int, tuple[int, int]]:
    """year -> (new, cumulative) of one place, from its new capacities per year: every year
    from its first capacity on, a year without a new one included (new 0, cumulative
    carried)."""
    out: dict[int, tuple[int, int]] = {}
    cumulative = 0
    for y in years:
        new = new_in.get(y, 0)
        cumulative += new
        if cumulative:
            out[y] = (new, cumulative)
    return out


def phasing_rows(
    *,
    run: AllocationRun,
    level: str,
    geography: str,
    year: int | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    pillar: str | None = None,
    ordering: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """New and cumulative capacities per year and pillar, per municipality or summed per area
    of ``geography``: rows of level, key, name, year, pillar, new, cumulative_sum, for each
    year from the first in which the place has a capacity. ``ordering`` names row keys (a
    leading "-" for descending) that order the rows before year, pillar and key do. Two
    queries: the run's years and the placements counted per place, year and pillar."""
    last = min((y for y in (year, year_max) if y is not None), default=None)
    placed = Placement.objects.filter(run=run)
    if pillar is not None:
        placed = placed.filter(pillar=pillar)
    if last is not None:  # a later year's placements count in no row asked for
        placed = placed.filter(year__lte=last)
    counted: QuerySet[Any]
    if level == "area":
        counted = placed.filter(municipality__memberships__geography__slug=geography).values_list(
            "municipality__memberships__area__slug",
            "municipality__memberships__area__name",
            "pillar",
            "year",
        )
    else:
        counted = placed.values_list("municipality_id", "municipality__name", "pillar", "year")
    per_place: dict[tuple[Any, str], tuple[str, dict[int, int]]] = {}
    for key, name, row_pillar, row_year, n in counted.annotate(n=Count("id")).order_by():
        per_place.setdefault((key, row_pillar), (name, {}))[1][row_year] = n
    years = phase_years(run)
    wanted = [
        y
        for y in years
        if (year is None or y == year)
        and (year_min is None or y >= year_min)
        and (last is None or y <= last)
    ]
    # Built in the default order (year, pillar, key; a kommunekode as a number), so only an
    # ordering asked for sorts.
    in_pillar: dict[str, list[tuple[str, str, dict[int, tuple[int, int]]]]] = {}
    for (key, row_pillar), (name, new_in) in sorted(per_place.items()):
        in_pillar.setdefault(row_pillar, []).append((str(key), name, _phased(new_in, years)))
    rows = [
        {
            "level": level,
            "key": key,
            "name": name,
            "year": y,
            "pillar": row_pillar,
            "new": phased[y][0],
            "cumulative_sum": phased[y][1],
        }
        for y in wanted
        for row_pillar in sorted(in_pillar)
        for key, name, phased in in_pillar[row_pillar]
        if y in phased
    ]
    rank = {str(key): i for i, key in enumerate(sorted({key for key, _p in per_place}))}
    for field in reversed(list(ordering)):  # stable sorts: the first field decides first
        column = field.lstrip("-")
        value = (lambda r: rank[r["key"]]) if column == "key" else itemgetter(column)
        rows.sort(key=value, reverse=field.startswith("-"))
    return rows


def phasing_totals(*, run: AllocationRun, codes: Iterable[int] | None = None) -> dict[str, Any]:
    """New and cumulative capacities per year and pillar, nationally or summed over some
    municipalities: {"new": {pillar: {year: n}}, "cumulative": {...}}, from the first year
    with a capacity, and all pillars together ("new_all", "cumulative_all": {year: n}).
    One query (with the run's parameters loaded)."""
    placed = Placement.objects.filter(run=run)
    if codes is not None:
        placed = placed.filter(municipality_id__in=list(codes))
    counts: dict[str, dict[int, int]] = {p: {} for p in PILLARS}
    for row_pillar, row_year, n in (
        placed.values_list("pillar", "year").annotate(n=Count("id")).order_by()
    ):
        counts[row_pillar][row_year] = n
    years = phase_years(run)

    def split(new_in: Mapping[int, int]) -> tuple[dict[int, int], dict[int, int]]:
        phased = _phased(new_in, years)
        return {y: n for y, (n, _c) in phased.items()}, {y: c for y, (_n, c) in phased.items()}

    per_pillar = {p: split(counts[p]) for p in PILLARS}
    new_all, cumulative_all = split({y: sum(counts[p].get(y, 0) for p in PILLARS) for y in years})
    return {
        "new": {p: per_pillar[p][0] for p in PILLARS},
        "cumulative": {p: per_pillar[p][1] for p in PILLARS},
        "new_all": new_all,
        "cumulative_all": cumulative_all,
    }


def area_phasing(*, run: AllocationRun, geography: str) -> dict[str, tuple[str, dict[int, int]]]:
    """Cumulative capacities per area of ``geography`` and year, all pillars together:
    area slug -> (area name, {year: capacities}). The area rows of :func:`phasing_rows`."""
    out: dict[str, tuple[str, dict[int, int]]] = {}
    for row in phasing_rows(run=run, level="area", geography=geography):
        _name, years = out.setdefault(row["key"], (row["name"], {}))
        years[row["year"]] = years.get(row["year"], 0) + row["cumulative_sum"]
    return out


def sensitivity_rows(
    *, run: AllocationRun, level: str, geography: str | None = None
) -> list[dict[str, Any]]:
    """The 5th/50th/95th percentiles of each municipality's or area's capacities (the areas
    of every geography the run has bands for, or of ``geography``); two queries."""
    bands_qs = SensitivityBand.objects.filter(run=run, level=level)
    if level == SensitivityBand.Level.AREA and geography is not None:
        bands_qs = bands_qs.filter(geography=geography)
    bands = list(bands_qs.order_by("geography", "key"))
    if level == "area":
        names = {
            (geo, slug): name
            for geo, slug, name in Area.objects.filter(
                geography__slug__in={b.geography for b in bands}
            ).values_list("geography__slug", "slug", "name")
        }
    else:
        names = {
            ("", str(code)): name
            for code, name in Municipality.objects.values_list("kommunekode", "name")
        }
    rows: list[dict[str, Any]] = [
        {
            "level": b.level,
            "geography": b.geography or None,
            "key": b.key,
            "name": names.get((b.geography, b.key), b.key),
            "p5": b.p5,
            "p50": b.p50,
            "p95": b.p95,
            "width": b.p95 - b.p5,  # the 90 % band's width, in capacities
            "base": b.base,
        }
        for b in bands
    ]
    if level != "area":
        rows.sort(key=lambda r: int(r["key"]) if str(r["key"]).isdigit() else 0)
    return rows


def metric_rows(*, run: AllocationRun) -> list[dict[str, Any]]:
    """A run's metrics as rows: ``before`` and ``after`` where the metric has both, else
    ``value``. A list (the municipalities without supply) is counted: ``<name>_count``."""
    metrics: dict[str, Any] = run.metrics or {}
    before: dict[str, Any] = metrics.get("before") or {}
    after: dict[str, Any] = metrics.get("after") or {}

    def number(value: Any) -> float | None:
        if isinstance(value, list):
            return float(len(value))
        return None if value is None or isinstance(value, str | dict) else float(value)

    def name(key: str, *values: Any) -> str:
        return f"{key}_count" if any(isinstance(v, list) for v in values) else key

    rows = [
        {
            "metric": name(key, before.get(key), after.get(key)),
            "before": number(before.get(key)),
            "after": number(after.get(key)),
            "value": None,
        }
        for key in dict.fromkeys([*before, *after])
    ]
    rows += [
        {"metric": name(key, value), "before": None, "after": None, "value": number(value)}
        for key, value in metrics.items()
        if key not in ("before", "after") and not isinstance(value, dict | str)
    ]
    return rows


def run_inputs(*, run: AllocationRun) -> EngineInputs | None:
    """The engine inputs ``run`` was computed on, rebuilt from its snapshot (their
    ``inputs_hash`` is the run's); None for a run stored before snapshots were kept."""
    frames = RunInputs.objects.filter(run_id=run.pk).values_list("frames", flat=True).first()
    return None if frames is None else inputs_from_frames(frames)


def explanation_get(*, run: AllocationRun, kommunekode: int) -> dict[str, Any] | None:
    """Why a municipality got what it got in ``run``; None if it has no result there.

    Rebuilt from the run's own inputs and parameters: the engine is deterministic, so this
    is the explanation of the stored numbers. The run's stored statutory share and
    deviation of the municipality's area and the status of each input it used (from the
    run's snapshot) are added to it. Rebuilt once per run and engine version, then cached
    (`_explanation`). Runs stored before their inputs were kept carry it in their rows.
    """
    stored = (
        MunicipalityResult.objects.filter(run=run, municipality_id=kommunekode)
        .values_list("explanation", flat=True)
        .first()
    )
    if stored is None:
        return None
    return _explanation(run=run, kommunekode=kommunekode, stored=stored)


# A rebuilt explanation is kept this long; a finished run never changes, and the key holds
# the engine's version, so only memory bounds it.
EXPLANATION_TTL = 24 * 60 * 60


@functools.cache
def engine_version() -> str:
    """A digest of the engine's source: explanations rebuilt by another engine are not
    served from the cache."""
    digest = hashlib.sha256()
    for path in sorted(ENGINE_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _explanation_key(run: AllocationRun, kommunekode: int) -> str:
    raw = repr((run.pk, run.inputs_hash, run.finished_at, engine_version(), kommunekode))
    return "klyngeplan:explanation:" + hashlib.sha256(raw.encode()).hexdigest()


def _explanation(
    *, run: AllocationRun, kommunekode: int, stored: Mapping[str, Any]
) -> dict[str, Any]:
    """The explanation of one municipality in ``run``, from the cache when it has been
    explained before in a finished run (one engine run per municipality and run: explaining
    all 98 at once would cost four times the engine run itself)."""
    key = _explanation_key(run, kommunekode)
    if run.is_finished and (hit := cache.get(key)) is not None:
        return dict(hit)
    frames = RunInputs.objects.filter(run_id=run.pk).values_list("frames", flat=True).first()
    if frames is None:
        return dict(stored)
    inputs = inputs_from_frames(frames)
    if kommunekode not in inputs.municipalities.index:
        return dict(stored)
    params = AllocationParams.from_dict(run.params)
    outcome = allocate(inputs, params)
    explained: dict[str, Any] = json_safe(outcome.explain(kommunekode))
    explained["statutory"] = _statutory_of(
        run=run, inputs=inputs, geography=params.statutory_geography, kommunekode=kommunekode
    )
    explained["inputs"] = _input_status_of(
        inputs=inputs, statuses=frames.get("statuses"), kommunekode=kommunekode
    )
    if run.is_finished:
        cache.set(key, explained, EXPLANATION_TTL)
    return explained


def _statutory_of(
    *, run: AllocationRun, inputs: EngineInputs, geography: str, kommunekode: int
) -> dict[str, Any] | None:
    """The statutory reference of the municipality's area in ``geography`` as the run stored
    it (AreaResult: the share, the deviation, the load at the share and the gap); None for
    a run stored without it. One query."""
    areas = inputs.geographies.get(geography)
    if areas is None or kommunekode not in areas.index:
        return None
    row = (
        AreaResult.objects.filter(run=run, geography=geography, area=str(areas[kommunekode]))
        .values(
            "area",
            "name",
            "statutory",
            "deviation",
            "statutory_load",
            "statutory_load_gap",
            "supply_at_horizon",
            "total",
        )
        .first()
    )
    if row is None or row["statutory"] is None:
        return None
    return {
        "geography": geography,
        **row,
        "capacities_after": row["supply_at_horizon"] + row["total"],
    }


def _input_status_of(
    *, inputs: EngineInputs, statuses: Mapping[str, Any] | None, kommunekode: int
) -> dict[str, dict[str, Any]]:
    """The status of each input the run used for a municipality, from its snapshot: every
    demand indicator (sourced, derived, estimated, or imported where an upload gave it)
    with its source and year, and the practice register (synthetic, imported or mixed).
    Empty for a run stored before statuses were kept."""
    if not statuses:
        return {}
    n = inputs.municipalities.index.get_loc(kommunekode)
    out: dict[str, dict[str, Any]] = {}
    for key, columns in (statuses.get("indicators") or {}).items():
        status = columns["status"][n]
        if status is None:
            continue
        imported = bool((columns.get("imported") or [False] * (n + 1))[n])
        out[key] = {
            "status": "imported" if imported else status,
            "source": columns["source"][n],
            "year": columns["year"][n],
        }
    supply = (statuses.get("supply") or {}).get(str(kommunekode))
    out["practices"] = {"status": supply, "source": "", "year": None}
    return out


COMPARED = ("transition", "coverage", "accessibility", "total", "load_after")


def compare_rows(
    *, a: AllocationRun, b: AllocationRun, level: str, geography: str
) -> list[dict[str, Any]]:
    """Run ``b`` minus run ``a`` per municipality or area: each pillar, the total and the load
    after. Six queries."""
    rows_a = {r["key"]: r for r in result_rows(run=a, level=level, geography=geography)}
    rows_b = {r["key"]: r for r in result_rows(run=b, level=level, geography=geography)}
    out = []
    for key in dict.fromkeys([*rows_a, *rows_b]):
        ra, rb = rows_a.get(key, {}), rows_b.get(key, {})
        row: dict[str, Any] = {"level": level, "key": key, "name": (ra or rb)["name"]}
        for field in COMPARED:
            va, vb = ra.get(field), rb.get(field)
            row[f"a_{field}"] = va
            row[f"b_{field}"] = vb
            row[f"diff_{field}"] = None if va is None or vb is None else vb - va
        out.append(row)
    return out


def run_state_get(*, user: Any, pk: int) -> AllocationRun | None:
    """A run ``user`` may see, with only what decides whether its results can be served
    (status, error, inputs hash, finish time); one light query, for the result views."""
    found = list(
        AllocationRun.objects.filter(
            pk=pk, scenario__in=visible_scenarios(user, Scenario.objects.values("pk"))
        ).only("id", "scenario_id", "status", "error", "inputs_hash", "finished_at")[:1]
    )
    return found[0] if found else None


# --- one municipality's explanation --------------------------------------------------------


@dataclass(frozen=True)
class DriverRow:
    """One driver of an index pillar: the municipality's value, its national share, the
    driver's weight, and the data status of the value (sourced, derived, estimated)."""

    key: str
    label: str
    value: float | None
    share: float | None
    weight: float | None
    contribution: float | None
    status: str
    source: str


@dataclass(frozen=True)
class IndexPillar:
    """Transition or accessibility: capacities from the municipality's share of the drivers."""

    pillar: str
    capacities: int
    index: float | None
    quota: float | None
    pillar_total: int | None
    drivers: list[DriverRow]


@dataclass(frozen=True)
class CoveragePillar:
    """Coverage: capacities by water-filling on the load, and why N and not one more or one
    fewer: the water level where the pillar stopped against the load at which the
    municipality's last capacity came in and its next would have.

    ``why_not_fewer``: 'above_level' or 'method' (None without capacities); ``why_not_more``:
    'cap', 'below_level' or 'method' (engine.explain)."""

    capacities: int
    pillar_total: int | None
    load_rank_before: int | None
    first_position: int | None
    load_after_coverage: float | None
    method: str = ""
    water_level: float | None = None
    last_load: float | None = None
    next_load: float | None = None
    why_not_fewer: str | None = None
    why_not_more: str | None = None
    cap_per_year: int | None = None
    cap_total: int | None = None

    @property
    def next_number(self) -> int:
        return self.capacities + 1


@dataclass(frozen=True)
class SupplyAssumptions:
    """The retirement and replacement assumptions behind the supply at the horizon."""

    capacities_today: float
    retirement_age: int | None
    retiring: float
    replacement_share: float | None
    replaced: float
    not_replaced: float
    supply_at_horizon: float
    phase_in_per_year: list[int]
    training_per_year: list[int]
    pipeline_binding: bool | None
    pipeline_total: int | None
    shortfall: float | None

    @property
    def training_each_year(self) -> int | None:
        """The specialists a year when every year has the same number, else None."""
        return self.training_per_year[0] if len(set(self.training_per_year)) == 1 else None


@dataclass(frozen=True)
class StatutoryShare:
    """The statutory reference of the municipality's area, as stored with the run."""

    geography: str
    area: str
    name: str
    share: int
    capacities_after: float
    deviation: float
    load_gap: float | None


@dataclass(frozen=True)
class WeightComponent:
    """One term of W: the citizens of a group, what the age mix already implies of them
    (None for the age bands), the parameter's weight, the weight after the W scale, and
    the term."""

    label: str
    citizens: float | None
    weight: float | None
    weighted: float | None
    status: str
    age_expected: float | None = None
    scaled_weight: float | None = None


@dataclass(frozen=True)
class MunicipalityExplanation:
    """Why a municipality receives its capacities in a run, as the municipality page shows it."""

    kommunekode: int
    total: int
    weighted_citizens: float
    supply_at_horizon: float
    load_before: float | None
    load_after: float | None
    transition: IndexPillar
    coverage: CoveragePillar
    accessibility: IndexPillar
    components: list[WeightComponent]
    placements_by_practice: dict[str, list[Placement]]
    new_ydernumre: dict[str, list[Placement]]
    horizon: HorizonSummary | None = None
    # The factor applied to the raw weighted sums (1 when not normalised; None on runs
    # explained before it was quoted).
    w_scale: float | None = None
    supply: SupplyAssumptions | None = None
    statutory: StatutoryShare | None = None
    # The practice register's status for the municipality (synthetic, imported, mixed).
    supply_status: str = ""

    @property
    def has_supply(self) -> bool:
        """Whether the municipality has any GP capacity at the horizon; without it, its load
        is unbounded and has no rank worth quoting."""
        return self.supply_at_horizon > 0

    @property
    def index_pillars(self) -> list[IndexPillar]:
        return [self.transition, self.accessibility]


def _status(
    key: str, run_inputs: Mapping[str, Mapping[str, Any]], indicators: Mapping[str, Any]
) -> tuple[str, str]:
    """The status and source of an input as the run used it (its snapshot), else as the
    database has it now (runs stored before statuses were kept)."""
    if key in run_inputs:
        return str(run_inputs[key].get("status") or ""), str(run_inputs[key].get("source") or "")
    ind = indicators.get(key)
    return (ind.status, ind.source) if ind else ("", "")


def _index_pillar(
    pillar: str,
    capacities: int,
    block: Mapping[str, Any],
    indicators: Mapping[str, Any],
    run_inputs: Mapping[str, Mapping[str, Any]],
) -> IndexPillar:
    labels = dict(Indicator.choices)
    rows = []
    for key, info in (block.get("drivers") or {}).items():
        status, source = _status(key, run_inputs, indicators)
        rows.append(
            DriverRow(
                key=key,
                label=str(labels.get(key, key)),
                value=info.get("value"),
                share=info.get("national_share"),
                weight=info.get("weight"),
                contribution=info.get("contribution"),
                status=status,
                source=source,
            )
        )
    return IndexPillar(
        pillar=pillar,
        capacities=capacities,
        index=block.get("index"),
        quota=block.get("quota"),
        pillar_total=block.get("pillar_total"),
        drivers=rows,
    )


def municipality_explanation(
    *, run: AllocationRun, kommunekode: int, indicators: Mapping[str, Any], known: Collection[str]
) -> MunicipalityExplanation | None:
    """A municipality's result in ``run`` with each pillar's reason, its drivers marked with
    their data status, and its placements by ydernummer. None when the run has no result for
    it. Two queries.

    ``indicators`` are the municipality's latest demand indicators (with ``status`` and
    ``source``); ``known`` the ydernumre of its practices, so that placements on ydernumre
    not among them are shown as new ones.
    """
    result = MunicipalityResult.objects.filter(run=run, municipality_id=kommunekode).first()
    if result is None:
        return None
    explanation = _explanation(run=run, kommunekode=kommunekode, stored=result.explanation or {})
    labels = dict(Indicator.choices)
    coverage = explanation.get("coverage") or {}
    weighted = explanation.get("weighted_citizens") or {}
    components = weighted.get("components") or {}
    used: Mapping[str, Mapping[str, Any]] = explanation.get("inputs") or {}
    # Placements per ydernummer in the order of the years, then of the ydernumre.
    by_practice: dict[str, list[Placement]] = {}
    placements = placement_list(run=run, municipality=kommunekode)
    for p in sorted(placements, key=lambda p: (p.year, p.ydernummer, p.pk)):
        by_practice.setdefault(p.ydernummer, []).append(p)
    return MunicipalityExplanation(
        kommunekode=kommunekode,
        total=result.total,
        weighted_citizens=result.weighted_citizens,
        supply_at_horizon=result.supply_at_horizon,
        load_before=result.load_before,
        load_after=result.load_after,
        transition=_index_pillar(
            "transition", result.transition, explanation.get("transition") or {}, indicators, used
        ),
        coverage=CoveragePillar(
            capacities=result.coverage,
            pillar_total=coverage.get("pillar_total"),
            load_rank_before=coverage.get("load_rank_before"),
            first_position=coverage.get("first_position"),
            load_after_coverage=(explanation.get("load") or {}).get("after_coverage"),
            method=str(coverage.get("method") or ""),
            water_level=coverage.get("water_level"),
            last_load=coverage.get("last_load"),
            next_load=coverage.get("next_load"),
            why_not_fewer=coverage.get("why_not_fewer"),
            why_not_more=coverage.get("why_not_more"),
            cap_per_year=coverage.get("cap_per_year"),
            cap_total=coverage.get("cap_total"),
        ),
        accessibility=_index_pillar(
            "accessibility",
            result.accessibility,
            explanation.get("accessibility") or {},
            indicators,
            used,
        ),
        components=[
            WeightComponent(
                label=str(labels.get(key, key)),
                citizens=c.get("citizens"),
                weight=c.get("weight"),
                weighted=c.get("weighted"),
                status=_status(key, used, indicators)[0],
                age_expected=c.get("age_expected"),
                scaled_weight=c.get("scaled_weight"),
            )
            for key, c in components.items()
        ],
        w_scale=weighted.get("scale"),
        supply=_supply_assumptions(explanation.get("supply") or {}, result),
        statutory=_statutory_share(explanation.get("statutory")),
        supply_status=str((used.get("practices") or {}).get("status") or ""),
        placements_by_practice=by_practice,
        new_ydernumre={k: v for k, v in by_practice.items() if k not in known},
        horizon=_horizon(
            run=run,
            row=result,
            cap=result.coverage_cap,
            codes=[kommunekode],
            base_estimated=(
                indicators[Indicator.POP_80_PLUS].status == DataStatus.ESTIMATED
                if Indicator.POP_80_PLUS in indicators
                else None
            ),
        ),
    )


def _supply_assumptions(
    block: Mapping[str, Any], result: MunicipalityResult
) -> SupplyAssumptions | None:
    """The supply block of an explanation, the figures as stored with the run's result."""
    if not block:
        return None
    pipeline = block.get("pipeline") or {}
    retiring = result.retiring if result.retiring is not None else block.get("retiring_fte", 0.0)
    replaced = result.replaced if result.replaced is not None else block.get("replaced", 0.0)
    return SupplyAssumptions(
        capacities_today=result.supply_today,
        retirement_age=block.get("retirement_age"),
        retiring=float(retiring),
        replacement_share=block.get("replacement_share"),
        replaced=float(replaced),
        not_replaced=float(retiring) - float(replaced),
        supply_at_horizon=result.supply_at_horizon,
        phase_in_per_year=list(pipeline.get("phase_in_per_year") or []),
        training_per_year=list(pipeline.get("training_per_year") or []),
        pipeline_binding=pipeline.get("binding"),
        pipeline_total=pipeline.get("pipeline_total"),
        shortfall=pipeline.get("shortfall"),
    )


def _statutory_share(block: Mapping[str, Any] | None) -> StatutoryShare | None:
    if not block:
        return None
    return StatutoryShare(
        geography=str(block["geography"]),
        area=str(block["area"]),
        name=str(block["name"]),
        share=int(block["statutory"]),
        capacities_after=float(block["capacities_after"]),
        deviation=float(block["deviation"]),
        load_gap=block.get("statutory_load_gap"),
    )


# --- need and supply at the horizon (the waterfall of the pages) ------------------------


@dataclass(frozen=True)
class HorizonSummary:
    """Need and supply of a municipality, an area or Denmark from the base year to the
    horizon, as stored with the run (docs/model.md#need-at-the-horizon).

    Supply: today → minus the retiring capacities → plus the replaced ones → at the horizon
    before the new capacities → plus each pillar's new capacities → after. ``available`` is
    False for a run stored before need and supply were projected (its rows have no base year).
    """

    base_year: int
    horizon: int
    need_base: float | None
    need_horizon: float
    pop_80_plus_base: float | None
    pop_80_plus_horizon: float | None
    supply_today: float
    retiring: float | None
    replaced: float | None
    supply_at_horizon: float
    new: dict[str, int]
    supply_after: float
    replacement_share: float
    coverage_cap: int | None
    base_estimated: bool  # the base year's citizens 80+ (an estimated indicator)
    projection_estimated: bool

    @property
    def available(self) -> bool:
        return self.need_base is not None and self.retiring is not None

    @property
    def need_growth(self) -> float | None:
        if self.need_base is None or self.need_base <= 0:
            return None
        return self.need_horizon / self.need_base - 1.0

    @property
    def not_replaced(self) -> float | None:
        if self.retiring is None or self.replaced is None:
            return None
        return self.retiring - self.replaced


def _estimated_flags(*, base_year: int, horizon: int, codes: Collection[int] | None) -> set[str]:
    """Which of the base year's 80+ ("base") and the horizon's projection ("projection") are
    estimated for ``codes`` (all municipalities when None); one query."""
    indicators = DemandIndicator.objects.filter(
        indicator=Indicator.POP_80_PLUS, year__lte=base_year, status=DataStatus.ESTIMATED
    )
    projection = PopulationProjection.objects.filter(year=horizon, status=DataStatus.ESTIMATED)
    if codes is not None:
        indicators = indicators.filter(municipality_id__in=list(codes))
        projection = projection.filter(municipality_id__in=list(codes))
    # DISTINCT on a constant gives one row per table at most (a LIMIT is not allowed in a
    # compound statement on SQLite).
    flags = (
        indicators.annotate(flag=Value("base", output_field=CharField()))
        .order_by()
        .values_list("flag", flat=True)
        .distinct()
    )
    more = (
        projection.annotate(flag=Value("projection", output_field=CharField()))
        .order_by()
        .values_list("flag", flat=True)
        .distinct()
    )
    return set(flags.union(more))


def horizon_summary(
    *,
    run: AllocationRun,
    kommunekode: int | None = None,
    geography: str = "",
    area: str = "",
    members: Collection[int] | None = None,
) -> HorizonSummary | None:
    """The summary for one municipality, one area of ``geography``, or (neither given) all
    of Denmark; None where the run has no such result. ``members``: the area's
    municipalities, if the caller has them. Whether a figure is estimated or synthetic is
    read from the data (the indicators' and the projection's status). Two queries (three for
    an area without ``members``)."""
    row: Any
    codes: Collection[int] | None
    if kommunekode is not None:
        row = MunicipalityResult.objects.filter(run=run, municipality_id=kommunekode).first()
        codes = [kommunekode]
        cap = None if row is None else row.coverage_cap
    else:
        geo, slug = (geography, area) if geography else (NATION, "danmark")
        row = AreaResult.objects.filter(run=run, geography=geo, area=slug).first()
        codes = members
        if geography and codes is None:
            codes = list(
                Membership.objects.filter(geography__slug=geography, area__slug=area).values_list(
                    "municipality_id", flat=True
                )
            )
        cap = None
    if row is None:
        return None
    return _horizon(run=run, row=row, cap=cap, codes=codes)


def _horizon(
    *,
    run: AllocationRun,
    row: MunicipalityResult | AreaResult,
    cap: int | None,
    codes: Collection[int] | None,
    base_estimated: bool | None = None,
) -> HorizonSummary:
    params = run.params or {}
    base_year = int(params.get("base_year", 2026))
    horizon = int(params.get("horizon", 2035))
    estimated = _estimated_flags(base_year=base_year, horizon=horizon, codes=codes)
    if base_estimated is not None:
        estimated.discard("base")
        if base_estimated:
            estimated.add("base")
    return HorizonSummary(
        base_year=base_year,
        horizon=horizon,
        need_base=row.weighted_citizens_base,
        need_horizon=row.weighted_citizens,
        pop_80_plus_base=row.pop_80_plus_base,
        pop_80_plus_horizon=row.pop_80_plus_horizon,
        supply_today=row.supply_today,
        retiring=row.retiring,
        replaced=row.replaced,
        supply_at_horizon=row.supply_at_horizon,
        new={p: int(getattr(row, p)) for p in PILLARS},
        supply_after=row.supply_at_horizon + row.total,
        replacement_share=float(params.get("replacement_share", 1.0)),
        coverage_cap=cap,
        base_estimated="base" in estimated,
        projection_estimated="projection" in estimated,
    )


# --- the data status of a run's figures, for tidy datasets -------------------------------

# The weakest status of the values a figure rests on is the figure's status.
_STATUS_ORDER = (DataStatus.SOURCED, DataStatus.DERIVED, DataStatus.ESTIMATED)


def _weakest(statuses: Iterable[str]) -> str:
    found = set(statuses)
    return next((str(s) for s in reversed(_STATUS_ORDER) if s in found), str(DataStatus.SOURCED))


def input_statuses(*, inputs: EngineInputs) -> dict[str, Any]:
    """Where each figure of ``inputs`` comes from, as the database has it now, in the order
    of the run's snapshot (allocation.snapshots): per demand indicator each municipality's
    status, source, year and imported flag; each practice's record source; per municipality
    and per area of each geography the status of its need (the weakest of its indicators:
    sourced, derived or estimated) and the source of its supply (synthetic, imported or
    mixed). Written into the snapshot when a run is requested, so that the status columns of
    its results are those of the data it ran on. Two queries.
    """
    codes = [int(c) for c in inputs.municipalities.index]
    latest: dict[tuple[int, str], tuple[str, str, int, bool]] = {}
    for code, indicator, year, status, source, imported in _rows(
        DemandIndicator.objects.filter(indicator__in=ENGINE_INDICATORS, municipality_id__in=codes)
        .order_by("year")
        .values_list("municipality_id", "indicator", "year", "status", "source", "imported")
    ):
        latest[(code, indicator)] = (status, source, year, bool(imported))
    indicators: dict[str, dict[str, list[Any]]] = {}
    for indicator in ENGINE_INDICATORS:
        values = [latest.get((code, indicator)) for code in codes]
        indicators[str(indicator)] = {
            field: [v[i] if v else None for v in values]
            for i, field in enumerate(("status", "source", "year", "imported"))
        }
    need = {
        str(code): _weakest(
            indicators[str(i)]["status"][n] or DataStatus.SOURCED for i in ENGINE_INDICATORS
        )
        for n, code in enumerate(codes)
    }
    source_of: dict[str, str] = dict(Practice.objects.values_list("ydernummer", "source"))
    practice_sources = [source_of.get(y) for y in inputs.practices["ydernummer"]]
    found: dict[int, set[str]] = defaultdict(set)
    for code, known in zip(inputs.practices["kommunekode"], practice_sources, strict=True):
        if known is not None:
            found[int(code)].add(known)
    every = {s for sources in found.values() for s in sources}
    supply = SupplySources(
        by_municipality={c: next(iter(s)) if len(s) == 1 else MIXED for c, s in found.items()},
        overall=next(iter(every)) if len(every) == 1 else MIXED,
    )
    areas: dict[str, dict[str, dict[str, str]]] = {}
    for slug, series in inputs.geographies.items():
        members: dict[str, list[int]] = defaultdict(list)
        for code, area in series.items():
            members[str(area)].append(int(code))
        areas[slug] = {
            area: {
                "need": _weakest(need[str(c)] for c in group if str(c) in need),
                "supply": supply.of(*group),
            }
            for area, group in members.items()
        }
    return {
        "indicators": indicators,
        "practices": practice_sources,
        "need": need,
        "supply": {str(code): supply.of(code) for code in codes},
        "areas": areas,
    }


@dataclass(frozen=True)
class RunStatuses:
    """The status of need and supply per municipality (kommunekode as text) and per area of
    each geography, of one run."""

    need: Mapping[str, str]
    supply: Mapping[str, str]
    areas: Mapping[str, Mapping[str, Mapping[str, str]]]

    def of(self, *, level: str, key: str, geography: str) -> tuple[str | None, str | None]:
        if level == "area":
            found = self.areas.get(geography, {}).get(key, {})
            return found.get("need"), found.get("supply")
        return self.need.get(key), self.supply.get(key)


def run_statuses(*, run_ids: Collection[int]) -> dict[int, RunStatuses]:
    """:class:`RunStatuses` of each run, from its snapshot; one query (a run requested
    before statuses were kept gets today's statuses of its snapshot's data, a run without a
    snapshot none)."""
    out: dict[int, RunStatuses] = {}
    rows = RunInputs.objects.filter(run_id__in=list(run_ids)).values_list(
        "run_id", "frames__statuses__need", "frames__statuses__supply", "frames__statuses__areas"
    )
    for run_id, need, supply, areas in rows:
        if need is None:
            frames = RunInputs.objects.get(run_id=run_id).frames
            full = input_statuses(inputs=inputs_from_frames(frames))
            need, supply, areas = full["need"], full["supply"], full["areas"]
        out[run_id] = RunStatuses(need=need, supply=supply, areas=areas)
    return out


def _sort_key(field: str) -> Any:
    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        value = row.get(field)
        return (value is None, value if value is not None else 0)

    return key


def tidy_result_rows(
    *,
    run: AllocationRun,
    level: str,
    geography: str,
    pillar: str | None = None,
    region: int | None = None,
    area: str | None = None,
    ordering: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`result_rows` as a tidy dataset: each row with its ``run``, ``scenario`` and the
    status of the need and the supply it rests on (``need_status``, ``supply_status``);
    narrowed to a region's municipalities or to an area (its municipalities, or the area
    itself), ordered by ``ordering`` (a field, ``-`` in front for descending; missing values
    last). Four queries."""
    rows = result_rows(run=run, level=level, geography=geography, pillar=pillar)
    if region is not None:
        rows = [r for r in rows if r["region"] == region]
    if area is not None:
        rows = [r for r in rows if r["area"] == area]
    statuses = run_statuses(run_ids=[run.pk]).get(run.pk)
    for row in rows:
        row["run"] = run.pk
        row["scenario"] = run.scenario_id
        need, supply = (
            statuses.of(level=level, key=row["key"], geography=geography)
            if statuses
            else (None, None)
        )
        row["need_status"], row["supply_status"] = need, supply
    if ordering:
        field = ordering.removeprefix("-")
        present = [r for r in rows if r.get(field) is not None]
        missing = [r for r in rows if r.get(field) is None]
        present.sort(key=_sort_key(field), reverse=ordering.startswith("-"))
        rows = present + missing
    return rows


def shared_municipality_results(*, user: Any) -> QuerySet[MunicipalityResult]:
    """Every municipality result of the succeeded runs of the scenarios ``user`` may see,
    with its run's scenario and its municipality's name and region; by run, then
    kommunekode. One query per page."""
    return (
        MunicipalityResult.objects.filter(
            run__status=RunStatus.SUCCEEDED,
            run__scenario__in=visible_scenarios(user, Scenario.objects.values("pk")),
        )
        .select_related("run", "municipality")
        .only(
            *("id", "run__id", "run__scenario_id", "run__finished_at"),
            *("municipality__kommunekode", "municipality__name", "municipality__region_id"),
            *("municipality__population", *RESULT_SUMS, "load_before", "load_after"),
            "coverage_rank",
        )
        .order_by("run_id", "municipality_id")
    )


def with_statuses(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (a page of :func:`shared_municipality_results` read with ``.values()``, with
    ``run_id`` and ``municipality_id``) each with ``need_status`` and ``supply_status`` of
    its run's data; one query."""
    page = list(rows)
    statuses = run_statuses(run_ids={r["run_id"] for r in page})
    for r in page:
        found = statuses.get(r["run_id"])
        r["need_status"], r["supply_status"] = (
            found.of(level="municipality", key=str(r["municipality_id"]), geography="")
            if found
            else (None, None)
        )
    return page


POPULATION_SOURCE = "DST FOLK1AM (the population on the reference date)"


INPUT_TABLES = ("municipalities", "practices", "doctors", "geographies", "projection")


def run_input_rows(*, run: AllocationRun, table: str) -> list[dict[str, Any]] | None:
    """One table of the inputs ``run`` used, rebuilt from its snapshot (so their inputs hash
    is the run's), as tidy rows: ``municipalities`` (one row per municipality and input
    column, with its status, source and year where it is a demand indicator),
    ``practices`` (with their record source), ``doctors``, ``geographies`` (each
    municipality's area in each geography) or ``projection``. None for a run whose inputs
    were not kept. One query (two for the municipalities or practices of a run requested
    before statuses were kept)."""
    if table not in INPUT_TABLES:
        raise ValueError(f"unknown input table {table!r}")
    frames = RunInputs.objects.filter(run_id=run.pk).values_list("frames", flat=True).first()
    if frames is None:
        return None
    if table == "projection":
        # The population the run projected to, one row per municipality, year and age band.
        columns = frames.get("projection") or {}
        return [
            {"kommunekode": int(code), "year": int(year), "band": str(band), "value": float(value)}
            for code, year, band, value in zip(
                *[columns.get(c, []) for c in PROJECTION_COLUMNS], strict=True
            )
        ]
    inputs = inputs_from_frames(frames)
    if table == "doctors":
        return _records(inputs.doctors, DOCTOR_COLUMNS)
    if table == "geographies":
        return [
            {
                "geography": slug,
                "kommunekode": int(code),
                "area": str(area),
                "area_name": inputs.area_name(slug, str(area)),
            }
            for slug in sorted(inputs.geographies)
            for code, area in inputs.geographies[slug].items()
        ]
    statuses = frames.get("statuses") or input_statuses(inputs=inputs)
    if table == "practices":
        return [
            {**record, "source": source}
            for record, source in zip(
                _records(inputs.practices, PRACTICE_COLUMNS), statuses["practices"], strict=True
            )
        ]
    indicators: Mapping[str, Mapping[str, list[Any]]] = statuses["indicators"]
    munis = inputs.municipalities
    names = munis["name"].tolist()
    values = {column: munis[column].tolist() for column in MUNICIPALITY_COLUMNS}
    long_rows = []
    for n, code in enumerate(munis.index.tolist()):
        for column in MUNICIPALITY_COLUMNS:
            info = indicators.get(column)
            long_rows.append(
                {
                    "kommunekode": int(code),
                    "name": names[n],
                    "input": column,
                    "value": float(values[column][n]),
                    "year": info["year"][n] if info else None,
                    "status": info["status"][n] if info else str(DataStatus.SOURCED),
                    "source": info["source"][n] if info else POPULATION_SOURCE,
                    "imported": bool(info["imported"][n]) if info else False,
                }
            )
    return long_rows


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """``json_safe(frame.loc[:, columns].to_dict("records"))``, read a column at a time
    (Python scalars either way) rather than a dict at a time."""
    lists = [json_safe(frame[c].tolist()) for c in columns]
    return [dict(zip(columns, values, strict=True)) for values in zip(*lists, strict=True)]
