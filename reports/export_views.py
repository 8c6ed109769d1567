"""The printable scenario report and the XLSX workbook of a run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from allocation.models import AllocationRun, RunStatus
from allocation.selectors import horizon_summary, latest_run, run_get, scenario_get
from clusters.models import DEFAULT_GEOGRAPHY
from clusters.selectors import geographies, memberships
from reports import charts, results
from reports.access import reader_required
from reports.parameters import parameter_groups
from reports.summaries import key_figures
from reports.views import add_horizon, muni_link_factory
from reports.workbooks import run_sheets, workbook_response


def print_label(runs: Sequence[AllocationRun], letters: Sequence[str] = ()) -> str:
    """What every printed page says in its margin: the run(s) and their inputs hashes
    (shortened to 12 characters, as the pages show them). Digits, hex and translated words
    only: it goes into a CSS string."""
    if len(runs) == 1 and not letters:
        run = runs[0]
        text = f"{pgettext('noun', 'Run')} #{run.pk} · {_('inputs hash')} {run.inputs_hash[:12]}"
    else:
        parts = [
            f"{letters[i] if i < len(letters) else ''} #{run.pk} {run.inputs_hash[:12]}"
            for i, run in enumerate(runs)
        ]
        text = f"{_('Runs')} ({_('inputs hash')}): " + " · ".join(parts)
    return text.replace('"', "").replace("\\", "")


@require_GET
@reader_required
def scenario_report(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = scenario_get(user=request.user, pk=pk)
    if scenario is None:
        raise Http404
    run = latest_run(scenario=scenario)
    context: dict[str, Any] = {"scenario": scenario, "run": run}
    if run is not None:
        geo = run.params.get("geography", DEFAULT_GEOGRAPHY)
        area_of = memberships(geography=geo)
        rows = results.muni_results(run_id=run.pk, area_of=area_of)
        areas = results.area_results(run_id=run.pk, geography=geo, area_of=area_of)
        context.update(
            kpi=key_figures(run, rows),
            municipalities=sorted(rows, key=lambda r: r.name),
            run_label=print_label([run]),
            areas=sorted(areas, key=lambda a: -a.total),
            params=parameter_groups(run.params),
            geography_name=next((g.name for g in geographies() if g.slug == geo), geo),
            map_figure=charts.municipality_map(
                rows,
                metric="per10k",
                link=muni_link_factory(f"?scenario={pk}"),
                geojson_url=reverse("municipalities_geojson"),
                height=560,
            ),
        )
        add_horizon(context, horizon_summary(run=run), _("Denmark"))
    return render(request, "reports/scenario_report.html", context)


@require_GET
@reader_required
def run_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get(user=request.user, pk=pk)
    if run is None or run.status != RunStatus.SUCCEEDED:
        raise Http404
    return workbook_response(run_sheets(run), f"klyngeplan-run-{run.pk}.xlsx")
