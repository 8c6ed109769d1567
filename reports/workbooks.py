"""XLSX workbooks with openpyxl: one sheet per table, a header row, frozen and filtered;
and the sheets of a run's workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.utils import get_column_letter

from allocation.models import AllocationRun, Pillar, Placement, SensitivityBand
from allocation.selectors import phasing_rows, placement_list, sensitivity_rows
from clusters.models import DEFAULT_GEOGRAPHY
from clusters.selectors import geographies, memberships
from municipalities.models import DataStatus, Indicator
from municipalities.selectors import estimated_indicators, indicator_rows
from practices.models import RecordSource
from practices.selectors import RegisterSources, register_sources, supply_sources
from reports import results, xlsx
from reports.parameters import parameter_groups
from reports.reasons import reason_texts
from reports.spreadsheet import safe_cell, safe_row
from reports.summaries import key_figures
from reports.xlsx import Style, Styled

# A sheet before it is written: (title, header, rows).
Table = tuple[str, Sequence[Any], Sequence[Sequence[Any]]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Number formats (Excel's codes: a spreadsheet shows them with its own separators, 1.500 in
# Danish and 1,500 in English).
WHOLE = "#,##0"  # new capacities, citizens, counts; loads too (no decimals)
ONE_DECIMAL = "#,##0.0"  # today's capacities (fractions of a full-time doctor)
TWO_DECIMALS = "#,##0.00"
PERCENT = "0%"
PERCENT_1 = "0.0%"
PLAIN = "0"  # codes and years: no thousands separator
DATETIME = "yyyy-mm-dd hh:mm"
BOLD = Style(bold=True)  # the header


@dataclass(frozen=True)
class Col:
    """A column: its header (translated) and the number format of its cells."""

    label: Any
    fmt: str | None = None
    width: int | None = None


@dataclass(frozen=True)
class Cell:
    """One cell with its own number format (the About sheet mixes kinds of figures)."""

    value: Any
    fmt: str | None = None


def _header(h: Any) -> str:
    return str(h.label if isinstance(h, Col) else h)


def workbook_bytes(sheets: Sequence[Table]) -> bytes:
    """Sheets of (title, header, rows): a header of plain strings or of :class:`Col` (with
    the column's number format), rows of values or :class:`Cell`. Text is formula-safe.

    A header is bold, frozen and filtered. A number format applies to numbers and times
    (a cell's own before its column's); other values keep the general format."""
    out: list[xlsx.Sheet] = []
    for title, head, rows in sheets:
        formats = [h.fmt if isinstance(h, Col) else None for h in head or []]
        # One style per column's format, not one per cell (the styles are equal either way).
        column_styles = [Style(number_format=fmt) if fmt else None for fmt in formats]
        body: list[list[Any]] = []
        if head:
            body.append([Styled(text, BOLD) for text in safe_row(_header(h) for h in head)])
        for row in rows:
            cells: list[Any] = []
            for i, value in enumerate(row):
                kind = type(value)
                if kind is int or kind is float:  # most cells: safe as they are
                    style = column_styles[i] if i < len(column_styles) else None
                    cells.append(value if style is None else Styled(value, style))
                    continue
                fmt = None
                if isinstance(value, Cell):
                    fmt, value = value.fmt, value.value
                value = safe_cell(value)
                fmt = fmt or (formats[i] if i < len(formats) else None)
                if fmt and isinstance(value, int | float | dt.datetime):
                    value = Styled(value, Style(number_format=fmt))
                cells.append(value)
            body.append(cells)
        widths = [
            max(10, min(60, h.width if isinstance(h, Col) and h.width else len(_header(h)) + 2))
            for h in head or [""]
        ]
        out.append(
            xlsx.Sheet(
                title=title[:31],
                rows=body,
                widths=widths,
                freeze="A2" if head else None,
                auto_filter=(
                    f"A1:{get_column_letter(len(head))}{len(rows) + 1}" if head and rows else None
                ),
            )
        )
    return xlsx.xlsx_bytes(out)


def workbook_response(sheets: Sequence[Table], filename: str) -> HttpResponse:
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def local_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as the wall-clock time in Copenhagen (TIME_ZONE), without a zone:
    spreadsheets have no time zones, and a reader here means local time."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None)


# --- the run workbook -----------------------------------------------------------------------


def data_status_note(*, register: RegisterSources, estimated: Sequence[str]) -> str:
    """What the figures rest on, from the data: the register's source and whether demand
    drivers are estimated."""
    if register.synthetic and estimated:
        return str(
            _(
                "Data status: today's capacities come from the synthetic practice register; "
                "demand drivers marked estimated in the Drivers sheet have no municipal source."
            )
        )
    if register.synthetic:
        return str(_("Data status: today's capacities come from the synthetic practice register."))
    if estimated:
        return str(
            _(
                "Data status: demand drivers marked estimated in the Drivers sheet have no "
                "municipal source."
            )
        )
    return ""


def _label(choices: Any, value: Any) -> str:
    return str(dict(choices).get(value, value))


def run_sheets(run: AllocationRun) -> list[Table]:
    """Every table of a succeeded run, in the active language with number formats per
    column: about (key figures and the parameters in words, as on the report),
    municipalities, areas, phase-in, placements, sensitivity bands and the demand drivers."""
    geo = run.params.get("geography", DEFAULT_GEOGRAPHY)
    area_of = memberships(geography=geo)
    rows = results.muni_results(run_id=run.pk, area_of=area_of)
    areas = results.area_results(run_id=run.pk, geography=geo, area_of=area_of)
    kpi = key_figures(run, rows)
    register = register_sources()
    sources = supply_sources()
    drivers = indicator_rows()
    estimated_in = {r[0] for r in drivers if r[5] == DataStatus.ESTIMATED}
    source_labels = dict(RecordSource.choices)
    status_labels = dict(DataStatus.choices)
    pillars = dict(Pillar.choices)
    geo_name = next((g.name for g in geographies() if g.slug == geo), geo)
    capacities_label = (
        _("Capacities today (synthetic register)") if register.synthetic else _("Capacities today")
    )
    about: list[list[Any]] = [
        [_("Scenario"), run.scenario.name],
        [pgettext("noun", "Run"), Cell(run.pk, PLAIN)],
        [_("Finished (Copenhagen time)"), Cell(local_time(run.finished_at), DATETIME)],
        [_("Inputs hash"), run.inputs_hash],
        [_("Geography"), geo_name],
        [],
        [_("Key figures"), _("before"), _("after")],
        [capacities_label, Cell(kpi.capacities_today, ONE_DECIMAL)],
        [_("GP capacities at the horizon"), Cell(kpi.capacities_horizon, ONE_DECIMAL)],
        [_("New capacities"), Cell(kpi.new_total, WHOLE)],
        [_("Largest load"), Cell(kpi.max_load_before, WHOLE), Cell(kpi.max_load_after, WHOLE)],
        [
            _("Load, 90th percentile"),
            Cell(kpi.p90_load_before, WHOLE),
            Cell(kpi.p90_load_after, WHOLE),
        ],
        [
            _("Municipalities above the norm"),
            Cell(kpi.above_norm_before, WHOLE),
            Cell(kpi.above_norm_after, WHOLE),
        ],
        [
            _("Citizens above the norm"),
            Cell(kpi.citizens_above_before, WHOLE),
            Cell(kpi.citizens_above_after, WHOLE),
        ],
        [
            _("Practices open to new patients (projected)"),
            Cell(kpi.open_share_before, PERCENT_1),
            Cell(kpi.open_share_after, PERCENT_1),
        ],
        [],
        [data_status_note(register=register, estimated=estimated_indicators())],
        [],
        [_("Parameters"), _("value"), _("differs from the default")],
    ]
    for title, items in parameter_groups(run.params):
        about.append([title])
        about += [[label, value, _("yes") if differs else ""] for label, value, differs in items]
    muni_head = [
        Col(_("Kommunekode"), PLAIN),
        Col(_("Municipality"), width=18),
        Col(_("Area"), width=24),
        Col(_("Citizens"), WHOLE),
        Col(_("Disease-weighted citizens"), WHOLE),
        Col(_("Demand data"), width=12),
        Col(_("Capacities today"), ONE_DECIMAL),
        Col(_("Capacities today, source"), width=12),
        Col(_("Capacities at the horizon before the new ones"), ONE_DECIMAL),
        Col(_("Load before"), WHOLE),
        Col(_("Load after"), WHOLE),
        Col(pillars[Pillar.TRANSITION], WHOLE),
        Col(pillars[Pillar.COVERAGE], WHOLE),
        Col(pillars[Pillar.ACCESSIBILITY], WHOLE),
        Col(_("New capacities, total"), WHOLE),
        Col(_("New capacities per 10,000 citizens"), TWO_DECIMALS),
    ]
    estimated_word, sourced_word = str(status_labels[DataStatus.ESTIMATED]), str(_("sourced"))
    muni_rows = [
        [
            r.code,
            r.name,
            r.area_name,
            r.population,
            r.weighted_citizens,
            estimated_word if r.code in estimated_in else sourced_word,
            r.supply_today,
            str(source_labels.get(sources.of(r.code), sources.of(r.code))),
            r.supply_at_horizon,
            r.load_before,
            r.load_after,
            r.transition,
            r.coverage,
            r.accessibility,
            r.total,
            r.per_10k,
        ]
        for r in sorted(rows, key=lambda r: r.code)
    ]
    area_head = [
        Col(_("Area, key"), width=16),
        Col(_("Area"), width=24),
        Col(_("Citizens"), WHOLE),
        Col(_("Capacities today"), ONE_DECIMAL),
        Col(_("Load before"), WHOLE),
        Col(_("Load after"), WHOLE),
        Col(pillars[Pillar.TRANSITION], WHOLE),
        Col(pillars[Pillar.COVERAGE], WHOLE),
        Col(pillars[Pillar.ACCESSIBILITY], WHOLE),
        Col(_("New capacities, total"), WHOLE),
    ]
    area_rows = [
        [
            a.slug,
            a.name,
            a.population,
            a.supply_today,
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
            [
                int(p["key"]),
                p["name"],
                p["year"],
                str(pillars.get(p["pillar"], p["pillar"])),
                p["new"],
                p["cumulative_sum"],
            ]
            for p in phasing_rows(run=run, level="municipality", geography=geo)
        ),
        key=lambda row: (row[0], row[2], row[3]),
    )
    kinds = dict(Placement.Kind.choices)
    # Tuples, not model instances: building a run's 1,500 placements and their
    # municipalities as objects took ten times as long as fetching the values.
    fields = ("year", "municipality_id", "municipality__name", "ydernummer", "pillar", "kind")
    placed = list(placement_list(run=run).values_list(*fields, "reason"))
    reasons = reason_texts(row[6] for row in placed)
    placements = [
        [
            year,
            code,
            name,
            ydernummer,
            str(pillars.get(pillar, pillar)),
            str(kinds.get(kind, kind)),
            reason,
        ]
        for (year, code, name, ydernummer, pillar, kind, _stored), reason in zip(
            placed, reasons, strict=True
        )
    ]
    levels = dict(SensitivityBand.Level.choices)
    bands = sorted(
        (
            [
                str(levels.get(b["level"], b["level"])),
                b["geography"] or "",
                b["key"],
                b["name"],
                b["base"],
                b["p5"],
                b["p50"],
                b["p95"],
            ]
            for level in (SensitivityBand.Level.AREA, SensitivityBand.Level.MUNICIPALITY)
            for b in sensitivity_rows(run=run, level=level)
        ),
        key=lambda row: (row[0], row[1], str(row[2])),
    )
    indicators = dict(Indicator.choices)
    driver_rows = [
        [
            code,
            name,
            str(indicators.get(ind, ind)),
            year,
            value,
            str(status_labels.get(status, status)),
            source,
        ]
        for code, name, ind, year, value, status, source in drivers
    ]
    return [
        (str(_("About")), [], about),
        (str(_("Municipalities")), muni_head, muni_rows),
        (str(_("Areas")), area_head, area_rows),
        (
            str(_("Phase-in")),
            [
                Col(_("Kommunekode"), PLAIN),
                Col(_("Municipality"), width=18),
                Col(_("Year"), PLAIN),
                Col(_("Pillar"), width=24),
                Col(_("New this year"), WHOLE),
                Col(_("Cumulative"), WHOLE),
            ],
            phasing,
        ),
        (
            str(_("Placements")),
            [
                Col(_("Year"), PLAIN),
                Col(_("Kommunekode"), PLAIN),
                Col(_("Municipality"), width=18),
                Col(_("Ydernummer"), width=14),
                Col(_("Pillar"), width=24),
                Col(_("Kind"), width=24),
                Col(_("Reason"), width=60),
            ],
            placements,
        ),
        (
            str(_("Sensitivity")),
            [
                Col(_("Level")),
                Col(_("Geography"), width=18),
                Col(_("Key"), width=14),
                Col(_("Name"), width=24),
                Col(_("This scenario"), WHOLE),
                Col("P5", ONE_DECIMAL),
                Col("P50", ONE_DECIMAL),
                Col("P95", ONE_DECIMAL),
            ],
            bands,
        ),
        (
            str(_("Drivers")),
            [
                Col(_("Kommunekode"), PLAIN),
                Col(_("Municipality"), width=18),
                Col(_("Indicator"), width=28),
                Col(_("Year"), PLAIN),
                Col(_("Value"), WHOLE),
                Col(_("Status"), width=12),
                Col(_("Source"), width=40),
            ],
            driver_rows,
        ),
    ]
