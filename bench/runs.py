"""What a run costs beyond the engine: request → results readable, and the store step alone.

Run: .venv/bin/python bench/runs.py   (builds a throwaway SQLite test database, loads
Denmark, then measures in-process with Celery eager, as the embedded default runs).

- e2e: `request_run` of a scenario on the current data until the run has succeeded and its
  area results are read back through the API's selector; at 1, 1,000 and 10,000
  sensitivity draws. Each repetition changes the sensitivity seed, so every request is a
  new run (an identical one would be returned at once). On unchanged data the request uses
  the inputs the process keeps per data revision; the row marked * is the first request
  after a data change, which reads and hashes the data again (printed as
  e2e_minus_engine_after_change_ms).
- engine: the reference, the engine's own compute for the same parameters in the same
  process (`allocate`, the sensitivity draws in the same chunks, their summary), on inputs
  already in memory.
- store: `store_results` alone, for an outcome and sensitivity computed beforehand, on a
  fresh running run each time.

Medians over the repetitions, in CPU time of this process (the machine is shared: wall-clock
time also counts the other processes' turns; it is printed beside). Ends with
`BENCH store_ms=... e2e_minus_engine_ms=... draws=1000 engine_ms=...` (store and e2e minus
engine at 1,000 draws, CPU), then the wall-clock figures. Floors: store_ms <= 30,
e2e_minus_engine_ms <= 60.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.pop("DATABASE_URL", None)  # SQLite, the embedded default
os.environ.pop("REDIS_URL", None)

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("celery").setLevel(logging.WARNING)  # no line per eager task

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

STORE_FLOOR_MS = 30.0
E2E_FLOOR_MS = 60.0
REPEATS = {1: 7, 1000: 7, 10_000: 3}
STORE_REPEATS = 15
Clock = tuple[float, float]


def start() -> Clock:
    return time.process_time(), time.perf_counter()


def since(t: Clock) -> Clock:
    """(CPU ms, wall-clock ms) since ``t``. The BENCH figures are the process's CPU time:
    the machine is shared, and wall-clock time here also measures the other processes
    (everything of an eager run happens in this process, SQLite is in memory)."""
    return (time.process_time() - t[0]) * 1000, (time.perf_counter() - t[1]) * 1000


def engine_ms(inputs: object, params: object) -> Clock:
    """The engine's own compute for a run with ``params``, as the eager task does it."""
    from allocation import services
    from allocation.engine import allocate, perturbed_totals, summarise_sensitivity

    t = start()
    outcome = allocate(inputs, params)  # type: ignore[arg-type]
    chunks = services.sensitivity_chunks(
        draws=params.sensitivity_draws,  # type: ignore[attr-defined]
        chunk=settings.SENSITIVITY_CHUNK,
    )
    parts = [
        perturbed_totals(inputs, services._chunk_params(params, i), n)  # type: ignore[arg-type]
        for i, n in chunks
    ]
    summarise_sensitivity(inputs, params, outcome, np.vstack(parts))  # type: ignore[arg-type]
    return since(t)


def e2e_ms(scenario: object, seed: int, draws: int) -> Clock:
    """request_run → the run succeeded and its area results were read."""
    from allocation import services
    from allocation.models import AllocationRun, RunStatus
    from allocation.selectors import result_rows

    services.update_scenario(
        scenario=scenario,  # type: ignore[arg-type]
        params={
            **scenario.params,  # type: ignore[attr-defined]
            "sensitivity_draws": draws,
            "sensitivity_seed": seed,
        },
    )
    t = start()
    run = services.request_run(scenario=scenario)  # type: ignore[arg-type]
    run = AllocationRun.objects.get(pk=run.pk)
    rows = result_rows(run=run, level="area", geography=run.params["geography"])
    elapsed = since(t)
    assert run.status == RunStatus.SUCCEEDED, (run.status, run.error)
    assert rows and sum(r["total"] for r in rows) == run.params["total"]
    return elapsed


def store_ms(outcome: object, sensitivity: object, scenario: object, inputs: object) -> Clock:
    from allocation import services
    from allocation.models import AllocationRun, RunStatus, Trigger

    run = AllocationRun.objects.create(
        scenario=scenario,  # type: ignore[misc]
        params=scenario.params,  # type: ignore[attr-defined]
        inputs_hash="bench",
        status=RunStatus.RUNNING,
        triggered_by=Trigger.USER,
    )
    t = start()
    assert services.store_results(
        run_id=run.pk,
        outcome=outcome,  # type: ignore[arg-type]
        sensitivity=sensitivity,  # type: ignore[arg-type]
        timings={},
        inputs=inputs,  # type: ignore[arg-type]
    )
    return since(t)


def main() -> int:
    from django.core.management import call_command
    from django.db.models import F

    from allocation import services
    from allocation.engine import AllocationParams, allocate, perturbed_totals
    from allocation.engine import summarise_sensitivity as summarise
    from allocation.selectors import build_engine_inputs
    from config.celery import app
    from practices.models import Practice

    app.conf.task_always_eager = True
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        t0 = time.perf_counter()
        call_command("load_denmark", verbosity=0, stdout=io.StringIO())
        default = services.ensure_default_scenario()
        scenario = services.clone_scenario(scenario=default, owner=None, name="bench")
        print(f"setup: Denmark in {time.perf_counter() - t0:.1f} s")
        inputs = build_engine_inputs()
        e2e_ms(scenario, 1, 1)  # warm up: imports, query compilation, first writes

        rows: dict[int, tuple[Clock, Clock]] = {}
        seed = 100
        for draws, repeats in REPEATS.items():
            ends, engines = [], []
            for _ in range(repeats):
                seed += 1
                params = AllocationParams.from_dict(
                    {**scenario.params, "sensitivity_draws": draws, "sensitivity_seed": seed}
                )
                engines.append(engine_ms(inputs, params))
                ends.append(e2e_ms(scenario, seed, draws))
            rows[draws] = (median(ends), median(engines))

        # The first request after a data change reads and hashes Denmark again (the kept
        # inputs are per data revision): a write that changes no value gives a new revision.
        changed_ends, changed_engines = [], []
        touched = Practice.objects.order_by("pk").values_list("pk", flat=True)[0]
        for _ in range(REPEATS[1000]):
            seed += 1
            params = AllocationParams.from_dict(
                {**scenario.params, "sensitivity_draws": 1000, "sensitivity_seed": seed}
            )
            changed_engines.append(engine_ms(inputs, params))
            Practice.objects.filter(pk=touched).update(capacities=F("capacities"))
            changed_ends.append(e2e_ms(scenario, seed, 1000))
        changed = (median(changed_ends), median(changed_engines))

        params = AllocationParams.from_dict({**scenario.params, "sensitivity_draws": 1000})
        outcome = allocate(inputs, params)
        chunks = services.sensitivity_chunks(draws=1000, chunk=settings.SENSITIVITY_CHUNK)
        totals = np.vstack(
            [perturbed_totals(inputs, services._chunk_params(params, i), n) for i, n in chunks]
        )
        sensitivity = summarise(inputs, params, outcome, totals)
        store_ms(outcome, sensitivity, scenario, inputs)  # warm up
        stores = [store_ms(outcome, sensitivity, scenario, inputs) for _ in range(STORE_REPEATS)]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    print("CPU ms of this process (wall-clock ms in brackets), median:")
    print(f"{'draws':>7}{'e2e':>20}{'engine':>20}{'e2e - engine':>20}")
    for draws, (end, eng) in rows.items():
        print(
            f"{draws:>7}{end[0]:>10.1f} ({end[1]:>6.1f}){eng[0]:>10.1f} ({eng[1]:>6.1f})"
            f"{end[0] - eng[0]:>10.1f} ({end[1] - eng[1]:>6.1f})"
        )
    end, eng = changed
    print(
        f"{'1000*':>7}{end[0]:>10.1f} ({end[1]:>6.1f}){eng[0]:>10.1f} ({eng[1]:>6.1f})"
        f"{end[0] - eng[0]:>10.1f} ({end[1] - eng[1]:>6.1f})"
        "   * the first request after a data change"
    )
    after_change = end[0] - eng[0]
    store = median(stores)
    end, eng = rows[1000]
    print(
        f"store_results alone at 1,000 draws: {store[0]:.1f} ms CPU ({store[1]:.1f} ms wall), "
        f"median of {STORE_REPEATS} (CPU min {min(v[0] for v in stores):.1f}, "
        f"max {max(v[0] for v in stores):.1f}: the same work, so the spread is this machine's "
        "noise). engine = allocate + sensitivity draws + summary on inputs in memory, the same "
        "parameters, this process."
    )
    print(
        f"BENCH store_ms={store[0]:.1f} e2e_minus_engine_ms={end[0] - eng[0]:.1f} draws=1000 "
        f"engine_ms={eng[0]:.1f} e2e_ms={end[0]:.1f} store_wall_ms={store[1]:.1f} "
        f"e2e_minus_engine_wall_ms={end[1] - eng[1]:.1f} "
        f"e2e_minus_engine_after_change_ms={after_change:.1f}"
    )
    ok = store[0] <= STORE_FLOOR_MS and end[0] - eng[0] <= E2E_FLOOR_MS
    if not ok:
        print(
            f"FLOOR MISSED: store_ms must be <= {STORE_FLOOR_MS:g}, "
            f"e2e_minus_engine_ms <= {E2E_FLOOR_MS:g}"
        )
    return 0 if ok else 1


def median(values: list[Clock]) -> Clock:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


if __name__ == "__main__":
    sys.exit(main())
