"""The vendored plotly.js is a partial bundle: a chart of a trace type it lacks would draw
nothing, silently. Every trace type the charts name must be one the bundle registers."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART_SOURCES = [ROOT / "reports" / "charts.py", ROOT / "static" / "js" / "klyngeplan.js"]
# "type" values in those files that are not trace types
NOT_TRACES = {"mercator"}  # the map's geo projection


def test_every_trace_type_the_charts_draw_is_in_the_bundle() -> None:
    named = {
        kind
        for path in CHART_SOURCES
        for kind in re.findall(r"""["']?type["']?\s*:\s*["']([a-z]+)["']""", path.read_text())
    } - NOT_TRACES
    entry = (ROOT / "frontend" / "plotly" / "index.js").read_text()
    registered = {"scatter"} | set(re.findall(r"require\('plotly\.js/lib/([a-z]+)'\)", entry))
    assert {"bar", "choropleth", "scatter", "waterfall"} <= named  # the pattern finds them
    assert named <= registered, f"not in the plotly.js bundle: {sorted(named - registered)}"


def test_the_bundle_is_the_partial_build() -> None:
    head = (ROOT / "static" / "vendor" / "plotly.min.js").read_text()[:300]
    assert "plotly.js v4.1.1" in head and "partial bundle" in head
