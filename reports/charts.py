"""Plotly figures as plain dicts (no figure objects: building them is the costly part).

The page embeds each figure with json_script; static/js/klyngeplan.js draws it with the
plotly.js served from static/vendor. Maps use a geo subplot with the municipality
boundaries (fetched once from /geo/municipalities.geojson), fitbounds and no base layers:
no tiles, nothing from outside.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from allocation.selectors import HorizonSummary
from reports.results import PILLARS, AreaResult, MuniResult

PILLAR_COLOURS = {"transition": "#0072B2", "coverage": "#D55E00", "accessibility": "#009E73"}
MORE_IN_B = "#2166AC"  # blue
MORE_IN_A = "#E08214"  # orange
GREY = "#C8C8C8"


def pillar_labels() -> dict[str, str]:
    return {
        "transition": _("Transition to local care"),
        "coverage": _("GP coverage"),
        "accessibility": _("Accessibility"),
    }


def separators() -> str:
    """plotly's decimal and thousands separators for the active language."""
    return ",." if (get_language() or "da").startswith("da") else ".,"


def base_layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "separators": separators(),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
        "margin": {"l": 10, "r": 10, "t": 48, "b": 40},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"bgcolor": "white", "font": {"size": 13}},
    }
    layout.update(extra)
    return layout


# --- maps ------------------------------------------------------------------------------

Metric = tuple[str, Callable[[MuniResult], float | None], str, bool]


def map_metrics() -> dict[str, Metric]:
    """key -> (label, value, value format, diverging)."""
    return {
        "per10k": (_("New capacities per 10,000 citizens"), lambda r: r.per_10k, ",.2f", False),
        "load_before": (
            _("Load before (disease-weighted citizens per capacity, 2035)"),
            lambda r: r.load_before,
            ",.0f",
            False,
        ),
        "load_after": (
            _("Load after (disease-weighted citizens per capacity, 2035)"),
            lambda r: r.load_after,
            ",.0f",
            False,
        ),
        "change": (
            _("Change in load (after − before)"),
            lambda r: r.load_change,
            ",.0f",
            True,
        ),
        "total": (_("New capacities"), lambda r: float(r.total), ",.0f", False),
    }


def _map_layout(title: str, height: int) -> dict[str, Any]:
    return base_layout(
        title,
        height=height,
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        geo={
            "fitbounds": "locations",
            "visible": False,
            "projection": {"type": "mercator"},
            "bgcolor": "white",
        },
        dragmode=False,
    )


def _choropleth_traces(
    *,
    codes: Sequence[int],
    names: Sequence[str],
    values: Sequence[float | None],
    links: Sequence[str],
    extra: Sequence[str],
    label: str,
    fmt: str,
    diverging: bool,
    geojson_url: str,
    missing_text: str,
) -> list[dict[str, Any]]:
    have = [i for i, v in enumerate(values) if v is not None]
    missing = [i for i, v in enumerate(values) if v is None]
    traces: list[dict[str, Any]] = []
    if missing:
        traces.append(
            {
                "type": "choropleth",
                "geojson": geojson_url,
                "featureidkey": "id",
                "locations": [codes[i] for i in missing],
                "z": [0 for _i in missing],
                "text": [names[i] for i in missing],
                "customdata": [[links[i], extra[i]] for i in missing],
                "colorscale": [[0, GREY], [1, GREY]],
                "showscale": False,
                "marker": {"line": {"color": "white", "width": 0.6}},
                "hovertemplate": "<b>%{text}</b><br>%{customdata[1]}<br>"
                + missing_text
                + "<extra></extra>",
                "name": missing_text,
            }
        )
    z = [values[i] for i in have]
    trace: dict[str, Any] = {
        "type": "choropleth",
        "geojson": geojson_url,
        "featureidkey": "id",
        "locations": [codes[i] for i in have],
        "z": z,
        "text": [names[i] for i in have],
        "customdata": [[links[i], extra[i]] for i in have],
        "marker": {"line": {"color": "white", "width": 0.6}},
        "colorbar": {"title": {"text": "", "side": "right"}, "thickness": 14, "len": 0.8},
        "hovertemplate": "<b>%{text}</b><br>%{customdata[1]}<br>"
        + label
        + ": %{z:"
        + fmt
        + "}<extra></extra>",
        "name": label,
    }
    if diverging:
        bound = max((abs(v) for v in z if v is not None), default=1.0) or 1.0
        trace.update(colorscale="RdBu", reversescale=True, zmid=0, zmin=-bound, zmax=bound)
    else:
        trace.update(colorscale="Viridis", reversescale=True)
    traces.append(trace)
    return traces


def municipality_map(
    rows: Sequence[MuniResult],
    *,
    metric: str,
    link: Callable[[int], str],
    geojson_url: str,
    title: str | None = None,
    height: int = 450,
    marked: Collection[int] = (),
    marked_label: str = "",
    fit: Sequence[int] = (),
) -> dict[str, Any]:
    """The choropleth with every metric's values, so the switch needs no request.

    Compact on purpose: the municipalities once ("base"), then per metric only its values;
    static/js/klyngeplan.js builds the traces (as _choropleth_traces does here). ``marked``
    municipalities are outlined and named ``marked_label`` in the hover text (the GP
    shortage areas); ``fit``: the map opens zoomed on these (a planner's region).
    """
    metrics = map_metrics()
    variants: dict[str, Any] = {}
    for key, (label, value, fmt, diverging) in metrics.items():
        values = [value(r) for r in rows]
        variants[key] = {
            "label": label,
            "title": title or label,
            "z": [None if v is None else round(v, 3) for v in values],
            "fmt": fmt,
            "diverging": diverging,
            # plotly's RdBu runs blue -> red: for a change in load, a fall (relief) is blue.
            "reverse": not diverging,
        }
    chosen = metric if metric in variants else "per10k"
    return {
        "base": {
            "codes": [r.code for r in rows],
            "names": [r.name for r in rows],
            "links": [link(r.code) for r in rows],
            "extra": [
                f"{r.area_name} · {marked_label}" if r.code in marked else r.area_name for r in rows
            ],
            "geojson": geojson_url,
            "missing": _("no GP capacity at the horizon (load unbounded)"),
            "marked": sorted(c for c in (r.code for r in rows) if c in marked),
            "marked_label": marked_label,
        },
        "layout": _map_layout(variants[chosen]["title"], height),
        "variants": variants,
        "variant": chosen,
        "fit": list(fit),
    }


def difference_map(
    *,
    codes: Sequence[int],
    names: Sequence[str],
    diffs: Sequence[float],
    links: Sequence[str],
    extra: Sequence[str],
    title: str,
    geojson_url: str,
) -> dict[str, Any]:
    label = _("Difference in new capacities")
    return {
        "data": _choropleth_traces(
            codes=codes,
            names=names,
            values=list(diffs),
            links=links,
            extra=extra,
            label=label,
            fmt="+,.0f",
            diverging=True,
            geojson_url=geojson_url,
            missing_text="",
        ),
        "layout": _map_layout(title, 480),
    }


def highlight_map(
    *,
    codes: Sequence[int],
    names: Sequence[str],
    members: set[int],
    links: Sequence[str],
    title: str,
    geojson_url: str,
) -> dict[str, Any]:
    """Members of an area in colour, their neighbours in grey; zoomed on the members."""
    member_idx = [i for i, c in enumerate(codes) if c in members]
    other_idx = [i for i, c in enumerate(codes) if c not in members]
    traces = []
    for idx, colour, hover in ((other_idx, "#E6E6E6", False), (member_idx, "#0072B2", True)):
        trace: dict[str, Any] = {
            "type": "choropleth",
            "geojson": geojson_url,
            "featureidkey": "id",
            "locations": [codes[i] for i in idx],
            "z": [1 for _i in idx],
            "text": [names[i] for i in idx],
            "customdata": [[links[i], ""] for i in idx],
            "colorscale": [[0, colour], [1, colour]],
            "showscale": False,
            "marker": {"line": {"color": "white", "width": 0.8}},
            "hovertemplate": "<b>%{text}</b><extra></extra>",
        }
        if not hover:
            trace["hoverinfo"] = "skip"
            trace.pop("hovertemplate")
        traces.append(trace)
    # static/js/klyngeplan.js zooms on the members ("fit") once the boundaries are loaded.
    layout = _map_layout(title, 340)
    return {"data": traces, "layout": layout, "fit": [c for c in codes if c in members]}


# --- bars and areas --------------------------------------------------------------------


def areas_stacked(
    areas: Sequence[AreaResult], *, link: Callable[[str], str], title: str
) -> dict[str, Any]:
    ordered = sorted(areas, key=lambda a: (a.total, a.name))
    labels = pillar_labels()
    y = [a.name for a in ordered]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": labels[p],
            "y": y,
            "x": [getattr(a, p) for a in ordered],
            "marker": {"color": PILLAR_COLOURS[p]},
            "customdata": [[link(a.slug), a.total] for a in ordered],
            "hovertemplate": "<b>%{y}</b><br>"
            + labels[p]
            + ": %{x:,.0f}<br>"
            + _("Total")
            + ": %{customdata[1]:,.0f}<extra></extra>",
        }
        for p in PILLARS
    ]
    return {
        "data": data,
        "layout": base_layout(
            title,
            barmode="stack",
            height=max(320, 26 * len(ordered) + 110),
            margin={"l": 10, "r": 10, "t": 48, "b": 110},
            xaxis={"title": {"text": _("New GP capacities")}, "gridcolor": "#eee"},
            yaxis={"automargin": True, "tickfont": {"size": 12}},
            legend={
                "orientation": "h",
                "x": 0,
                "y": -0.12 if len(ordered) > 8 else -0.3,
                "yanchor": "top",
                "traceorder": "normal",
            },
        ),
    }


def phase_in_area(
    years: Sequence[int], cumulative: dict[str, list[int]], *, title: str
) -> dict[str, Any]:
    labels = pillar_labels()
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "stackgroup": "one",
            "name": labels[p],
            "x": list(years),
            "y": cumulative[p],
            "line": {"color": PILLAR_COLOURS[p], "width": 1},
            "fillcolor": PILLAR_COLOURS[p],
            "hovertemplate": labels[p] + " %{x}: %{y:,.0f}<extra></extra>",
        }
        for p in PILLARS
    ]
    return {
        "data": data,
        "layout": base_layout(
            title,
            height=320,
            xaxis={
                "title": {"text": _("Year")},
                "dtick": 1,
                "tickformat": "d",
                "range": [years[0] - 0.2, years[-1] + 0.2] if years else None,
            },
            yaxis={
                "title": {"text": _("Capacities in place")},
                "gridcolor": "#eee",
                "automargin": True,
            },
            legend={"orientation": "h", "y": -0.3, "traceorder": "normal"},
            margin={"l": 10, "r": 10, "t": 56, "b": 80},
        ),
    }


def area_lines(
    years: Sequence[int], series: dict[str, tuple[str, list[int]]], *, title: str
) -> dict[str, Any]:
    """Cumulative capacities per area and year, one line each."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": list(years),
            "y": values,
            "marker": {"size": 4},
            "hovertemplate": "<b>"
            + name.replace("%", "%%")
            + "</b> %{x}: %{y:,.0f}<extra></extra>",
        }
        for _slug, (name, values) in sorted(series.items(), key=lambda kv: -kv[1][1][-1])
    ]
    return {
        "data": data,
        "layout": base_layout(
            title,
            height=460,
            xaxis={"title": {"text": _("Year")}, "dtick": 1, "tickformat": "d"},
            yaxis={
                "title": {"text": _("Capacities in place")},
                "gridcolor": "#eee",
                "automargin": True,
            },
            margin={"l": 10, "r": 10, "t": 56, "b": 50},
        ),
    }


def diverging_bars(
    names: Sequence[str],
    diffs: Sequence[float],
    links: Sequence[str],
    *,
    title: str,
    label_a: str,
    label_b: str,
) -> dict[str, Any]:
    order = sorted(range(len(names)), key=lambda i: (diffs[i], names[i]))
    colours = [MORE_IN_B if diffs[i] > 0 else MORE_IN_A for i in order]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [names[i] for i in order],
                "x": [diffs[i] for i in order],
                "marker": {"color": colours},
                "customdata": [[links[i]] for i in order],
                "hovertemplate": "<b>%{y}</b><br>"
                + f"{label_b} − {label_a}"
                + ": %{x:+,.0f}<extra></extra>",
                "showlegend": False,
            },
            # Legend entries for the two colours.
            {
                "type": "bar",
                "x": [None],
                "y": [None],
                "name": _("more in %(s)s") % {"s": label_b},
                "marker": {"color": MORE_IN_B},
                "hoverinfo": "skip",
            },
            {
                "type": "bar",
                "x": [None],
                "y": [None],
                "name": _("more in %(s)s") % {"s": label_a},
                "marker": {"color": MORE_IN_A},
                "hoverinfo": "skip",
            },
        ],
        "layout": base_layout(
            title,
            height=max(320, 24 * len(order) + 120),
            barmode="overlay",
            xaxis={
                "title": {
                    "text": _("New GP capacities, %(b)s − %(a)s") % {"a": label_a, "b": label_b}
                },
                "zeroline": True,
                "zerolinecolor": "#333",
                "gridcolor": "#eee",
            },
            yaxis={"automargin": True, "tickfont": {"size": 12}},
            legend={"orientation": "h", "y": -0.15},
            margin={"l": 10, "r": 10, "t": 48, "b": 60},
        ),
    }


def sensitivity_bands(
    rows: Sequence[dict[str, Any]], *, title: str, link: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """P5-P95 as a bar from P5 to P95, P50 and the scenario's own result as markers."""
    ordered = sorted(rows, key=lambda r: (r["base"], r["name"]))
    y = [r["name"] for r in ordered]
    custom = [[link(r["key"]) if link else "", r["p5"], r["p95"]] for r in ordered]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": y,
                "x": [r["p95"] - r["p5"] for r in ordered],
                "base": [r["p5"] for r in ordered],
                "marker": {
                    "color": "rgba(0,114,178,0.30)",
                    "line": {"color": "#0072B2", "width": 1},
                },
                "name": _("P5–P95 band"),
                "customdata": custom,
                "hovertemplate": "<b>%{y}</b><br>P5 %{customdata[1]:,.0f}"
                " – P95 %{customdata[2]:,.0f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "y": y,
                "x": [r["p50"] for r in ordered],
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 14,
                    "color": "#333",
                    "line": {"width": 2},
                },
                "name": _("Median (P50)"),
                "hovertemplate": "<b>%{y}</b><br>P50 %{x:,.0f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "y": y,
                "x": [r["base"] for r in ordered],
                "marker": {"symbol": "diamond", "size": 9, "color": "#D55E00"},
                "name": _("This scenario"),
                "hovertemplate": "<b>%{y}</b><br>"
                + _("This scenario")
                + " %{x:,.0f}<extra></extra>",
            },
        ],
        "layout": base_layout(
            title,
            height=max(320, 26 * len(ordered) + 120),
            xaxis={"title": {"text": _("New GP capacities")}, "gridcolor": "#eee"},
            yaxis={"automargin": True},
            legend={"orientation": "h", "y": -0.12},
            margin={"l": 10, "r": 10, "t": 48, "b": 60},
        ),
    }


# --- supply from the base year to the horizon --------------------------------------------


def supply_waterfall(summary: HorizonSummary, *, title: str) -> dict[str, Any]:
    """Capacities today → retiring → replaced → at the horizon → new by pillar → after."""
    if not summary.available:
        return {}
    labels = pillar_labels()
    b, h = summary.base_year, summary.horizon
    x = [
        _("Today (%(y)s)") % {"y": b},
        _("Retiring by %(y)s") % {"y": h},
        _("Replaced (assumed %(share)s)") % {"share": f"{summary.replacement_share:.0%}"},
        _("%(y)s before the new") % {"y": h},
        *(labels[p] for p in PILLARS),
        _("%(y)s with the new") % {"y": h},
    ]
    y = [
        summary.supply_today,
        -(summary.retiring or 0.0),
        summary.replaced or 0.0,
        summary.supply_at_horizon,
        *(float(summary.new[p]) for p in PILLARS),
        summary.supply_after,
    ]
    measure = ["absolute", "relative", "relative", "total", *(["relative"] * 3), "total"]
    return {
        "data": [
            {
                "type": "waterfall",
                "x": x,
                "y": y,
                "measure": measure,
                "text": [
                    f"{v:+,.1f}" if m == "relative" else f"{v:,.1f}"
                    for v, m in zip(y, measure, strict=True)
                ],
                "textposition": "outside",
                "connector": {"line": {"color": GREY}},
                "increasing": {"marker": {"color": PILLAR_COLOURS["transition"]}},
                "decreasing": {"marker": {"color": MORE_IN_A}},
                "totals": {"marker": {"color": "#555555"}},
                "hovertemplate": "%{x}: %{text}<extra></extra>",
            }
        ],
        "layout": base_layout(
            title,
            height=340,
            showlegend=False,
            yaxis={"title": {"text": _("GP capacities")}, "rangemode": "tozero"},
        ),
    }
