"""The overview's open-share key figure: before → after, its P5-P95 from the draws, the 2030
projection and the closing threshold, as the run stored them."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from reports.templatetags.klyngeplan import pct
from tests.reports.conftest import Site


def test_overview_shows_the_open_share_range_and_2030(site: Site, as_user: Any) -> None:
    metrics = site.default_run.metrics
    after = metrics["after"]
    assert after["open_share_p5"] is not None and metrics["open_share_2030"] is not None
    response = as_user("viewer").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("da"):
        low, high = pct(after["open_share_p5"]), pct(after["open_share_p95"])
        in_2030 = pct(metrics["open_share_2030"])
    assert f"P5-P95 {low}-{high} i 2035" in html
    # 2030 has no range (the draws are not phased in), and the page says so
    assert f"{in_2030} i 2030 (uden interval)" in html
    assert "tallet for 2030 er grundkørslens, uden P5-P95" in html
    assert "lister vokset med behovet, behovsbaseret lukkegrænse" in html
