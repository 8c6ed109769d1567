"""Compare: each scenario's key figures side by side (from its run's metrics and stored
rows), pillar columns per area, and the exports in both CSV variants and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from allocation.models import AreaResult
from tests.reports.conftest import Site


def _url(site: Site, path: str = "/compare/") -> str:
    return f"{path}?s={site.default.pk}&s={site.variant.pk}"


def test_key_figures_side_by_side_come_from_the_runs(site: Site, as_user: Any) -> None:
    html = as_user("viewer").get(_url(site)).content.decode()
    figures = html[html.index('class="figures-table"') : html.index('class="compare-table"')]
    for label in (
        "Lægekapaciteter ved horisonten",
        "Største belastning efter",
        "Belastning efter, 90. percentil",
        "Kommuner over normen efter",
        "Borgere over normen efter",
        "Praksis åbne for tilgang efter (fremskrevet)",
        "Afvigelse fra den lovbestemte model",
    ):
        assert label in figures, label
    a, b = site.default_run.metrics["after"], site.variant_run.metrics["after"]
    row = figures[figures.index('data-figure-key="max_load_after"') :]
    row = row[: row.index("</tr>")]
    from reports.templatetags.klyngeplan import num, signed

    assert f">{num(a['max_load'])}</td>" in row and f">{num(b['max_load'])}" in row
    assert signed(b["max_load"] - a["max_load"]) in row
    nation = AreaResult.objects.get(run=site.variant_run, geography="nation")
    horizon = figures[figures.index('data-figure-key="capacities_horizon"') :]
    assert num(nation.supply_at_horizon + nation.total) in horizon[: horizon.index("</tr>")]
    # the deviation from the statutory model, as each run stored it
    statutory = figures[figures.index('data-figure-key="statutory_deviation"') :]
    statutory = statutory[: statutory.index("</tr>")]
    deviation = site.variant_run.metrics["statutory"]["absolute_deviation"]
    assert num(deviation) in statutory and "vises, når kørslerne" not in statutory
    # pillar columns per scenario in the area table
    table = html[html.index('class="compare-table"') :]
    assert table.count(">Omst.</th>") == 2 and table.count(">Dækn.</th>") == 2
    assert "Udskriv sammenligningen" in html and "data-print" in html


def test_csv_for_danish_excel_and_the_plain_one(site: Site, as_user: Any) -> None:
    client = as_user("viewer")
    plain = client.get(_url(site, "/compare/export.csv"))
    danish = client.get(_url(site, "/compare/export.da.csv"))
    assert danish.status_code == 200 and danish.content.startswith("\ufeff".encode())
    assert 'filename="klyngeplan-compare-da.csv"' in danish["Content-Disposition"]
    rows_p = list(csv.reader(io.StringIO(plain.content.decode("utf-8-sig"))))
    rows_d = list(csv.reader(io.StringIO(danish.content.decode("utf-8-sig")), delimiter=";"))
    assert rows_p[0] == rows_d[0] and len(rows_d) == len(rows_p) == 99
    col = rows_p[0].index("capacities_today")
    decimals = [r[col] for r in rows_d[1:] if "," in r[col]]
    assert decimals and all("." not in r[col] for r in rows_d[1:])
    for p, d in zip(rows_p[1:], rows_d[1:], strict=True):
        assert float(d[col].replace(",", ".")) == float(p[col])


def test_the_workbook_has_the_key_figures_with_formats(site: Site, as_user: Any) -> None:
    book = load_workbook(
        io.BytesIO(as_user("viewer").get(_url(site, "/compare/export.xlsx")).content)
    )
    ws = book["Nøgletal"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    share = next(v for k, v in rows.items() if k.startswith("Praksis åbne"))
    assert share[1].number_format == "0.0%" and 0 < share[1].value < 1
    load = rows["Største belastning efter"]
    assert load[1].number_format == "#,##0"
    assert load[3].value == pytest.approx(load[2].value - load[1].value)
    areas = book["Områder"]
    head = [c.value for c in areas[1]]
    assert areas.cell(row=2, column=head.index("A_total") + 1).number_format == "#,##0"
