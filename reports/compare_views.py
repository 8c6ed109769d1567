"""Compare two or more scenarios: table per area and municipality, diverging bars, a map of
the differences, CSV and XLSX exports."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from allocation.engine import NATION
from allocation.selectors import scenarios_with_runs
from clusters.selectors import geographies, memberships
from municipalities.selectors import estimated_indicators
from practices.selectors import register_sources, supply_sources
from reports import charts, results
from reports.access import reader_required
from reports.comparison import (
    NATION_SLUG,
    Column,
    build,
    choose,
    export_rows,
    key_figure_rows,
    letters,
)
from reports.export_views import print_label
from reports.fragments import cached_fragment
from reports.scope import pick_geography
from reports.spreadsheet import safe_row
from reports.views import area_link_factory, muni_link_factory
from reports.workbooks import ONE_DECIMAL, PERCENT_1, PLAIN, WHOLE, Cell, Col, workbook_response

MAX_SCENARIOS = 6


def _requested(request: HttpRequest) -> list[str]:
    """Scenario ids in the order chosen: ``s`` repeated, else the older ``a`` and ``b``."""
    ids = request.GET.getlist("s")
    if not ids:
        ids = [request.GET.get(k, "") for k in ("a", "b")]
    return [i.strip() for i in ids if i.strip().isdigit()]


def _focus(request: HttpRequest) -> str:
    """The letter of the scenario drawn against A: ``vs``, or a letter given as ``b``."""
    for key in ("vs", "b"):
        value = request.GET.get(key, "").strip().upper()
        if len(value) == 1 and value.isalpha():
            return value
    return "B"


def _selection(request: HttpRequest) -> dict[str, Any]:
    """Parse the choice of scenarios and geography; four queries."""
    scenarios = scenarios_with_runs(user=request.user)
    wanted = choose(
        scenarios,
        _requested(request),
        baseline=request.GET.get("base", "").strip(),
        user_id=request.user.pk,
        limit=MAX_SCENARIOS,
    )
    geos = geographies()
    geography = pick_geography(geos, request.GET.get("geography"))
    columns = [
        Column(scenario=s, run_id=getattr(s, "last_ok_run_id", 0), letter=letter)
        for s, letter in zip(wanted, letters(len(wanted)), strict=True)
    ]
    return {
        "all_scenarios": scenarios,
        "comparable": [s for s in scenarios if getattr(s, "last_ok_run_id", None)],
        "columns": columns,
        "baseline_id": columns[0].scenario.pk if columns else None,
        "selected_ids": {c.scenario.pk for c in columns},
        "geographies": geos,
        "geography": geography,
        "max_scenarios": MAX_SCENARIOS,
    }


def _query(columns: list[Column], geography: Any, **extra: str) -> str:
    """The canonical query string of a comparison: ``s`` in order (baseline first)."""
    pairs = [("s", str(c.scenario.pk)) for c in columns]
    if geography is not None:
        pairs.append(("geography", geography.slug))
    pairs += list(extra.items())
    return urlencode(pairs)


def _tables(context: dict[str, Any]) -> dict[str, Any]:
    """The comparison itself: three queries."""
    columns, geography = context["columns"], context["geography"]
    area_of = memberships(geography=geography.slug) if geography else {}
    run_ids = [c.run_id for c in columns]
    by_run = results.results_by_run(run_ids, area_of) if columns else {}
    geo = geography.slug if geography else ""
    stored = results.area_results_by_run(run_ids, [geo, NATION]) if columns else {}
    areas, munis, nation = build(columns, by_run, stored, geography=geo)
    figures = key_figure_rows(
        columns,
        [getattr(c.scenario, "last_ok_run", None) for c in columns],
        [stored.get(c.run_id, {}).get(NATION, {}).get(NATION_SLUG) for c in columns],
    )
    return {"areas": areas, "munis": munis, "nation": nation, "figures": figures}


@require_GET
@reader_required
def compare(request: HttpRequest) -> HttpResponse:
    context = _selection(request)
    columns = context["columns"]
    context["export_qs"] = _query(columns, context["geography"])
    if len(columns) < 2 or context["geography"] is None:
        return render(request, "reports/compare.html", context)
    b_letter = _focus(request)
    b_index = next((i for i, c in enumerate(columns) if c.letter == b_letter), 1) or 1

    def build_results() -> dict[str, Any]:
        data = {**context, **_tables(context)}
        a, b = columns[0], columns[b_index]
        areas, munis, geo = data["areas"], data["munis"], data["geography"]
        qs = f"?scenario={b.scenario.pk}"
        area_link = area_link_factory(geo.slug, qs)
        muni_link = muni_link_factory(qs)
        data.update(
            a=a,
            b=b,
            switch=[
                (c, reverse("compare") + "?" + _query(columns, geo, vs=c.letter), i == b_index)
                for i, c in enumerate(columns)
                if i
            ],
            bar_figure=charts.diverging_bars(
                [x.name for x in areas],
                [x.diffs()[b_index - 1] for x in areas],
                [area_link(x.key) for x in areas],
                title=_("Difference per area: %(b)s − %(a)s") % {"a": a.letter, "b": b.letter},
                label_a=a.letter,
                label_b=b.letter,
            ),
            map_figure=charts.difference_map(
                codes=[int(m.key) for m in munis],
                names=[m.name for m in munis],
                diffs=[m.diffs()[b_index - 1] for m in munis],
                links=[muni_link(int(m.key)) for m in munis],
                extra=[m.area_name for m in munis],
                title=_("Difference per municipality: %(b)s − %(a)s (blue = more in %(b)s)")
                % {"a": a.letter, "b": b.letter},
                geojson_url=reverse("municipalities_geojson"),
            ),
        )
        return data

    context["run_label"] = print_label(
        [c.scenario.last_ok_run for c in columns if getattr(c.scenario, "last_ok_run", None)],
        [c.letter for c in columns],
    )
    context["results"] = cached_fragment(
        request,
        template="reports/_compare_results.html",
        parts=(
            context["geography"].slug,
            b_index,
            *((c.scenario.pk, c.scenario.name, c.scenario.params, c.run_id) for c in columns),
        ),
        build=build_results,
    )
    return render(request, "reports/compare.html", context)


# Number formats of the compare workbook's columns (any other column is a whole number).
EXPORT_FORMATS: dict[str, str | None] = {
    "kommunekode": PLAIN,
    "capacities_today": ONE_DECIMAL,
    "municipality": None,
    "area": None,
    "area_slug": None,
    "capacities_today_status": None,
}


def _danish(value: Any) -> Any:
    """A cell for Danish Excel: decimal comma in numbers (written as text for the CSV)."""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


@require_GET
@reader_required
def compare_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """``csv`` (comma, decimal point), ``da.csv`` (semicolon, decimal comma: Danish Excel)
    and ``xlsx`` (with the key figures and number formats); every CSV has a BOM."""
    if fmt not in ("csv", "da.csv", "xlsx"):
        raise Http404
    context = _selection(request)
    columns = context["columns"]
    if not columns:
        raise Http404
    context.update(_tables(context))
    sources = supply_sources()
    legend = [[f"{c.letter}: {c.scenario.name} (run #{c.run_id})"] for c in columns]
    if fmt in ("csv", "da.csv"):
        danish = fmt == "da.csv"
        head, rows = export_rows(columns, context["areas"], level="municipality", sources=sources)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = "klyngeplan-compare-da.csv" if danish else "klyngeplan-compare.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response.write("\ufeff")  # Excel reads UTF-8 with a BOM
        writer = csv.writer(response, delimiter=";" if danish else ",")
        writer.writerow(safe_row(head))
        for row in rows:
            writer.writerow(safe_row([_danish(v) for v in row] if danish else row))
        return response
    sheets: list[Any] = []
    for level, title in (("area", _("Areas")), ("municipality", _("Municipalities"))):
        head, rows = export_rows(columns, context["areas"], level=level, sources=sources)
        formats = [
            Col(
                h,
                PLAIN if h == "kommunekode" else ONE_DECIMAL if h == "capacities_today" else WHOLE,
            )
            if h not in ("municipality", "area", "area_slug", "capacities_today_status")
            else Col(h)
            for h in head
        ]
        sheets.append((str(title), formats, rows))
    figure_head = [Col(_("Key figure"), width=48)]
    for c in columns:
        figure_head.append(Col(c.letter))
        if c is not columns[0]:
            figure_head.append(Col(f"{c.letter} − A"))
    figure_rows = []
    for row in context["figures"]:
        fmt_of = {"share": PERCENT_1, "load": WHOLE}.get(row.kind, WHOLE)
        cells: list[Any] = [row.label + (f" ({row.pending})" if row.pending else "")]
        for i, (value, _range, diff) in enumerate(row.cells):
            cells.append(Cell(value, fmt_of))
            if i:
                cells.append(Cell(diff, fmt_of))
        figure_rows.append(cells)
    sheets.insert(0, (str(_("Key figures")), figure_head, figure_rows))
    notes = [
        [_("Scenarios")],
        *legend,
        [_("A is the baseline: each X_minus_A_total is scenario X's total minus A's.")],
        [],
        [_("Geography"), str(context["geography"])],
    ]
    if register_sources().synthetic:
        notes.append(
            [_("capacities_today is from the synthetic practice register (marked synthetic).")]
        )
    if estimated_indicators():
        notes.append([_("Demand drivers without a municipal source are estimated.")])
    sheets.insert(0, (str(_("About")), [], notes))
    return workbook_response(sheets, "klyngeplan-compare.xlsx")
