"""In a real browser (Debian's Chromium, headless): a negotiator clones the default
scenario (naming it), moves 100 capacities from transition to coverage and sees the live
preview's key figures and area bars change before saving, runs it, watches the progress bar
finish, compares three scenarios' key figures, prints the comparison, and sees the map and
the charts drawn with data. Screenshots and the printed PDF go to artifacts/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="session", autouse=True)
def _sync_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test thread; Django then refuses
    synchronous ORM calls there (including creating the test database) unless allowed."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "da-DK", "viewport": {"width": 1360, "height": 900}}


@pytest.fixture
def negotiator(committed_db: None) -> Iterator[str]:
    """Denmark, the demo users and a run of the default scenario; tasks run in-process in
    the live server's thread (whatever REDIS_URL says)."""
    from django.contrib.auth.models import User

    from accounts.services import create_demo_users
    from allocation import services
    from config.celery import app
    from tests.conftest import _ensure_denmark

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    _ensure_denmark()
    create_demo_users(with_admin=False)
    user = User.objects.get(username="negotiator")
    user.set_password("browser-test")
    user.save()
    default = services.ensure_default_scenario()
    services.update_scenario(scenario=default, params={**default.params, "sensitivity_draws": 40})
    assert services.request_run(scenario=default).pk
    yield "negotiator"
    app.conf.task_always_eager = eager


def plotted(page: Any, element_id: str) -> dict[str, Any]:
    """What plotly drew in an element: traces, points and SVG shapes."""
    page.wait_for_selector(f'#{element_id}[data-rendered="true"]', timeout=30_000)
    result: dict[str, Any] = page.evaluate(
        """id => {
            const gd = document.getElementById(id);
            const points = (gd.data || []).reduce((n, t) =>
                n + ((t.locations || t.x || []).filter(v => v !== null).length), 0);
            return {
                plotly: gd.classList.contains('js-plotly-plot'),
                traces: (gd.data || []).length,
                points: points,
                regions: gd.querySelectorAll('path.choroplethlocation').length,
                bars: gd.querySelectorAll('g.point path').length,
            };
        }""",
        element_id,
    )
    return result


def preview_coverage(page: Any) -> int:
    """The coverage capacities the preview's area bars add up to."""
    total: int = page.evaluate(
        """() => {
            const gd = document.getElementById('preview-areas');
            const t = (gd.data || []).find(t => t.name === 'Bedre lægedækning');
            return t ? t.x.reduce((a, b) => a + b, 0) : -1;
        }"""
    )
    return total


def test_negotiator_clones_changes_split_runs_and_compares(
    committed_live_server: Any, page: Any, negotiator: str
) -> None:
    live_server = committed_live_server
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(live_server.url + "/")
    page.fill("#id_username", negotiator)
    page.fill("#id_password", "browser-test")
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    overview = plotted(page, "map")
    assert overview["plotly"] and overview["regions"] >= 98
    page.screenshot(path=str(ARTIFACTS / "1-overview.png"), full_page=True)

    page.click("nav >> text=Scenarier")
    page.click("a[aria-label^='Klon KL/PLO']")
    page.wait_for_url(re.compile(r"/scenarios/\d+/clone/$"))
    assert "variant ved negotiator" in page.input_value("#id_name")
    page.fill("#id_name", "Mere dækning")
    page.fill("#id_description", "100 fra omstilling til dækning.")
    page.click("text=Opret kopien")
    page.wait_for_url(re.compile(r"/scenarios/\d+/$"))
    assert page.input_value("#id_name") == "Mere dækning"

    # The live preview of the unsaved parameters: first the clone's own 700/600/200.
    page.wait_for_selector("#preview[data-state='fresh']", timeout=15_000)
    assert page.locator("#preview-h").inner_text() == "Forhåndsvisning, ikke gemt"
    assert preview_coverage(page) == 600
    max_load_before = page.inner_text("[data-kpi='max_load']")
    # Inline validation: 600 + 600 + 200 is 1,400, not 1,500; then 700 coverage fixes it.
    page.fill("#id_transition", "600")
    page.wait_for_selector("#err-total:has-text('Fordelingen skal summe')", timeout=10_000)
    assert "1.400 af 1.500" in page.inner_text("[data-split-sum]")
    assert "1.400, ikke 1.500" in page.inner_text("#err-total")
    page.wait_for_selector("#preview[data-state='invalid']", timeout=10_000)
    page.fill("#id_coverage", "700")
    # (expect, not wait_for_function: the page's CSP forbids evaluating a string)
    expect(page.locator("#err-total")).to_have_text("", timeout=10_000)
    # before saving: the area bars and the key figures show 600/700/200
    for _ in range(100):
        if preview_coverage(page) == 700:
            break
        page.wait_for_timeout(100)
    assert preview_coverage(page) == 700
    expect(page.locator("[data-kpi='split']")).to_contain_text("600 · 700 · 200")
    assert page.inner_text("[data-kpi='max_load']") != max_load_before
    page.screenshot(path=str(ARTIFACTS / "2-preview.png"), full_page=False)
    page.fill("#id_sensitivity_draws", "40")
    page.screenshot(path=str(ARTIFACTS / "2-editor.png"), full_page=True)

    page.click("button[name=run]")
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_selector('progress[value="100"]', timeout=60_000)
    page.wait_for_selector('[data-status="succeeded"]')
    page.screenshot(path=str(ARTIFACTS / "3-run-finished.png"), full_page=True)
    page.wait_for_url(re.compile(r"/\?scenario=\d+$"), timeout=15_000)  # on to the results
    results = plotted(page, "areas-chart")
    assert results["traces"] == 3 and results["bars"] >= 21

    from django.contrib.auth.models import User

    from allocation import services

    third = services.clone_scenario(
        scenario=services.ensure_default_scenario(),
        owner=User.objects.get(username=negotiator),
        name="Tilgængelighed 300",
    )
    services.update_scenario(
        scenario=third,
        params={**third.params, "transition": 600, "accessibility": 300, "sensitivity_draws": 40},
    )
    services.request_run(scenario=third)
    page.click("nav >> text=Sammenlign")
    page.wait_for_url(re.compile(r"/compare/"))
    assert page.locator("input[name=s]:checked").count() == 2
    # a third scenario: tick it too, and the key figures stand side by side
    boxes = page.locator("input[name=s]:not([disabled])")
    assert boxes.count() == 3
    for i in range(3):
        boxes.nth(i).check()
    with page.expect_navigation():
        page.click("form.compare-pick button[type=submit]")
    assert page.locator("input[name=s]:checked").count() == 3
    assert page.locator("table.figures-table thead th").count() == 1 + 3 + 2
    assert page.locator("tr[data-figure-key]").count() >= 8
    expect(page.locator("tr[data-figure-key='statutory_deviation']")).not_to_have_class("pending")
    diff_map = plotted(page, "diff-map")
    bars = plotted(page, "diff-bars")
    assert diff_map["regions"] >= 98 and diff_map["points"] == 98
    assert bars["traces"] >= 1 and bars["points"] >= 21
    assert page.locator("tr.area-row").count() == 21
    page.screenshot(path=str(ARTIFACTS / "4-compare.png"), full_page=True)
    # the modebar speaks Danish and has no button that sends the chart elsewhere
    titles = page.evaluate(
        "() => [...document.querySelectorAll('#diff-map .modebar-btn')].map(b => b.dataset.title)"
    )
    assert "Hent grafen som PNG" in titles
    assert not [t for t in titles if "Studio" in t or "cloud" in t.lower()]
    # printed: every municipality, and the run ids with their hashes in the margin
    page.emulate_media(media="print")
    assert page.locator("tr.muni-row").first.is_visible()
    assert not page.locator("form.compare-pick").is_visible()
    pdf = page.pdf(path=str(ARTIFACTS / "5-compare.pdf"), format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 3
    page.emulate_media(media="screen")

    assert errors == []
    assert outside == [], f"requests left the machine: {outside}"


def test_pages_and_api_docs_break_no_policy_and_ask_no_other_server(
    committed_live_server: Any, page: Any, negotiator: str
) -> None:
    live_server = committed_live_server
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", negotiator)
    page.fill("#id_password", "browser-test")
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    plotted(page, "map")
    page.select_option("#geography-select", "regioner")
    assert "geography=" not in page.url  # choosing does not leave the page: the button does
    page.click("form.toolbar button[type=submit]")
    page.wait_for_url(re.compile(r"geography=regioner"))
    plotted(page, "map")
    from django.contrib.auth.models import User

    from allocation import services

    default = services.ensure_default_scenario()
    variant = services.clone_scenario(
        scenario=default, owner=User.objects.get(username=negotiator), name="B"
    )
    services.update_scenario(
        scenario=variant, params={**variant.params, "transition": 600, "coverage": 700}
    )
    services.request_run(scenario=variant)
    page.goto(live_server.url + f"/compare/?s={default.pk}&s={variant.pk}")
    plotted(page, "diff-map")
    toggle = page.locator("button[data-toggle-rows]").first
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=30_000)
    page.goto(live_server.url + "/api/redoc/")
    page.wait_for_selector("[role=menuitem], .menu-content", timeout=30_000)
    page.wait_for_timeout(500)
    assert violations == [], violations
    assert errors == []
    assert outside == [], f"requests left the machine: {outside}"


@pytest.fixture
def planner(committed_db: None, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """Denmark, the demo users, a run of the default scenario, and two files: updated chronic
    counts for Region Nordjylland (XLSX) and a bad CSV (1e308 chronically ill in Aalborg)."""
    import openpyxl
    from django.contrib.auth.models import User

    from accounts.services import create_demo_users
    from allocation import services
    from config.celery import app
    from municipalities.models import DemandIndicator
    from tests.conftest import _ensure_denmark

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    _ensure_denmark()
    create_demo_users(with_admin=False)
    user = User.objects.get(username="planner")  # Region Nordjylland
    user.set_password("browser-test")
    user.save()
    default = services.ensure_default_scenario()
    services.update_scenario(scenario=default, params={**default.params, "sensitivity_draws": 40})
    assert services.request_run(scenario=default).pk
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["kommunekode", "year", "chronic"])
    for value in DemandIndicator.objects.filter(
        municipality__region_id=1081, year=2026, indicator="chronic"
    ).order_by("municipality_id"):
        # Hjørring's count more than triples: a plausibility warning to confirm.
        factor = 3.5 if value.municipality_id == 860 else 1.1
        ws.append([value.municipality_id, 2026, round(value.value * factor)])
    good = tmp_path / "kroniske-nordjylland.xlsx"
    wb.save(good)
    bad = tmp_path / "absurd.csv"
    bad.write_bytes(b"kommunekode;year;chronic\n851;2026;1e308\n")
    yield "planner", good, bad
    app.conf.task_always_eager = eager


def test_planner_uploads_previews_confirms_runs_and_reverts(
    committed_live_server: Any, page: Any, planner: tuple[str, Path, Path]
) -> None:
    live_server = committed_live_server
    from municipalities.models import DemandIndicator
    from tests.checksums import checksums

    ARTIFACTS.mkdir(exist_ok=True)
    username, good, bad = planner
    before = checksums(DemandIndicator)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "browser-test")
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    # The planner lands on their region; the 42 GP shortage municipalities are outlined.
    assert "Region Nordjylland" in page.inner_text("#region-bar")
    page.wait_for_selector('#map[data-rendered="true"]', timeout=30_000)
    outlined = page.evaluate(
        "() => document.getElementById('map').data"
        ".filter(t => t.marker && t.marker.line && t.marker.line.color === '#D55E00')"
        ".map(t => t.locations.length)"
    )
    assert outlined == [42]

    # A bad file: a clear message with row and column, and nothing to confirm.
    page.click("nav >> text=Import")
    page.wait_for_url(re.compile(r"/imports/$"))
    page.set_input_files("input[type=file]", str(bad))
    page.click("button[name=preview]")
    page.wait_for_selector('[data-preview="errors"]')
    text = page.inner_text('[data-preview="errors"]')
    assert "851 Aalborg" in text and "chronic" in text
    assert page.locator("button[name=confirm]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "5-upload-error.png"), full_page=True)
    page.click("button:has-text('Kassér filen')")

    # The planner's XLSX: preview, confirm the warnings, apply.
    page.set_input_files("input[type=file]", str(good))
    page.click("button[name=preview]")
    page.wait_for_selector('[data-preview="ok"]')
    assert page.inner_text('[data-count="updated"]') == "11"
    assert checksums(DemandIndicator) == before
    page.screenshot(path=str(ARTIFACTS / "6-upload-preview.png"), full_page=True)
    page.check("input[name=accept_warnings]")
    page.click("button[name=confirm]")
    page.wait_for_url(re.compile(r"/imports/batches/demand/\d+/"))
    assert checksums(DemandIndicator) != before

    # The shared scenario's re-run: follow it to the end.
    page.click("a[data-run]")
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_selector('progress[value="100"]', timeout=60_000)
    page.wait_for_selector('[data-status="succeeded"]')
    page.screenshot(path=str(ARTIFACTS / "7-upload-run.png"), full_page=True)

    # Revert from the history: the tables are as before.
    page.goto(live_server.url + "/imports/")
    page.click("table a[href*='/imports/batches/demand/']")
    page.click("button[name=revert]")
    page.wait_for_selector('[data-batch="reverted"]')
    page.screenshot(path=str(ARTIFACTS / "8-upload-reverted.png"), full_page=True)
    assert checksums(DemandIndicator) == before
    assert errors == []
