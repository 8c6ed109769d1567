"""Benchmark of the allocation engine. A script, not a test:

    .venv/bin/python bench/engine.py [--quick]

Measures, by medians, on a synthetic Denmark built here (seeded):

- coverage_vs_highs: HiGHS (scipy.optimize.milp) time / the engine's coverage step time on
  the same min-max problem (98 municipalities, 600 capacities); same_optimum: whether both
  reach the same largest load.
- engine_vs_coverage: allocate() (all steps but sensitivity) / the coverage step.
- sensitivity_vs_loop: 10,000 separate allocate() calls / 10,000 vectorised draws. The loop
  runs on a subset of the same draws and is scaled up; the per-draw inputs are built
  outside the timed region, which favours the loop. This compares the vectorised pillar
  arithmetic with the whole engine (phase-in, placement, metrics and explanations too).
- sensitivity_vs_draw_loop: the same arithmetic as the vectorised sensitivity
  (`perturbed_totals`: draw, then evaluate) run one draw at a time / all at once, both over
  the default 1,000 draws; same_totals: whether both give the same totals. This ratio
  measures the vectorisation alone.
- scale_100x_vs_10x: allocate() on Denmark x100 (9,800 municipalities, ~170,000 practices,
  150,000 capacities) / on Denmark x10; growth_exponent: the slope b of the least-squares
  line log(time) = a + b log(size) over Denmark x1, x3, x10, x30 and x100 (b = 1 is linear
  growth).

Both sides of every ratio are measured the same way: the same warm-up call, the same number
of timed samples, taken in turns (the order rotating each round) so that background load
weighs on both alike, and a garbage collection before every sample of either side.

Clocks: coverage_vs_highs uses wall-clock time (HiGHS may use more than one thread);
the other ratios use CPU time of this process (time.process_time), because the machine is
often shared; wall-clock figures are printed beside them. The last line is
`BENCH key=value ...`.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# One BLAS thread, as the app's processes run it (config/__init__.py), for the engine and
# its references alike.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocation.engine import AllocationParams, EngineInputs, allocate
from allocation.engine.coverage import minmax
from allocation.engine.frames import check_against_inputs
from allocation.engine.params import DEFAULT_TRAINING_PER_YEAR
from allocation.engine.sensitivity import (
    Streams,
    draw,
    draw_as_engine_call,
    evaluate,
    perturbed_totals,
)

SEED = 20260101
DANISH_POPULATION = 5_990_000
CAPACITIES_PER_CITIZEN = 3500 / DANISH_POPULATION
PRACTICE_SIZES = np.arange(1, 7)
PRACTICE_SIZE_P = np.array([0.49, 0.25, 0.13, 0.07, 0.04, 0.02])


def synthetic_denmark(scale: int, seed: int = SEED) -> EngineInputs:
    """Denmark x `scale`: 98 x scale municipalities, about 1,850 x scale practices."""
    rng = np.random.default_rng(seed + scale)
    m = 98 * scale
    codes = np.arange(1, m + 1)
    pop = rng.lognormal(10.3, 0.8, size=m)
    pop = np.round(pop / pop.sum() * DANISH_POPULATION * scale)
    old = rng.uniform(0.14, 0.30, size=m)
    very_old = old * rng.uniform(0.22, 0.34, size=m)
    young = rng.uniform(0.17, 0.23, size=m)
    frac = {
        "pop_0_17": young,
        "pop_18_64": 1 - young - old,
        "pop_65_79": old - very_old,
        "pop_80_plus": very_old,
        "chronic": 0.2 + 0.4 * old,
        "multimorbid": 0.12 + 0.3 * old,
        "vulnerable": rng.uniform(0.02, 0.08, size=m),
        "nursing_home_places": 0.1 * very_old,
        "residential_residents": np.full(m, 0.0045),
        "psychiatric": np.full(m, 0.025),
        "far_from_practice": rng.uniform(0.0, 0.1, size=m),
    }
    muni = pd.DataFrame(
        {k: pop * v * rng.lognormal(0, 0.05, size=m) for k, v in frac.items()}, index=codes
    )
    muni.insert(0, "population", pop)
    muni.insert(0, "name", [f"Kommune {c}" for c in codes])

    # Practices: capacities follow the population (a little short in one municipality in
    # five); one municipality in 98 has no practice at all, like Læsø.
    wanted = pop * CAPACITIES_PER_CITIZEN * rng.uniform(0.8, 1.1, size=m)
    wanted[rng.random(m) < 1 / 98] = 0
    n_practices = np.where(wanted > 0, np.maximum(1, np.round(wanted / 1.95)), 0).astype(int)
    owner = np.repeat(np.arange(m), n_practices)
    sizes = rng.choice(PRACTICE_SIZES, size=len(owner), p=PRACTICE_SIZE_P).astype(float)
    listed = np.round(sizes / CAPACITIES_PER_CITIZEN * rng.lognormal(0, 0.12, size=len(owner)))
    yder = np.array([f"{700000 + i}" for i in range(len(owner))], dtype=object)
    practices = pd.DataFrame(
        {
            "ydernummer": yder,
            "kommunekode": codes[owner],
            "capacities": sizes,
            "listed_patients": listed.astype(np.int64),
            "open": listed < 1600 * sizes,
        }
    )
    doctor_of = np.repeat(np.arange(len(owner)), sizes.astype(int))
    doctors = pd.DataFrame(
        {
            "ydernummer": yder[doctor_of],
            "kommunekode": codes[owner[doctor_of]],
            "birth_year": rng.integers(1956, 1995, size=len(doctor_of)),
            "fte": np.ones(len(doctor_of)),
        }
    )
    clusters = pd.Series([f"klynge-{i * 21 // m + 1}" for i in range(m)], index=codes, dtype=object)
    # The statutory reference's default geography (17 health councils) must exist too.
    councils = pd.Series([f"raad-{i * 17 // m + 1}" for i in range(m)], index=codes, dtype=object)
    return EngineInputs(
        municipalities=muni,
        practices=practices,
        doctors=doctors,
        geographies={"sundhedsklynger-21": clusters, "sundhedsraad-2027": councils},
    )


def scaled_params(scale: int) -> AllocationParams:
    return AllocationParams(
        total=1500 * scale,
        transition=700 * scale,
        coverage=600 * scale,
        accessibility=200 * scale,
        # The training pipeline grows with the country, or it could not give the new ones.
        training_pipeline=(DEFAULT_TRAINING_PER_YEAR * scale,) * 10,
    )


Sample = tuple[float, float]  # (wall-clock, CPU) seconds


def timed(fn: Callable[[], object]) -> Sample:
    """(wall-clock, CPU) seconds of one call, after a garbage collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def alternate(fns: dict[str, Callable[[], object]], samples: int) -> dict[str, list[Sample]]:
    """Every function once untimed (warm-up), then `samples` timed rounds in which each
    takes its turn; the order rotates from round to round."""
    for fn in fns.values():
        fn()
    names = list(fns)
    out: dict[str, list[Sample]] = {name: [] for name in names}
    for i in range(samples):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            out[name].append(timed(fns[name]))
    return out


def median(samples: list[Sample], *, cpu: bool) -> float:
    return statistics.median(s[1 if cpu else 0] for s in samples)


def draw_by_draw(inputs: EngineInputs, params: AllocationParams, draws: int) -> np.ndarray:
    """`perturbed_totals` one draw at a time: the same streams, draws and arithmetic."""
    check_against_inputs(inputs, params)
    streams = Streams(params.sensitivity_seed)
    out = np.empty((draws, len(inputs.municipalities)), dtype=np.int64)
    for r in range(draws):
        out[r] = evaluate(inputs, params, draw(inputs, params, streams, 1))[0]
    return out


def growth_exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(size)."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def highs_minmax(weighted: np.ndarray, supply: np.ndarray, n: int) -> tuple[float, np.ndarray]:
    """The same min-max problem as a MILP: maximise y = 1/load, W_m y - c_m <= S_m,
    sum c = n, c whole. y is scaled by a lower bound on the optimal load so that HiGHS's
    absolute tolerances are small against it."""
    m = len(weighted)
    scale = weighted.sum() / (supply.sum() + n)
    objective = np.zeros(m + 1)
    objective[0] = -1.0
    rows = sp.hstack([sp.csr_matrix((weighted / scale)[:, None]), -sp.identity(m)]).tocsr()
    total = sp.csr_matrix(np.r_[0.0, np.ones(m)][None, :])
    result = milp(
        objective,
        constraints=[LinearConstraint(rows, -np.inf, supply), LinearConstraint(total, n, n)],
        integrality=np.r_[0, np.ones(m)],
        bounds=Bounds(np.zeros(m + 1), np.r_[np.inf, np.full(m, n)]),
        options={"mip_rel_gap": 0.0},
    )
    if result.status != 0:
        raise RuntimeError(f"HiGHS: {result.message}")
    return scale / -result.fun, np.round(result.x[1:]).astype(np.int64)


def largest_load(weighted: np.ndarray, supply: np.ndarray, counts: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(np.max(np.where(weighted > 0, weighted / (supply + counts), 0.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 1 if args.quick else 3

    base = synthetic_denmark(1)
    params = AllocationParams()
    outcome = allocate(base, params)
    weighted = outcome.municipalities["weighted_citizens"].to_numpy()
    supply = outcome.municipalities["supply_at_horizon"].to_numpy()
    print(
        f"Denmark x1: {len(base.municipalities)} municipalities, "
        f"{len(base.practices)} practices, {base.practices['capacities'].sum():.0f} capacities"
    )

    # 1. Coverage step vs HiGHS on the same problem.
    got = alternate(
        {
            "coverage": lambda: minmax(weighted, supply, 600),
            "highs": lambda: highs_minmax(weighted, supply, 600),
        },
        4 * reps - 1,
    )
    t_cov, t_highs = median(got["coverage"], cpu=False), median(got["highs"], cpu=False)
    ours = minmax(weighted, supply, 600)[0]
    optimum, highs_counts = highs_minmax(weighted, supply, 600)
    our_load = largest_load(weighted, supply, ours)
    same = (
        abs(our_load - optimum) <= 1e-9 * optimum
        and abs(largest_load(weighted, supply, highs_counts) - our_load) <= 1e-12 * our_load
    )
    print(
        f"coverage step {t_cov * 1e3:.3f} ms, HiGHS {t_highs * 1e3:.1f} ms (wall); largest "
        f"load {our_load:.4f} (engine) vs {optimum:.4f} (HiGHS)"
    )

    # 2. Whole engine vs the coverage step.
    got = alternate(
        {
            "engine": lambda: allocate(base, params),
            "coverage": lambda: minmax(weighted, supply, 600),
        },
        20 * reps + 1,
    )
    t_engine, t_cov_cpu = median(got["engine"], cpu=True), median(got["coverage"], cpu=True)
    print(f"allocate() {t_engine * 1e3:.1f} ms CPU; coverage step {t_cov_cpu * 1e3:.3f} ms CPU")

    # 3a. Sensitivity: 10,000 vectorised draws vs separate whole-engine calls.
    draws = 10_000
    subset = 40 if args.quick else 100
    batch = draw(base, params, Streams(params.sensitivity_seed), subset)
    calls = [draw_as_engine_call(base, params, batch, r) for r in range(subset)]

    def run_calls() -> None:
        for one_inputs, one_params in calls:
            allocate(one_inputs, one_params)

    got = alternate(
        {"vectorised": lambda: perturbed_totals(base, params, draws), "loop": run_calls}, reps
    )
    t_vec = median(got["vectorised"], cpu=True)
    t_loop = median(got["loop"], cpu=True) * draws / subset
    print(
        f"sensitivity: {draws} vectorised draws {t_vec:.2f} s CPU "
        f"({median(got['vectorised'], cpu=False):.2f} s wall); {subset} separate allocate() "
        f"calls scaled to {draws}: {t_loop:.1f} s CPU "
        f"({median(got['loop'], cpu=False) * draws / subset:.1f} s wall)"
    )

    # 3b. The same arithmetic one draw at a time, over the same default number of draws.
    n_draws = params.sensitivity_draws
    same_totals = np.array_equal(
        draw_by_draw(base, params, n_draws), perturbed_totals(base, params, n_draws)
    )
    got = alternate(
        {
            "vectorised": lambda: perturbed_totals(base, params, n_draws),
            "draw_loop": lambda: draw_by_draw(base, params, n_draws),
        },
        reps,
    )
    t_vec_d, t_draw_loop = median(got["vectorised"], cpu=True), median(got["draw_loop"], cpu=True)
    print(
        f"sensitivity arithmetic, {n_draws} draws: all at once {t_vec_d * 1e3:.0f} ms CPU "
        f"({median(got['vectorised'], cpu=False) * 1e3:.0f} ms wall); one draw at a time "
        f"{t_draw_loop:.2f} s CPU ({median(got['draw_loop'], cpu=False):.2f} s wall); "
        f"same totals: {'yes' if same_totals else 'NO'}"
    )

    # 4. Growth: Denmark x1 to x100, every size in each round.
    scales = [1, 3, 10, 30, 100]
    sizes = {scale: (synthetic_denmark(scale), scaled_params(scale)) for scale in scales}
    got = alternate(
        {str(scale): functools.partial(allocate, *pair) for scale, pair in sizes.items()},
        2 * reps + 1,
    )
    times = {scale: median(got[str(scale)], cpu=True) for scale in scales}
    for scale, (inputs, p) in sizes.items():
        print(
            f"Denmark x{scale}: {len(inputs.municipalities)} municipalities, "
            f"{len(inputs.practices)} practices, {p.total} capacities: "
            f"allocate() {times[scale]:.3f} s CPU ({median(got[str(scale)], cpu=False):.3f} s wall)"
        )
    exponent = growth_exponent(scales, [times[s] for s in scales])
    print(f"growth exponent over x1-x100 (log-log least squares): {exponent:.2f}")

    print(
        "BENCH "
        f"coverage_vs_highs={t_highs / t_cov:.0f} "
        f"same_optimum={'yes' if same else 'no'} "
        f"engine_vs_coverage={t_engine / t_cov_cpu:.1f} "
        f"sensitivity_vs_loop={t_loop / t_vec:.0f} "
        f"sensitivity_vs_draw_loop={t_draw_loop / t_vec_d:.0f} "
        f"same_totals={'yes' if same_totals else 'no'} "
        f"scale_100x_vs_10x={times[100] / times[10]:.1f} "
        f"growth_exponent={exponent:.2f}"
    )


if __name__ == "__main__":
    main()
