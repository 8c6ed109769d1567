"""The key figures: national numbers are the engine's own sums, not added up again here."""

from __future__ import annotations

from reports.results import MuniResult
from reports.summaries import key_figures_of


def _row(code: int, today: float, at_horizon: float, total: int) -> MuniResult:
    return MuniResult(
        code=code,
        name=str(code),
        region=1081,
        population=1000,
        area="a",
        area_name="A",
        transition=0,
        coverage=total,
        accessibility=0,
        total=total,
        weighted_citizens=1000.0,
        supply_today=today,
        supply_at_horizon=at_horizon,
        load_before=None,
        load_after=None,
        coverage_rank=None,
    )


ROWS = [_row(1, 0.1, 0.2, 1), _row(2, 0.2, 0.1, 2)]  # 0.1 + 0.2 is 0.30000000000000004


def test_capacities_come_from_the_engines_metrics_and_totals() -> None:
    kpi = key_figures_of(
        metrics={"supply_today": 0.3, "supply_at_horizon": 0.3},
        totals={"total": 3, "transition": 0, "coverage": 3, "accessibility": 0},
        params={},
        rows=ROWS,
    )
    assert kpi.capacities_today == 0.3
    assert kpi.capacities_horizon == 3.3
    assert kpi.new_total == 3


def test_a_run_without_them_adds_up_its_rows() -> None:
    kpi = key_figures_of(metrics={}, totals={}, params={}, rows=ROWS)
    assert kpi.capacities_today == 0.1 + 0.2
    assert kpi.capacities_horizon == 0.2 + 0.1 + 3
    assert (kpi.new_total, kpi.coverage) == (3, 3)
