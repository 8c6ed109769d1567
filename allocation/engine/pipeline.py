"""The training pipeline against the gross need, year by year (docs/model.md#the-training-pipeline).

Each year the pipeline gives `training_pipeline[y]` new specialists who take up a capacity.
They replace the retiring capacities first (the replaced share of each year's retiring FTE,
`replacement_share`); what is left is the room for the 1,500. The gross need is the 1,500
plus every retiring capacity (all of them would have to be replaced to keep today's supply);
the shortfall is what the pipeline cannot give of it.

With `pipeline_binding` (the default) the phase-in never places more new capacities by a
year than the room so far: the cumulative new capacities are the lesser of the planned
cumulative `pipeline` and the room of that year and every later one (capacities placed stay
placed, so a later drop in room limits the earlier years too). Room a year leaves unused
carries over. If the room by the horizon is less than the total, the scenario is refused
with a message naming the parameters. Without binding, the plan is placed as it is and the
years where it overruns the room are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .apportion import FloatArray, IntArray
from .params import AllocationParams, ParamsError


@dataclass(frozen=True)
class PipelinePlan:
    years: tuple[int, ...]
    planned: IntArray  # (Y,) new capacities the scenario plans per year (`pipeline`)
    new: IntArray  # (Y,) new capacities placed per year, after the constraint
    training: IntArray  # (Y,) new specialists who take up a capacity
    retiring: FloatArray  # (Y,) retiring FTE
    replaced: FloatArray  # (Y,) the replaced part of it
    room: FloatArray  # (Y,) cumulative room for new capacities (whole capacities)
    binding: bool

    @property
    def gross_need(self) -> FloatArray:
        """(Y,) the year's planned new capacities plus its retiring capacities."""
        return self.planned + self.retiring

    @property
    def shortfall(self) -> FloatArray:
        return np.maximum(0.0, self.gross_need - self.training)

    @property
    def overrun_years(self) -> list[int]:
        """Years whose cumulative new capacities exceed the cumulative room."""
        over = np.cumsum(self.new) > self.room + 1e-9
        return [y for y, o in zip(self.years, over, strict=True) if o]

    @property
    def limited_years(self) -> list[int]:
        """Years in which the pipeline held the cumulative plan back."""
        short = np.cumsum(self.new) < np.cumsum(self.planned)
        return [y for y, s in zip(self.years, short, strict=True) if s]

    def metrics(self) -> dict[str, Any]:
        gross = float(self.planned.sum() + self.retiring.sum())
        pipeline_total = int(self.training.sum())
        return {
            "retiring": float(self.retiring.sum()),
            "replaced": float(self.replaced.sum()),
            "gross_need": gross,
            "pipeline_total": pipeline_total,
            "shortfall": max(0.0, gross - pipeline_total),
            "pipeline_binding": self.binding,
            "pipeline_limited_years": self.limited_years,
            "pipeline_overrun_years": self.overrun_years,
            "years": [
                {
                    "year": int(y),
                    "planned": int(self.planned[i]),
                    "new": int(self.new[i]),
                    "pipeline": int(self.training[i]),
                    "retiring": float(self.retiring[i]),
                    "replaced": float(self.replaced[i]),
                    "gross_need": float(self.gross_need[i]),
                    "shortfall": float(self.shortfall[i]),
                    "room_cumulative": float(self.room[i]),
                    "new_cumulative": int(np.cumsum(self.new)[i]),
                }
                for i, y in enumerate(self.years)
            ],
        }


def plan(params: AllocationParams, retiring_by_year: FloatArray) -> PipelinePlan:
    planned = np.asarray(params.pipeline, dtype=np.int64)
    training = np.asarray(params.training_pipeline, dtype=np.int64)
    retiring = np.asarray(retiring_by_year, dtype=np.float64)
    replaced = params.replacement_share * retiring
    # Whole capacities: a fraction of a specialist places nothing (the epsilon absorbs
    # floating-point sums that should be whole).
    room = np.floor(np.cumsum(training - replaced) + 1e-9)
    if params.pipeline_binding:
        ceiling = np.maximum(np.minimum.accumulate(room[::-1])[::-1], 0.0)
        cumulative = np.minimum(np.cumsum(planned), ceiling).astype(np.int64)
        if cumulative[-1] < params.total:
            raise ParamsError(
                "training_pipeline",
                f"after replacing {replaced.sum():,.0f} of the {retiring.sum():,.0f} retiring "
                f"capacities, the pipeline of {training.sum():,} leaves room for "
                f"{int(max(ceiling[-1], 0)):,} of the {params.total:,} new capacities by "
                f"{params.horizon}; lower replacement_share, raise training_pipeline, or set "
                "pipeline_binding to false",
            )
        new = np.diff(cumulative, prepend=0)
    else:
        new = planned.copy()
    return PipelinePlan(
        years=params.years,
        planned=planned,
        new=new,
        training=training,
        retiring=retiring,
        replaced=replaced,
        room=room,
        binding=params.pipeline_binding,
    )
