"""Run the allocation engine on the loaded data and print the result; writes nothing.

python manage.py allocate --scenario default --json
python manage.py allocate --scenario "My scenario" --geography regioner
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.engine import (
    PILLARS,
    AllocationParams,
    EngineInputs,
    Outcome,
    ParamsError,
    aggregate,
    allocate,
    run_sensitivity,
    with_open_share_range,
)
from allocation.engine.frames import json_safe, records
from allocation.models import Scenario
from allocation.selectors import build_engine_inputs

MUNICIPALITY_FIELDS = (
    "kommunekode",
    "name",
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "weighted_citizens_base",
    "weighted_citizens_horizon",
    "population_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "supply_today",
    "retiring",
    "replaced",
    "supply_at_horizon",
    "coverage_cap",
    "load_before",
    "load_after",
)
AREA_FIELDS = (
    "area",
    "name",
    "municipalities",
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "weighted_citizens_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "capacities_today",
    "retiring",
    "replaced",
    "supply_at_horizon",
    "effective_supply_after",
    "load_before",
    "load_after",
    "statutory",
    "deviation",
    "statutory_load",
    "statutory_load_gap",
)


class Command(BaseCommand):
    help = (
        "Allocate the extra GP capacities with a scenario's parameters on the loaded data and "
        "print totals, municipalities, areas and metrics. Nothing is written to the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scenario",
            default="default",
            help="'default' (the default scenario, or the engine's defaults if there is "
            "none), a scenario id, or a scenario name",
        )
        parser.add_argument(
            "--geography", default=None, help="areas to aggregate to (default: the scenario's)"
        )
        parser.add_argument(
            "--year", type=int, default=None, help="latest demand-indicator year to use"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--draws",
            type=int,
            default=None,
            help="sensitivity draws for the open share's P5-P95 (default: the scenario's; "
            "0 skips them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        label, params = _scenario_params(options["scenario"])
        geography = options["geography"] or params.geography
        try:
            inputs = build_engine_inputs(year=options["year"])
        except ValueError as exc:
            raise CommandError(f"the loaded data cannot be used: {exc}") from exc
        if geography not in inputs.geographies:
            known = ", ".join(sorted(inputs.geographies)) or "none (run load_denmark)"
            raise CommandError(f"unknown geography {geography!r}; known: {known}")
        try:
            outcome = allocate(inputs, params)
        except ParamsError as exc:
            raise CommandError(f"scenario {label}: {exc}") from exc
        draws = params.sensitivity_draws if options["draws"] is None else options["draws"]
        sensitivity = run_sensitivity(inputs, params, outcome, draws) if draws > 0 else None
        result = _result(label, outcome, inputs, geography)
        result["metrics"] = json_safe(with_open_share_range(outcome.metrics, sensitivity))
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, allow_nan=False))
        else:
            self.stdout.write(_table(result))


def _scenario_params(wanted: str) -> tuple[str, AllocationParams]:
    """Read-only lookup: the command never creates a scenario."""
    if wanted == "default":
        scenario = Scenario.objects.filter(is_default=True).first()
        if scenario is None:
            return "engine defaults", AllocationParams()
    else:
        found = Scenario.objects.filter(pk=int(wanted)) if wanted.isdigit() else None
        scenario = (found.first() if found is not None else None) or (
            Scenario.objects.filter(name=wanted).order_by("pk").first()
        )
        if scenario is None:
            raise CommandError(f"no scenario {wanted!r}")
    try:
        return scenario.name, AllocationParams.from_dict(scenario.params)
    except ParamsError as exc:
        raise CommandError(f"scenario {scenario.name}: {exc}") from exc


def _result(label: str, outcome: Outcome, inputs: EngineInputs, geography: str) -> dict[str, Any]:
    frame = outcome.municipalities.reset_index()
    areas = aggregate(outcome, inputs, geography).reset_index()
    return {
        "scenario": label,
        "geography": geography,
        "params": outcome.params.to_dict(),
        "totals": outcome.totals,
        "municipalities": records(frame.loc[:, list(MUNICIPALITY_FIELDS)]),
        "areas": records(areas.loc[:, list(AREA_FIELDS)]),
        "metrics": json_safe(outcome.metrics),
        # The one-sentence explanation of every municipality (the full one is in the API).
        "explanations": [
            {"kommunekode": int(k), "sentence": outcome.explain(int(k))["sentence"]}
            for k in outcome.municipalities.index
        ],
    }


def _load(value: float | None) -> str:
    return "no supply" if value is None else f"{value:,.0f}"


def _table(result: dict[str, Any]) -> str:
    totals = result["totals"]
    lines = [
        f"Scenario: {result['scenario']}",
        "Totals: "
        + ", ".join(f"{p} {totals[p]:,}" for p in PILLARS)
        + f"; total {totals['total']:,}",
        "",
        f"{'kode':>4}  {'municipality':<22}{'transition':>11}{'coverage':>9}"
        f"{'access.':>8}{'total':>7}{'weighted':>11}{'supply':>8}{'load before':>13}"
        f"{'load after':>12}",
    ]
    for m in result["municipalities"]:
        lines.append(
            f"{m['kommunekode']:>4}  {m['name'][:21]:<22}{m['transition']:>11}"
            f"{m['coverage']:>9}{m['accessibility']:>8}{m['total']:>7}"
            f"{m['weighted_citizens']:>11,.0f}{m['supply_at_horizon']:>8,.1f}"
            f"{_load(m['load_before']):>13}{_load(m['load_after']):>12}"
        )
    lines += [
        "",
        f"Areas ({result['geography']}):",
        f"  {'area':<40}{'transition':>11}{'coverage':>9}{'access.':>8}{'total':>7}"
        f"{'load before':>13}{'load after':>12}",
    ]
    for a in result["areas"]:
        lines.append(
            f"  {a['name'][:39]:<40}{a['transition']:>11}{a['coverage']:>9}"
            f"{a['accessibility']:>8}{a['total']:>7}{_load(a['load_before']):>13}"
            f"{_load(a['load_after']):>12}"
        )
    m = result["metrics"]
    before, after = m["before"], m["after"]
    lines += [
        "",
        f"Need {m['base_year']} → {m['horizon']}: {m['weighted_citizens_base']:,.0f} → "
        f"{m['weighted_citizens_horizon']:,.0f} disease-weighted citizens (x "
        f"{m['need_growth']:.3f}); citizens 80+ {m['pop_80_plus_base']:,.0f} → "
        f"{m['pop_80_plus_horizon']:,.0f}",
        f"Supply {m['base_year']} → {m['horizon']}: {m['supply_today']:,.0f} today, "
        f"{m['retiring']:,.0f} retiring, {m['replaced']:,.0f} replaced, "
        f"{m['supply_at_horizon']:,.0f} at the horizon before the new capacities",
        f"Training pipeline: gross need {m['gross_need']:,.0f}, pipeline {m['pipeline_total']:,}, "
        f"shortfall {m['shortfall']:,.0f}",
        "",
        f"Metrics in {m['horizon']} (before → after):",
        f"  largest load         {_load(before['max_load'])} → {_load(after['max_load'])}",
        f"  90th percentile load {_load(before['p90_load'])} → {_load(after['p90_load'])}",
        f"  municipalities above the norm {before['municipalities_above_norm']} → "
        f"{after['municipalities_above_norm']}",
        f"  open practices (projected, {m['open_threshold']} threshold) "
        f"{_share(before['open_share'])} → {_share(after['open_share'])} "
        f"(P5-P95 {_share(after.get('open_share_p5'))}-{_share(after.get('open_share_p95'))}); "
        f"{m['open_share_target_year']}: {_share(m.get('open_share_2030'))} "
        f"(target {_share(m['open_share_target'])})",
        f"  placements: {m['practices_expanded']:,} practices expanded, "
        f"{m['new_ydernumre']:,} new ydernumre; solo practices {m['solo_practices_before']:,} → "
        f"{m['solo_practices_after']:,}",
    ]
    if before["without_supply"]:
        lines.append(
            "  without any practice today: " + ", ".join(str(c) for c in before["without_supply"])
        )
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
