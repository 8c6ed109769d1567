"""The printable scenario report and the XLSX workbook of a run."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.policies import can_view_scenario
from allocation.engine import AllocationParams
from allocation.models import RunStatus, Scenario
from reports import charts, selectors
from reports.access import reader_required
from reports.forms import GROUPS, LABELS, MAPPINGS, PLAIN_NUMBERS, _driver_label, _fmt_default
from reports.summaries import key_figures
from reports.views import muni_link_factory
from reports.workbooks import Sheet, workbook_response


def parameter_groups(params: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """(group title, [(label, value, differs from the default)]) for a report."""
    defaults = AllocationParams().to_dict()
    out = []
    for _key, title, names in GROUPS:
        items = []
        for name in names:
            value = params.get(name)
            default: Any = defaults.get(name)
            if name in MAPPINGS and isinstance(value, dict):
                differs = any(abs(float(value[k]) - float(default[k])) > 1e-9 for k in value)
                text = "; ".join(
                    f"{_driver_label(k)} {_fmt_default(float(v))}" for k, v in value.items()
                )
            else:
                differs = value != default
                text = str(value) if name in PLAIN_NUMBERS else _fmt_default(value)
            items.append((str(LABELS.get(name, name)), text, differs))
        out.append((str(title), items))
    return out


@require_GET
@reader_required
def scenario_report(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = Scenario.objects.select_related("owner").filter(pk=pk).first()
    if scenario is None or not can_view_scenario(request.user, scenario):
        raise Http404
    run = selectors.latest_ok_run(scenario)
    context: dict[str, Any] = {"scenario": scenario, "run": run}
    if run is not None:
        geo = run.params.get("geography", "sundhedsklynger-21")
        area_of = selectors.memberships(geo)
        rows = selectors.muni_results(run_id=run.pk, area_of=area_of)
        areas = selectors.area_results(run_id=run.pk, geography=geo, area_of=area_of)
        context.update(
            kpi=key_figures(run, rows),
            areas=sorted(areas, key=lambda a: -a.total),
            params=parameter_groups(run.params),
            geography_name=next((g.name for g in selectors.geographies() if g.slug == geo), geo),
            map_figure=charts.municipality_map(
                rows,
                metric="per10k",
                link=muni_link_factory(f"?scenario={pk}"),
                geojson_url=reverse("municipalities_geojson"),
                height=560,
            ),
        )
    return render(request, "reports/scenario_report.html", context)


@require_GET
@reader_required
def run_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_with_scenario(pk)
    if run is None or not can_view_scenario(request.user, run.scenario):
        raise Http404
    if run.status != RunStatus.SUCCEEDED:
        raise Http404
    geo = run.params.get("geography", "sundhedsklynger-21")
    area_of = selectors.memberships(geo)
    rows = selectors.muni_results(run_id=run.pk, area_of=area_of)
    areas = selectors.area_results(run_id=run.pk, geography=geo, area_of=area_of)
    kpi = key_figures(run, rows)
    about: list[list[Any]] = [
        [_("Scenario"), run.scenario.name],
        [_("Run"), run.pk],
        [_("Finished"), run.finished_at.isoformat() if run.finished_at else ""],
        [_("Inputs hash"), run.inputs_hash],
        [_("Geography"), geo],
        [],
        [_("Capacities today (synthetic register)"), round(kpi.capacities_today, 2)],
        [_("New capacities"), kpi.new_total],
        [_("Largest load before / after"), kpi.max_load_before, kpi.max_load_after],
        [
            _("Municipalities above the norm before / after"),
            kpi.above_norm_before,
            kpi.above_norm_after,
        ],
        [
            _("Practices open before / after (projected)"),
            kpi.open_share_before,
            kpi.open_share_after,
        ],
        [],
        [
            _(
                "Data status: capacities_today comes from the synthetic practice register; demand "
                "drivers marked 'estimated' in the Drivers sheet have no municipal source."
            )
        ],
        [],
        [_("Parameters")],
        *[[k, str(v)] for k, v in run.params.items()],
    ]
    muni_head = [
        "kommunekode",
        "municipality",
        "area",
        "population",
        "weighted_citizens",
        "capacities_today",
        "capacities_today_status",
        "supply_at_horizon",
        "load_before",
        "load_after",
        "transition",
        "coverage",
        "accessibility",
        "total",
        "per_10000",
    ]
    muni_rows = [
        [
            r.code,
            r.name,
            r.area_name,
            r.population,
            round(r.weighted_citizens, 1),
            r.supply_today,
            "synthetic",
            r.supply_at_horizon,
            r.load_before,
            r.load_after,
            r.transition,
            r.coverage,
            r.accessibility,
            r.total,
            round(r.per_10k, 3),
        ]
        for r in sorted(rows, key=lambda r: r.code)
    ]
    area_head = [
        "area_slug",
        "area",
        "population",
        "capacities_today",
        "load_before",
        "load_after",
        "transition",
        "coverage",
        "accessibility",
        "total",
    ]
    area_rows = [
        [
            a.slug,
            a.name,
            a.population,
            round(a.supply_today, 2),
            a.load_before,
            a.load_after,
            a.transition,
            a.coverage,
            a.accessibility,
            a.total,
        ]
        for a in areas
    ]
    sheets: list[Sheet] = [
        (str(_("About")), [], about),
        (str(_("Municipalities")), muni_head, muni_rows),
        (str(_("Areas")), area_head, area_rows),
        (
            str(_("Phase-in")),
            ["kommunekode", "municipality", "year", "pillar", "new", "cumulative"],
            selectors.run_phasing_rows(run.pk),
        ),
        (
            str(_("Placements")),
            ["year", "kommunekode", "municipality", "ydernummer", "pillar", "kind", "reason"],
            selectors.run_placement_rows(run.pk),
        ),
        (
            str(_("Sensitivity")),
            ["level", "geography", "key", "base", "p5", "p50", "p95"],
            selectors.run_band_rows(run.pk),
        ),
        (
            str(_("Drivers")),
            ["kommunekode", "municipality", "indicator", "year", "value", "status", "source"],
            selectors.engine_indicator_rows(),
        ),
    ]
    return workbook_response(sheets, f"klyngeplan-run-{run.pk}.xlsx")
