"""Load and fault test of the production stack. A script, not a test:

    .venv/bin/python bench/soak.py [--clients 50] [--seconds 60] [--think 1] [--saturate 30]
                                   [--budget 360]

Starts, on 127.0.0.1 only, the stack as production runs it: a PostgreSQL database of its
own on the cluster DATABASE_URL names (``<name>_soak``, made afresh and dropped at the end),
a redis-server of its own on a free port (append-only, as docker-compose.yml runs it),
gunicorn with config/gunicorn.py, a Celery worker (2 processes) and beat, all with
DJANGO_ENV=production (HTTPS redirect and secure cookies off: plain HTTP on 127.0.0.1).
Then:

1. load: ``--clients`` clients (processes of threads, each with its own user, token and
   session, on keep-alive connections) for ``--seconds``: results per area and per
   municipality as JSON and csv-da, run details, the overview and compare pages, and a few
   negotiators cloning scenarios and requesting runs. Each client pauses between requests,
   exponentially with a mean of ``--think`` seconds (1 s: 50 clients then ask for some 45
   requests a second, about what 50 people at work and their scripts would in a minute
   of the busiest kind). Then, for ``--saturate`` seconds, the same clients with no pause:
   the most the stack serves and how long requests wait then (the ``saturated_*`` figures,
   a stress figure). 429s are counted apart (throttling as configured); any other non-2xx
   answer or a failed connection is an error.
2. faults, one after the other: Redis stopped (reads must answer 200, a run request 503
   with JSON) and started again (the waiting run must then finish); a worker's pool process
   killed mid-run (a split sensitivity); the whole worker killed mid-run and started again;
   two ``import_demand`` at once; eight simultaneous requests for one run.
3. it waits (within the budget) until no run is queued or running, and counts: partial runs
   (succeeded without all their rows, or failed with some), orphan runs (still queued or
   running, or queued without a task), and how long the killed runs took to finish or fail.

A worker or beat that exits by itself is started again, as the compose file's restart
policy does, and counted (``worker_restarts``, ``beat_restarts``): Celery's worker exits on
some broker reconnections ("Unrecoverable error" in kombu while it restores unacknowledged
messages), and then nothing consumes until it is back.

The whole is bounded by ``--budget`` seconds; every process it started is stopped at the
end. Lost runs are noticed by the same rule as in production, with shorter bounds so the
soak fits its budget: RUN_HEARTBEAT_EVERY=2, RUN_STALE_AFTER=30, RUN_SWEEP_EVERY=5 (the
defaults are 10, 180 and 30). The last line is

    BENCH rps=... p95_ms=... cached_p95_ms=... page_p95_ms=... errors=... throttled=...
    think_s=... partial_runs=... orphan_runs=... stuck_after_s=... kills=...
    worker_restarts=... beat_restarts=...
    redis_down_reads=... redis_down_run=... imports=... burst_runs=... requests=...
    saturated_rps=... saturated_cached_p95_ms=... saturated_page_p95_ms=...
    saturated_errors=... load_avg=...
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if BIN.exists() else sys.executable
HOST = "127.0.0.1"
DEFAULT_CLUSTER = "postgres://klyngeplan:klyngeplan@127.0.0.1:5432/klyngeplan_faults"
BOUNDS = {"RUN_HEARTBEAT_EVERY": "2", "RUN_STALE_AFTER": "30", "RUN_SWEEP_EVERY": "5"}
WRITERS = 5  # of the clients, the negotiators who clone and request runs

PREPARE = """
import json
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from knox.models import AuthToken
from accounts.services import ensure_roles
from allocation import services
from allocation.models import Visibility

ensure_roles()
default = services.ensure_default_scenario()
variant = services.clone_scenario(scenario=default, owner=None, name="Soak variant")
services.update_scenario(
    scenario=variant, visibility=Visibility.SHARED,
    params={**variant.params, "transition": 600, "coverage": 700},
)
clients = []
for n in range(CLIENTS):
    role = "negotiator" if n < WRITERS else "viewer"
    user = User.objects.create_user(username=f"soak{n}", password=None)
    user.groups.add(Group.objects.get(name=role))
    _, token = AuthToken.objects.create(user=user)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "accounts.backends.LockoutBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    clients.append({"token": token, "session": session.session_key, "writer": n < WRITERS})
runs = [services.request_run(scenario=s).pk for s in (default, variant)]
print("PREPARED " + json.dumps({"clients": clients, "runs": runs,
      "scenarios": [default.pk, variant.pk]}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def load_avg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --- the stack ---------------------------------------------------------------------------


class Stack:
    def __init__(self, cluster: str, tmp: Path, clients: int) -> None:
        url = urllib.parse.urlsplit(cluster)
        self.admin_url = url._replace(path="/postgres").geturl()
        self.db_name = url.path.lstrip("/") + "_soak"
        self.db_url = url._replace(path=f"/{self.db_name}").geturl()
        self.tmp = tmp
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base = f"http://{HOST}:{self.web_port}"
        self.redis: subprocess.Popen[bytes] | None = None
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.stopping = False
        self.restarts: dict[str, int] = {}
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "SECRET_KEY": "soak-only-" + os.urandom(8).hex(),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": self.db_url,
            "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "text",
            "WEB_LISTEN": f"{HOST}:{self.web_port}",
            **BOUNDS,
        }
        self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.env.pop("CELERY_TASK_DEFAULT_QUEUE", None)
        self.env.pop("DATABASE_TEST_NAME", None)

    # the database of its own
    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')

    def drop_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if check and out.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out

    def log(self, name: str) -> Any:
        return (self.tmp / f"{name}.log").open("ab")

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                HOST,
                "--appendonly",
                "yes",
                "--save",
                "",
                "--dir",
                str(self.tmp),
            ],
            stdout=self.log("redis"),
            stderr=subprocess.STDOUT,
        )
        wait_port(self.redis_port)

    def stop_redis(self) -> None:
        stop(self.redis)
        self.redis = None

    def start_web(self) -> None:
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "config/gunicorn.py", "config.wsgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log("web"),
            stderr=subprocess.STDOUT,
        )

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency=2", "-l", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log("worker"),
            stderr=subprocess.STDOUT,
        )

    def start_beat(self) -> None:
        self.beat = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "WARNING",
                f"--schedule={self.tmp / 'celerybeat-schedule'}",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log("beat"),
            stderr=subprocess.STDOUT,
        )

    def pool(self) -> list[int]:
        if self.worker is None:
            return []
        path = Path(f"/proc/{self.worker.pid}/task/{self.worker.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_worker(self) -> None:
        with self.lock:
            for pid in self.pool():
                os.kill(pid, signal.SIGKILL)
            if self.worker is not None:
                self.worker.send_signal(signal.SIGKILL)
                self.worker.wait()
            self.worker = None

    def supervise(self, say: Any) -> None:
        """Start the worker and beat again when one exits by itself, as docker-compose.yml's
        ``restart: unless-stopped`` does (Celery's worker gives up on some broker
        reconnections with an "Unrecoverable error" and exits). Counted in the BENCH line."""

        def watch() -> None:
            while not self.stopping:
                with self.lock:
                    for name in ("worker", "beat"):
                        proc = getattr(self, name)
                        if proc is not None and proc.poll() is not None:
                            say(f"{name} exited by itself ({proc.returncode}): started again")
                            self.restarts[name] = self.restarts.get(name, 0) + 1
                            (self.start_worker if name == "worker" else self.start_beat)()
                time.sleep(1.0)

        threading.Thread(target=watch, daemon=True).start()

    def stop_all(self) -> None:
        self.stopping = True
        with self.lock:
            for proc in (self.beat, self.web, self.worker):
                stop(proc)
        self.stop_redis()


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.3).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port}")


# --- HTTP --------------------------------------------------------------------------------


@dataclass
class Client:
    base: str
    token: str
    session: str
    conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, *, body: Any = None, page: bool = False
    ) -> tuple[int, bytes, dict[str, str]]:
        parsed = urllib.parse.urlsplit(self.base)
        headers = {"Host": HOST}
        if page:
            headers["Cookie"] = f"sessionid={self.session}; django_language=da"
        else:
            headers["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, parsed.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                return response.status, content, {k.lower(): v for k, v in response.getheaders()}
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a keep-alive connection the server closed between requests: reconnect once
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def read_paths(run: int, scenarios: list[int]) -> list[tuple[str, str, bool, int]]:
    """(kind, path, is a page, weight) of the read mix."""
    results = f"/api/v1/runs/{run}/results/"
    return [
        ("cached", f"{results}?level=area&geography=sundhedsklynger-21", False, 20),
        ("cached", f"{results}?level=municipality", False, 12),
        ("cached", f"{results}?level=area&geography=regioner&format=csv-da", False, 8),
        ("cached", f"{results}?level=municipality&format=csv-da", False, 6),
        ("api", f"/api/v1/runs/{run}/", False, 6),
        ("api", "/api/v1/scenarios/", False, 4),
        ("page", f"/?scenario={scenarios[0]}", True, 8),
        ("page", f"/compare/?a={scenarios[0]}&b={scenarios[1]}", True, 6),
        ("page", "/municipalities/787/", True, 4),
    ]


def client_process(
    base: str,
    clients: list[dict[str, Any]],
    run: int,
    scenarios: list[int],
    seconds: float,
    think: float,
    out: Any,
) -> None:
    paths = read_paths(run, scenarios)
    weights = [w for *_, w in paths]
    records: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def one(spec: dict[str, Any], seed: int) -> None:
        rng = random.Random(seed)
        client = Client(base, spec["token"], spec["session"])
        mine: list[tuple[str, int, float]] = []
        next_write = time.monotonic() + rng.uniform(2, 10)
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            try:
                if spec["writer"] and time.monotonic() >= next_write:
                    next_write = time.monotonic() + rng.uniform(8, 14)
                    status, body, _ = client.request(
                        "POST", f"/api/v1/scenarios/{scenarios[0]}/clone/", body={}
                    )
                    mine.append(("clone", status, time.perf_counter() - t))
                    if status == 201:
                        t = time.perf_counter()
                        clone = json.loads(body)["id"]
                        status, _, _ = client.request(
                            "POST", "/api/v1/runs/", body={"scenario": clone}
                        )
                        mine.append(("run", status, time.perf_counter() - t))
                    continue
                kind, path, page, _ = rng.choices(paths, weights)[0]
                status, _, _ = client.request("GET", path, page=page)
                mine.append((kind, status, time.perf_counter() - t))
            except OSError:
                mine.append(("connection", 0, time.perf_counter() - t))
                client.conn = None
            if think:
                # A person reads what came back, an API client paces itself: exponential
                # pauses of mean `think` seconds (0: the next request at once).
                time.sleep(min(rng.expovariate(1 / think), 10 * think))
        with lock:
            records.extend(mine)

    threads = [
        threading.Thread(target=one, args=(spec, hash(spec["token"]) & 0xFFFF)) for spec in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(records)


@dataclass
class Load:
    records: list[tuple[str, int, float]] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, *kinds: str) -> list[tuple[str, int, float]]:
        return [r for r in self.records if r[0] in kinds]

    @staticmethod
    def p95(records: list[tuple[str, int, float]]) -> float:
        times = [r[2] for r in records if r[1] not in (0, 429)]
        return statistics.quantiles(times, n=20)[18] * 1000 if len(times) > 1 else 0.0

    @property
    def errors(self) -> int:
        return sum(1 for r in self.records if r[1] == 0 or (r[1] >= 300 and r[1] != 429))

    @property
    def throttled(self) -> int:
        return sum(1 for r in self.records if r[1] == 429)


def run_load(
    base: str,
    specs: list[dict[str, Any]],
    run: int,
    scenarios: list[int],
    seconds: float,
    think: float,
) -> Load:
    processes = max(1, min(5, len(specs) // 10))
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    groups = [specs[i::processes] for i in range(processes)]
    procs = [
        ctx.Process(target=client_process, args=(base, g, run, scenarios, seconds, think, out))
        for g in groups
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    load = Load()
    for _ in procs:
        load.records.extend(out.get(timeout=seconds + 120))
    for p in procs:
        p.join(timeout=30)
    load.seconds = time.monotonic() - started
    return load


# --- runs --------------------------------------------------------------------------------


def run_state(stack: Stack, run: int) -> tuple[str, str]:
    rows = stack.query("SELECT status, error FROM allocation_allocationrun WHERE id = %s", (run,))
    return (str(rows[0][0]), str(rows[0][1])) if rows else ("missing", "")


def wait_run(stack: Stack, run: int, until: float, *, done: tuple[str, ...]) -> str:
    while time.monotonic() < until:
        status, _ = run_state(stack, run)
        if status in done:
            return status
        time.sleep(0.5)
    return run_state(stack, run)[0]


def wait_stage(stack: Stack, run: int, until: float) -> bool:
    """Until the run computes its sensitivity analysis (the moment to kill it)."""
    while time.monotonic() < until:
        rows = stack.query(
            "SELECT status, stage, stage_count FROM allocation_allocationrun WHERE id = %s", (run,)
        )
        if rows and rows[0][0] == "running" and rows[0][1] == "sensitivity":
            return True
        if rows and rows[0][0] in ("succeeded", "failed"):
            return False
        time.sleep(0.2)
    return False


FINISHED = ("succeeded", "failed")


def request(client: Client, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, content, headers = client.request(method, path, body=body)
    kind = headers.get("content-type", "")
    return status, json.loads(content) if kind.startswith("application/json") else content


def new_scenario(client: Client, base: int, **params: Any) -> int:
    status, body = request(client, "POST", f"/api/v1/scenarios/{base}/clone/", {})
    assert status == 201, (status, body)
    if params:
        status, current = request(client, "GET", f"/api/v1/scenarios/{body['id']}/")
        merged = {**current["params"], **params}
        status, patched = request(
            client, "PATCH", f"/api/v1/scenarios/{body['id']}/", {"params": merged}
        )
        assert status == 200, (status, patched)
    return int(body["id"])


# --- the soak ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a client waits between requests (exponential; 0: none)",
    )
    parser.add_argument(
        "--saturate",
        type=float,
        default=30.0,
        help="seconds of a second load phase without think time (0: none)",
    )
    parser.add_argument("--budget", type=float, default=360.0, help="seconds for everything")
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    args = parser.parse_args()
    began = time.monotonic()
    deadline = began + args.budget
    cluster = os.environ.get("SOAK_DATABASE_URL", DEFAULT_CLUSTER)
    tmp = Path(tempfile.mkdtemp(prefix="klyngeplan-soak-"))
    stack = Stack(cluster, tmp, args.clients)
    report: dict[str, Any] = {}
    killed: dict[int, float] = {}  # run -> when (unix time) its worker was killed
    notes: list[str] = []

    def say(text: str) -> None:
        print(f"[{time.monotonic() - began:6.1f} s] {text}", flush=True)

    try:
        say(f"database {stack.db_name}, redis :{stack.redis_port}, web :{stack.web_port}")
        stack.create_database()
        stack.start_redis()
        stack.manage("migrate", "--noinput", "-v0")
        stack.manage("collectstatic", "--noinput", "-v0")
        stack.manage("load_denmark", "-v0")
        stack.start_worker()
        stack.start_beat()
        stack.start_web()
        stack.supervise(say)
        wait_port(stack.web_port, timeout=40)
        out = stack.manage(
            "shell",
            "-c",
            PREPARE.replace("CLIENTS", str(args.clients)).replace("WRITERS", str(WRITERS)),
        ).stdout
        prepared = json.loads(out.split("PREPARED ", 1)[1].splitlines()[0])
        specs, scenarios = prepared["clients"], prepared["scenarios"]
        for run in prepared["runs"]:
            first = wait_run(stack, run, time.monotonic() + 90, done=FINISHED)
            assert first == "succeeded", (run, first, run_state(stack, run))
        run = prepared["runs"][0]
        admin = Client(stack.base, specs[0]["token"], specs[0]["session"])
        say(
            f"stack up; load: {args.clients} clients for {args.seconds:g} s, "
            f"{args.think:g} s think time (load {load_avg()})"
        )

        # 1. load
        load = run_load(stack.base, specs, run, scenarios, args.seconds, args.think)
        rps = len(load.records) / load.seconds
        report.update(
            rps=f"{rps:.1f}",
            p95_ms=f"{load.p95(load.records):.0f}",
            cached_p95_ms=f"{load.p95(load.of('cached')):.0f}",
            page_p95_ms=f"{load.p95(load.of('page')):.0f}",
            errors=load.errors,
            throttled=load.throttled,
            requests=len(load.records),
            load_avg=load_avg(),
        )
        codes: dict[str, int] = {}
        for kind, status, _ in load.records:
            codes[f"{kind}:{status}"] = codes.get(f"{kind}:{status}", 0) + 1
        say(f"load done: {report} {dict(sorted(codes.items()))}")
        if args.saturate:
            # The same clients with no pause at all: what the stack serves at most, and how
            # long requests wait then (a stress figure, not the target's).
            flat = run_load(stack.base, specs, run, scenarios, args.saturate, 0.0)
            report.update(
                saturated_rps=f"{len(flat.records) / flat.seconds:.1f}",
                saturated_cached_p95_ms=f"{flat.p95(flat.of('cached')):.0f}",
                saturated_page_p95_ms=f"{flat.p95(flat.of('page')):.0f}",
                saturated_errors=flat.errors,
            )
            say(
                f"saturated {args.saturate:g} s: {len(flat.records) / flat.seconds:.1f} rps, "
                f"cached p95 {flat.p95(flat.of('cached')):.0f} ms, "
                f"errors {flat.errors} (load {load_avg()})"
            )

        # 2a. Redis stopped: reads answer, a run request answers 503 and its run waits
        waiting_scenario = new_scenario(admin, scenarios[0], transition=650, coverage=650)
        stack.stop_redis()
        say("redis stopped")
        reads = read_paths(run, scenarios)
        read_codes = [admin.request("GET", path, page=page)[0] for _, path, page, _ in reads]
        started = time.monotonic()
        status, body = request(admin, "POST", "/api/v1/runs/", {"scenario": waiting_scenario})
        answered = time.monotonic() - started
        report["redis_down_reads"] = (
            "200" if set(read_codes) == {200} else ",".join(map(str, read_codes))
        )
        ok_503 = status == 503 and isinstance(body, dict) and "run" in body
        report["redis_down_run"] = f"{status}{'json' if ok_503 else ''}"
        say(f"with redis down: reads {read_codes}, run request {status} in {answered:.2f} s")
        stack.start_redis()
        say("redis started again")
        if ok_503:
            finished = wait_run(
                stack, int(body["run"]), min(deadline, time.monotonic() + 90), done=FINISHED
            )
            say(f"the run asked for while redis was down: {finished}")
            if finished != "succeeded":
                notes.append(f"run {body['run']} after redis came back: {finished}")

        # 2b. a pool process killed mid-run (a split sensitivity analysis: a chord)
        chord_scenario = new_scenario(admin, scenarios[0], sensitivity_draws=16000)
        status, body = request(admin, "POST", "/api/v1/runs/", {"scenario": chord_scenario})
        chord_run = int(body["id"])
        if wait_stage(stack, chord_run, min(deadline, time.monotonic() + 60)):
            time.sleep(1.0)
            for pid in stack.pool()[:1]:
                os.kill(pid, signal.SIGKILL)
            killed[chord_run] = time.time()
            say(f"killed a pool process computing run {chord_run}")
        else:
            notes.append(f"run {chord_run} finished before its pool process could be killed")

        # 2c. the whole worker killed mid-run, then started again (asked for once the chord
        # above has finished, so that the worker is busy with this run when it is killed)
        wait_run(stack, chord_run, min(deadline, time.monotonic() + 120), done=FINISHED)
        long_scenario = new_scenario(admin, scenarios[0], sensitivity_draws=40000)
        status, body = request(admin, "POST", "/api/v1/runs/", {"scenario": long_scenario})
        long_run = int(body["id"])
        if wait_stage(stack, long_run, min(deadline, time.monotonic() + 90)):
            stack.kill_worker()
            killed[long_run] = time.time()
            say(f"killed the whole worker computing run {long_run}")
            time.sleep(2)
            stack.start_worker()
            say("worker started again")
        else:
            notes.append(f"run {long_run} finished before its worker could be killed")

        # 2d. two imports at once
        # This year's values (a later year is a projection, which imports refuse); confirmed
        # plausibility warnings, as a planner would after the preview.
        files = []
        this_year = time.localtime().tm_year
        for name, base in (("a", 4000), ("b", 6000)):
            path = tmp / f"demand-{name}.csv"
            lines = "".join(
                f"{code};{this_year};{base + code}\n" for code in (101, 147, 151, 153, 155)
            )
            path.write_text("kommunekode;year;chronic\n" + lines, encoding="utf-8")
            files.append(path)
        imports = [
            subprocess.Popen(
                [PYTHON, "manage.py", "import_demand", str(f), "--accept-warnings"],
                cwd=ROOT,
                env=stack.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in files
        ]
        results = [p.communicate(timeout=120) for p in imports]
        bad = [
            (p.returncode, err[-300:])
            for p, (_, err) in zip(imports, results, strict=True)
            if p.returncode or "Traceback" in err
        ]
        report["imports"] = "ok" if not bad else "failed"
        if bad:
            notes.append(f"imports: {bad}")
        say(f"two imports at once: {report['imports']}")

        # 2e. eight simultaneous requests for one run
        burst_scenario = new_scenario(admin, scenarios[0], transition=640, coverage=660)
        barrier = threading.Barrier(8)
        answers: list[tuple[int, Any]] = []

        def ask(spec: dict[str, Any]) -> None:
            client = Client(stack.base, spec["token"], spec["session"])
            barrier.wait()
            answers.append(request(client, "POST", "/api/v1/runs/", {"scenario": burst_scenario}))

        burst = [threading.Thread(target=ask, args=(specs[0],)) for _ in range(8)]
        for t in burst:
            t.start()
        for t in burst:
            t.join()
        ids = {b["id"] for s, b in answers if s == 202}
        report["burst_runs"] = len(ids)
        if len(ids) != 1 or any(s != 202 for s, _ in answers):
            notes.append(
                f"burst: {[(s, b.get('id') if isinstance(b, dict) else b) for s, b in answers]}"
            )
        say(f"8 simultaneous run requests: statuses {sorted(s for s, _ in answers)}, runs {ids}")

        # 3. settle and count
        while time.monotonic() < deadline - 10:
            active = stack.query(
                "SELECT count(*) FROM allocation_allocationrun "
                "WHERE status IN ('queued', 'running')"
            )[0][0]
            if not active:
                break
            time.sleep(1)
        stuck = 0.0
        for run_id, at in killed.items():
            rows = stack.query(
                "SELECT status, extract(epoch FROM finished_at) FROM allocation_allocationrun "
                "WHERE id = %s",
                (run_id,),
            )
            status, finished_epoch = rows[0]
            if status in FINISHED and finished_epoch is not None:
                took = float(finished_epoch) - at
                say(f"killed run {run_id}: {status} {took:.0f} s after the kill")
                stuck = max(stuck, took)
            else:
                stuck = max(stuck, time.time() - at)
                notes.append(f"killed run {run_id} still {status}")
        report["stuck_after_s"] = f"{stuck:.0f}"
        partial = stack.query(
            """
            SELECT count(*) FROM allocation_allocationrun r WHERE
              (r.status = 'succeeded' AND (
                 (SELECT count(*) FROM allocation_municipalityresult m WHERE m.run_id = r.id) <> 98
                 OR NOT EXISTS (SELECT 1 FROM allocation_arearesult a WHERE a.run_id = r.id)))
              OR (r.status <> 'succeeded' AND EXISTS (
                 SELECT 1 FROM allocation_municipalityresult m WHERE m.run_id = r.id))
            """
        )[0][0]
        orphans = stack.query(
            "SELECT id, status, task_id FROM allocation_allocationrun "
            "WHERE status IN ('queued', 'running')"
        )
        counts = dict(
            stack.query("SELECT status, count(*) FROM allocation_allocationrun GROUP BY status")
        )
        failed = stack.query(
            "SELECT id, left(error, 160) FROM allocation_allocationrun WHERE status = 'failed'"
        )
        report.update(partial_runs=partial, orphan_runs=len(orphans))
        say(f"runs by status {counts}; failed {failed}; orphans {orphans}")
    finally:
        stack.stop_all()
        try:
            stack.drop_database()
        except psycopg.Error as exc:
            print(f"could not drop {stack.db_name}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for note in notes:
        print(f"NOTE {note}")
    print(f"soak took {time.monotonic() - began:.0f} s (budget {args.budget:g} s)")
    report["think_s"] = f"{args.think:g}"
    report["kills"] = len(killed)
    report["worker_restarts"] = stack.restarts.get("worker", 0)
    report["beat_restarts"] = stack.restarts.get("beat", 0)
    keys = [
        *("rps", "p95_ms", "cached_p95_ms", "page_p95_ms", "errors", "throttled", "think_s"),
        *("partial_runs", "orphan_runs", "stuck_after_s", "kills"),
        *("worker_restarts", "beat_restarts"),
        *("redis_down_reads", "redis_down_run", "imports", "burst_runs", "requests"),
        *("saturated_rps", "saturated_cached_p95_ms", "saturated_page_p95_ms"),
        *("saturated_errors", "load_avg"),
    ]
    print("BENCH " + " ".join(f"{k}={report.get(k, 'n/a')}" for k in keys))


if __name__ == "__main__":
    main()
