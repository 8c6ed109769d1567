"""XLSX workbooks with openpyxl: one sheet per table, a header row, frozen and filtered;
and the sheets of a run's workbook."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from allocation.models import AllocationRun, SensitivityBand
from allocation.selectors import phasing_rows, placement_list, sensitivity_rows
from clusters.models import DEFAULT_GEOGRAPHY
from clusters.selectors import memberships
from municipalities.selectors import estimated_indicators, indicator_rows
from practices.selectors import RegisterSources, register_sources, supply_sources
from reports import selectors
from reports.parameters import LABELS, describe
from reports.spreadsheet import safe_row
from reports.summaries import key_figures

Sheet = tuple[str, Sequence[Any], Sequence[Sequence[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    for title, head, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        if head:
            ws.append(safe_row(str(h) for h in head))
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
        for row in rows:
            ws.append(safe_row(row))
        if head and rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
        for i, h in enumerate(head or [""], start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(h)) + 2))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_response(sheets: Sequence[Sheet], filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the run workbook -----------------------------------------------------------------------

MUNICIPALITY_HEAD = (
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
)
AREA_HEAD = (
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
)


def data_status_note(*, register: RegisterSources, estimated: Sequence[str]) -> str:
    """What the figures rest on, from the data: the register's source and whether demand
    drivers are estimated."""
    if register.synthetic and estimated:
        return str(
            _(
                "Data status: capacities_today comes from the synthetic practice register; demand "
                "drivers marked 'estimated' in the Drivers sheet have no municipal source."
            )
        )
    if register.synthetic:
        return str(_("Data status: capacities_today comes from the synthetic practice register."))
    if estimated:
        return str(
            _(
                "Data status: demand drivers marked 'estimated' in the Drivers sheet have no "
                "municipal source."
            )
        )
    return ""


def run_sheets(run: AllocationRun) -> list[Sheet]:
    """Every table of a succeeded run: about, municipalities, areas, phase-in, placements,
    sensitivity bands and the demand drivers it used."""
    geo = run.params.get("geography", DEFAULT_GEOGRAPHY)
    area_of = memberships(geography=geo)
    rows = selectors.muni_results(run_id=run.pk, area_of=area_of)
    areas = selectors.area_results(run_id=run.pk, geography=geo, area_of=area_of)
    kpi = key_figures(run, rows)
    register = register_sources()
    sources = supply_sources()
    capacities_label = (
        _("Capacities today (synthetic register)") if register.synthetic else _("Capacities today")
    )
    about: list[list[Any]] = [
        [_("Scenario"), run.scenario.name],
        [_("Run"), run.pk],
        [_("Finished"), run.finished_at.isoformat() if run.finished_at else ""],
        [_("Inputs hash"), run.inputs_hash],
        [_("Geography"), geo],
        [],
        [capacities_label, round(kpi.capacities_today, 2)],
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
        [data_status_note(register=register, estimated=estimated_indicators())],
        [],
        [_("Parameters")],
        *[
            [name, str(value), str(LABELS.get(name, name)), describe(name, value)]
            for name, value in run.params.items()
        ],
    ]
    muni_rows = [
        [
            r.code,
            r.name,
            r.area_name,
            r.population,
            round(r.weighted_citizens, 1),
            r.supply_today,
            sources.of(r.code),
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
    phasing = sorted(
        (
            [int(p["key"]), p["name"], p["year"], p["pillar"], p["new"], p["cumulative_sum"]]
            for p in phasing_rows(run=run, level="municipality", geography=geo)
        ),
        key=lambda row: (row[0], row[2], row[3]),
    )
    placements = [
        [p.year, p.municipality_id, p.municipality.name, p.ydernummer, p.pillar, p.kind, p.reason]
        for p in placement_list(run=run)
    ]
    bands = sorted(
        (
            [b["level"], b["geography"] or "", b["key"], b["base"], b["p5"], b["p50"], b["p95"]]
            for level in (SensitivityBand.Level.AREA, SensitivityBand.Level.MUNICIPALITY)
            for b in sensitivity_rows(run=run, level=level)
        ),
        key=lambda row: (row[0], row[1], row[2]),
    )
    return [
        (str(_("About")), [], about),
        (str(_("Municipalities")), MUNICIPALITY_HEAD, muni_rows),
        (str(_("Areas")), AREA_HEAD, area_rows),
        (
            str(_("Phase-in")),
            ["kommunekode", "municipality", "year", "pillar", "new", "cumulative"],
            phasing,
        ),
        (
            str(_("Placements")),
            ["year", "kommunekode", "municipality", "ydernummer", "pillar", "kind", "reason"],
            placements,
        ),
        (
            str(_("Sensitivity")),
            ["level", "geography", "key", "base", "p5", "p50", "p95"],
            bands,
        ),
        (
            str(_("Drivers")),
            ["kommunekode", "municipality", "indicator", "year", "value", "status", "source"],
            indicator_rows(),
        ),
    ]
