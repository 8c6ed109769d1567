"""The allocation engine: pure Python, numpy and pandas; no Django, no I/O, no clock.

outcome = allocate(inputs, params)        # the whole model but the sensitivity analysis
areas = aggregate(outcome, inputs, "regioner")
bands = run_sensitivity(inputs, params)   # the sensitivity analysis

The model is described in docs/model.md.
"""

from .apportion import InfeasibleError, divisor, hamilton, order_items, top_n
from .coverage import minmax
from .inputs import EngineInputs
from .params import (
    ACCESSIBILITY_DRIVERS,
    AGE_BANDS,
    COVERAGE_METHODS,
    OPEN_THRESHOLDS,
    PILLARS,
    PROPORTIONAL_METHODS,
    TRANSITION_DRIVERS,
    AllocationParams,
    ParamsError,
)
from .run import NATION, Outcome, aggregate, aggregate_many, allocate, area_columns_many
from .sensitivity import (
    DrawResults,
    Sensitivity,
    perturbed,
    perturbed_totals,
    run_sensitivity,
    summarise_sensitivity,
    with_open_share_range,
)

__all__ = [
    "ACCESSIBILITY_DRIVERS",
    "AGE_BANDS",
    "COVERAGE_METHODS",
    "NATION",
    "OPEN_THRESHOLDS",
    "PILLARS",
    "PROPORTIONAL_METHODS",
    "TRANSITION_DRIVERS",
    "AllocationParams",
    "DrawResults",
    "EngineInputs",
    "InfeasibleError",
    "Outcome",
    "ParamsError",
    "Sensitivity",
    "aggregate",
    "aggregate_many",
    "allocate",
    "area_columns_many",
    "divisor",
    "hamilton",
    "minmax",
    "order_items",
    "perturbed",
    "perturbed_totals",
    "run_sensitivity",
    "summarise_sensitivity",
    "top_n",
    "with_open_share_range",
]
