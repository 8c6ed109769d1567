"""The allocation engine: pure Python, numpy and pandas; no Django, no I/O, no clock."""

from .apportion import InfeasibleError, apportion, divisor, hamilton, order_items, top_n
from .inputs import EngineInputs
from .params import AllocationParams, ParamsError

__all__ = [
    "AllocationParams",
    "EngineInputs",
    "InfeasibleError",
    "ParamsError",
    "apportion",
    "divisor",
    "hamilton",
    "order_items",
    "top_n",
]
