"""Server time and query count of the overview and the compare page, against a bare page,
in one process, with the results of finished runs cached (as served) and uncached.

The bare page is a minimal page on the same base template (navigation, language switch,
session and login), served through the same middleware to the same logged-in user: a bare
template render without those is close to zero, so a ratio against it would say nothing.

Uncached: the same pages with the cache of finished runs' rendered results switched off
(bench/uncached.py), so every request builds its figures and tables again; the pages take
turns with the cached ones in every round.

Run: .venv/bin/python bench/pages.py   (builds a throwaway test database, loads Denmark,
runs the default scenario and a 600/700/200 variant in-process, then measures).
The editor's live preview is measured too: its POST (the form's fields, validated, the
engine run in this process on the cached inputs, key figures, map and area bars rendered),
with 600/700/200 and 700/600/200 in turns so no answer is reused.

Ends with: BENCH overview_vs_bare=... compare_vs_bare=... overview_uncached_vs_bare=...
compare_uncached_vs_bare=... overview_queries=... overview_uncached_queries=...
preview_ms=... preview_vs_bare=...
Floors (the cached pages, as served): both ratios <= 3, overview queries <= 15; the
preview's median server time under 250 ms.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import include, path  # noqa: E402

from bench.uncached import ResultsSwitch, without_results  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "40"))
RATIO_FLOOR = 3.0
QUERY_FLOOR = 15
PREVIEW_FLOOR_MS = 250.0


def bare(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]


def results(cached: bool) -> AbstractContextManager[None]:
    return nullcontext() if cached else without_results()


def measure(
    client: Client, pages: dict[str, tuple[str, bool]]
) -> dict[str, tuple[float, int, int]]:
    """Median server time (ms), queries and bytes per page over REPEAT rounds.

    pages: name -> (url, results cached). The pages take turns within each round, so a
    change of load on the machine weighs on all of them alike.
    """
    for url, cached in pages.values():  # warm up: templates, translations, cached results
        for _ in range(3):
            with results(cached):
                assert client.get(url).status_code == 200, url
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(REPEAT):
        for name, (url, cached) in pages.items():
            with results(cached):
                t = time.perf_counter()
                client.get(url)
                times[name].append((time.perf_counter() - t) * 1000)
    out = {}
    for name, (url, cached) in pages.items():
        with results(cached), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        out[name] = (statistics.median(times[name]), len(queries), len(response.content))
    return out


def preview_ms(client: Client, url: str, forms: list[dict[str, Any]]) -> tuple[float, float]:
    """Median and worst server time (ms) of the preview POST over REPEAT rounds."""
    for data in forms:  # warm up: the inputs cache, templates
        response = client.post(url, data)
        assert response.status_code == 200 and b'data-state="fresh"' in response.content
    times = []
    for i in range(REPEAT):
        t = time.perf_counter()
        client.post(url, forms[i % len(forms)])
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def editor_forms(scenario: Any) -> list[dict[str, Any]]:
    """The editor's fields as a browser posts them, for two splits."""
    from reports.forms import ScenarioForm

    out = []
    for split in ((600, 700, 200), (700, 600, 200)):
        data = ScenarioForm.initial_from(scenario)
        data.update(zip(("transition", "coverage", "accessibility"), split, strict=True))
        form: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, bool):
                if value:
                    form[key] = "on"
            elif isinstance(value, float):
                form[key] = f"{value:g}".replace(".", ",")
            else:
                form[key] = value
        out.append(form)
    return out


def cold(client: Client, url: str) -> float:
    """Server time (ms) of a page whose cached results were just cleared."""
    from django.core.cache import cache

    cache.clear()
    t = time.perf_counter()
    assert client.get(url).status_code == 200
    return (time.perf_counter() - t) * 1000


def main() -> int:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from accounts.services import create_demo_users
    from allocation import services
    from config.celery import app

    app.conf.task_always_eager = True
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        t = time.perf_counter()
        call_command("load_denmark", verbosity=0, stdout=io.StringIO())
        create_demo_users(with_admin=False)
        default = services.ensure_default_scenario()
        services.request_run(scenario=default)
        negotiator = User.objects.get(username="negotiator")
        variant = services.clone_scenario(scenario=default, owner=negotiator, name="600/700/200")
        services.update_scenario(
            scenario=variant,
            params={**variant.params, "transition": 600, "coverage": 700, "accessibility": 200},
        )
        services.request_run(scenario=variant, user=negotiator)
        print(f"setup: Denmark and two runs in {time.perf_counter() - t:.1f} s")

        client = Client()
        client.force_login(negotiator)
        compare_url = f"/compare/?s={default.pk}&s={variant.pk}"
        caches = {"default": {"BACKEND": "bench.uncached.ResultsSwitch"}}
        with override_settings(ROOT_URLCONF=__name__, CACHES=caches):
            client.get("/")  # the first request of the process loads templates and catalogues
            first = {"overview": cold(client, "/"), "compare": cold(client, compare_url)}
            rows = measure(
                client,
                {
                    "bare": ("/bench/bare/", True),
                    "overview": ("/", True),
                    "overview_uncached": ("/", False),
                    "compare": (compare_url, True),
                    "compare_uncached": (compare_url, False),
                },
            )
            assert ResultsSwitch.refused > 0, "the uncached pages found no result to leave out"
            preview_median, preview_worst = preview_ms(
                client, f"/scenarios/{variant.pk}/preview/", editor_forms(variant)
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    print(f"{'page':<18}{'median ms':>10}{'queries':>9}{'bytes':>10}")
    for name, (ms, queries, size) in rows.items():
        print(f"{name:<18}{ms:>10.2f}{queries:>9}{size:>10}")
    ratio = {name: rows[name][0] / rows["bare"][0] for name in rows}
    overview_ratio, compare_ratio = ratio["overview"], ratio["compare"]
    overview_queries = rows["overview"][1]
    print(
        "bare = a minimal page on the same base template, same middleware and user "
        f"({REPEAT} rounds, median). A finished run's results are cached (runs are "
        "immutable); *_uncached is the same page with that cache switched off. With the "
        f"whole cache cleared the first request took {first['overview']:.1f} ms (overview) "
        f"and {first['compare']:.1f} ms (compare)."
    )
    print(
        f"BENCH overview_vs_bare={overview_ratio:.2f} compare_vs_bare={compare_ratio:.2f} "
        f"overview_uncached_vs_bare={ratio['overview_uncached']:.2f} "
        f"compare_uncached_vs_bare={ratio['compare_uncached']:.2f} "
        f"overview_queries={overview_queries} "
        f"overview_uncached_queries={rows['overview_uncached'][1]} "
        f"preview_ms={preview_median:.1f} preview_vs_bare={preview_median / rows['bare'][0]:.2f}"
    )
    print(
        f"preview: median {preview_median:.1f} ms, worst {preview_worst:.1f} ms over {REPEAT} "
        "posts (validation, engine on the cached inputs, key figures, map and bars)"
    )
    ok = overview_ratio <= RATIO_FLOOR and compare_ratio <= RATIO_FLOOR
    ok = ok and overview_queries <= QUERY_FLOOR and preview_median < PREVIEW_FLOOR_MS
    if not ok:
        print(
            f"FLOOR MISSED: ratios must be <= {RATIO_FLOOR}, overview queries <= {QUERY_FLOOR}, "
            f"preview < {PREVIEW_FLOOR_MS:.0f} ms"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
