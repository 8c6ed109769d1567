"""Server time of a municipality page and of the API's explanation, with the rebuilt
explanations cached per run (as served) and with that cache emptied before every request
(each view rebuilding the run with the engine, as before the cache).

Run: .venv/bin/python bench/explanation.py   (builds a throwaway test database, loads
Denmark, runs the default scenario in-process, then measures Lolland, Frederiksberg and
Læsø in turns).

Ends with: BENCH page_uncached_vs_cached=... api_uncached_vs_cached=... page_cached_ms=...
page_uncached_ms=... api_cached_ms=... api_uncached_ms=... first_view_ms=...
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
CODES = (360, 147, 825)


def forget_explanations() -> None:
    """Empty only the explanation entries (the rest of the cache stays as served)."""
    from allocation.models import AllocationRun
    from allocation.selectors import _explanation_key

    keys = [
        _explanation_key(run, code)
        for run in AllocationRun.objects.filter(status="succeeded")
        for code in range(100, 1000)
    ]
    cache.delete_many(keys)


def timed(client: Client, url: str, *, cached: bool) -> float:
    if not cached:
        forget_explanations()
    t = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


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
        call_command("load_denmark", verbosity=0, stdout=io.StringIO())
        create_demo_users(with_admin=False)
        default = services.ensure_default_scenario()
        run = services.request_run(scenario=default)
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
        client = Client()
        client.force_login(User.objects.get(username="negotiator"))
        api = Client()
        api.force_login(User.objects.get(username="negotiator"))
        pages = [f"/municipalities/{c}/" for c in CODES]
        apis = [f"/api/v1/runs/{run.pk}/explanation/{c}/" for c in CODES]
        client.get(pages[0])  # templates and catalogues load on the first request
        first = timed(client, pages[1], cached=False)  # a cold cache: the engine runs
        times: dict[str, list[float]] = {k: [] for k in ("page", "page_u", "api", "api_u")}
        for _ in range(REPEAT):
            for page, url in zip(pages, apis, strict=True):
                # Uncached first: it empties the cache and rebuilds this municipality's
                # explanation, which the cached request after it is then served from.
                times["page_u"].append(timed(client, page, cached=False))
                times["page"].append(timed(client, page, cached=True))
                times["api_u"].append(timed(api, url, cached=False))
                times["api"].append(timed(api, url, cached=True))
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in med.items():
            print(f"{k:>7}: median {v:7.1f} ms over {len(times[k])}")
        print(
            f"BENCH page_uncached_vs_cached={med['page_u'] / med['page']:.1f} "
            f"api_uncached_vs_cached={med['api_u'] / med['api']:.1f} "
            f"page_cached_ms={med['page']:.1f} page_uncached_ms={med['page_u']:.1f} "
            f"api_cached_ms={med['api']:.1f} api_uncached_ms={med['api_u']:.1f} "
            f"first_view_ms={first:.1f}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
