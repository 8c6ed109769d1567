"""Benchmark of the REST API. A script, not a test:

    .venv/bin/python bench/api.py [--seconds 10] [--rounds 2] [--connections 4] [--python-client]

Prepares a database in a temporary folder (SQLite: migrate, load_denmark, one finished run
of the default scenario, an api-client user with a knox token), starts gunicorn on
127.0.0.1 with 2 workers, and drives it with wrk (or, without wrk, a bounded Python client
of threads with keep-alive connections). A second server of 2 workers runs the same code
with `bench.uncached_settings`: its cache never keeps a finished run's serialized results
(bench/uncached.py), so each request builds them again. The endpoints are measured in the
same run, the same way, in turns, with the same token:

- results: area-level results of the finished run, the 21 health clusters
  (/api/v1/runs/<id>/results/?level=area&geography=sundhedsklynger-21), as served (cached);
- results_uncached: the same request to the uncached server;
- bare: /api/v1/ping/, a JSON view with the same authentication, permission and throttling
  as every endpoint, and no work.

Throttling is raised out of the way (API_THROTTLE_*), DEBUG is off. The last line is
`BENCH results_vs_bare=<throughput ratio> results_uncached_vs_bare=... results_p95_ms=...
results_uncached_p95_ms=... bare_p95_ms=... ...`; the floor for results_vs_bare (as
served) is 0.5.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
FLOOR = 0.5

PREPARE = """
import json
from django.contrib.auth.models import Group, User
from knox.models import AuthToken
from accounts.services import ensure_roles
from allocation import services
from allocation.models import RunStatus

ensure_roles()
user, _ = User.objects.get_or_create(username="bench-client")
user.groups.add(Group.objects.get(name="api-client"))
_, token = AuthToken.objects.create(user=user)
run = services.request_run(scenario=services.ensure_default_scenario())
run.refresh_from_db()
assert run.status == RunStatus.SUCCEEDED, (run.status, run.error)
print("PREPARED " + json.dumps({"run": run.pk, "token": token}))
"""

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d p95_us=%d errors=%d non2xx=%d\\n",
    summary.requests, summary.duration, latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Measure:
    requests: int
    seconds: float
    p95_ms: float
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def with_wrk(url: str, token: str, seconds: float, connections: int, script: Path) -> Measure:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "-H",
            f"Authorization: Token {token}",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(
        r"WRK requests=(\d+) duration_us=(\d+) p95_us=(\d+) errors=(\d+) non2xx=(\d+)", out
    )
    if not found:
        sys.exit(f"unexpected wrk output:\n{out}")
    requests, duration, p95, errors, non2xx = map(int, found.groups())
    return Measure(requests, duration / 1e6, p95 / 1000, errors + non2xx)


def with_threads(url: str, token: str, seconds: float, connections: int) -> Measure:
    """A bounded Python client: one keep-alive connection per thread, for ``seconds``."""
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
        mine: list[float] = []
        while time.monotonic() < stop:
            t = time.perf_counter()
            conn.request("GET", target, headers={"Authorization": f"Token {token}"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    p95 = statistics.quantiles(latencies, n=20)[18] * 1000 if len(latencies) > 1 else 0.0
    return Measure(len(latencies), elapsed, p95, errors[0])


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    """gunicorn with 2 workers on a free port; its base URL and process."""
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    return f"http://127.0.0.1:{port}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each endpoint in turn")
    parser.add_argument("--connections", type=int, default=4, help="2 per worker")
    parser.add_argument("--python-client", action="store_true", help="even if wrk is there")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="klyngeplan-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "REDIS_URL": "",
        "DEBUG": "0",
        "DJANGO_ENV": "development",
        "API_THROTTLE_USER": "100000000/min",
        "API_THROTTLE_TOKEN": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        print(f"preparing a database in {tmp} ...", flush=True)
        run_manage(env, "migrate", "--noinput", "-v0")
        run_manage(env, "load_denmark", "-v0")
        prepared = json.loads(
            run_manage(env, "shell", "-c", PREPARE).split("PREPARED ", 1)[1].splitlines()[0]
        )
        base, server = start_server(env)
        servers.append(server)
        base_uncached, server = start_server(
            {**env, "DJANGO_SETTINGS_MODULE": "bench.uncached_settings"}
        )
        servers.append(server)
        wait_for(f"{base}/healthz")
        wait_for(f"{base_uncached}/healthz")
        path = f"/api/v1/runs/{prepared['run']}/results/?level=area&geography=sundhedsklynger-21"
        urls = {
            "results": base + path,
            "results_uncached": base_uncached + path,
            "bare": f"{base}/api/v1/ping/",
        }
        answers = []
        for url in (urls["results"], urls["results_uncached"]):
            request = urllib.request.Request(
                url, headers={"Authorization": f"Token {prepared['token']}"}
            )
            with urllib.request.urlopen(request) as response:
                answers.append(json.load(response))
        rows = answers[0]
        assert len(rows) == 21 and sum(r["total"] for r in rows) == 1500, rows
        assert answers[1] == rows, "the uncached server answers differently"

        use_wrk = shutil.which("wrk") is not None and not args.python_client
        script = tmp / "report.lua"
        script.write_text(WRK_SCRIPT)
        client = "wrk" if use_wrk else "python threads"
        print(f"load: {client}, {args.connections} connections, {args.seconds:g} s each")

        def measure(name: str, seconds: float) -> Measure:
            if use_wrk:
                return with_wrk(urls[name], prepared["token"], seconds, args.connections, script)
            return with_threads(urls[name], prepared["token"], seconds, args.connections)

        for name in urls:  # warm both workers and their connections
            measure(name, 2)
        names = list(urls)
        results: dict[str, list[Measure]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            k = round_ % len(names)  # the order rotates from round to round
            for name in names[k:] + names[:k]:
                m = measure(name, args.seconds)
                if m.errors:
                    sys.exit(f"{name}: {m.errors} failed requests")
                results[name].append(m)
                print(
                    f"  round {round_ + 1} {name:16} {m.throughput:8.1f} req/s  "
                    f"p95 {m.p95_ms:7.2f} ms  ({m.requests} requests)",
                    flush=True,
                )
    finally:
        for running in servers:
            running.terminate()
            running.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)

    def median(name: str, attr: str) -> float:
        return statistics.median(getattr(m, attr) for m in results[name])

    ratio = median("results", "throughput") / median("bare", "throughput")
    uncached = median("results_uncached", "throughput") / median("bare", "throughput")
    verdict = "ok" if ratio >= FLOOR else f"BELOW the floor {FLOOR}"
    print(f"results/bare throughput {ratio:.3f} ({verdict}); uncached {uncached:.3f}")
    print(
        f"BENCH results_vs_bare={ratio:.3f} "
        f"results_uncached_vs_bare={uncached:.3f} "
        f"results_p95_ms={median('results', 'p95_ms'):.2f} "
        f"results_uncached_p95_ms={median('results_uncached', 'p95_ms'):.2f} "
        f"bare_p95_ms={median('bare', 'p95_ms'):.2f} "
        f"results_rps={median('results', 'throughput'):.1f} "
        f"results_uncached_rps={median('results_uncached', 'throughput'):.1f} "
        f"bare_rps={median('bare', 'throughput'):.1f} "
        f"client={'wrk' if client == 'wrk' else 'python'} connections={args.connections}"
    )


if __name__ == "__main__":
    main()
