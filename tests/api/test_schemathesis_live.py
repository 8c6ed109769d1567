"""schemathesis against a running gunicorn: the schema it serves, over HTTP.

The in-process test (test_schemathesis.py) goes through Django's handler; this one starts
gunicorn on 127.0.0.1 with its own SQLite database (migrated, Denmark loaded, one finished
run, an administrator), reads the schema the server serves and sends a bounded number of
generated requests per operation (``API_LIVE_FUZZ_EXAMPLES``, default 2), as generated and
with their paths pointing at objects that exist. No response may be a server error or break
the schema. Marked integration: CI (.ci/run) runs it; locally ``LIVE_FUZZ=1`` does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.api.test_schemathesis import CHECKS

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
EXAMPLES = int(os.environ.get("API_LIVE_FUZZ_EXAMPLES", "2"))
PASSWORD = "a-long-fuzzing-password-9"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("LIVE_FUZZ") or "postgres" in os.environ.get("DATABASE_URL", "")),
        reason="starts gunicorn: CI runs it (or set LIVE_FUZZ=1)",
    ),
]

PREPARE = f"""
import json
from django.contrib.auth.models import User
from allocation import services
from allocation.models import RunStatus
from practices.models import Practice

User.objects.create_superuser("fuzzer", password={PASSWORD!r})
run = services.request_run(scenario=services.ensure_default_scenario())
run.refresh_from_db()
assert run.status == RunStatus.SUCCEEDED, (run.status, run.error)
practice = Practice.objects.order_by("ydernummer").first()
print("PREPARED " + json.dumps({{"run": run.pk, "ydernummer": practice.ydernummer}}))
"""


def _manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, f"manage.py {' '.join(args)}:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, Any]]]:
    tmp = Path(tempfile.mkdtemp(prefix="klyngeplan-fuzz-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'fuzz.sqlite3'}",
        "REDIS_URL": "",  # tasks in-process, cache in memory
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "API_THROTTLE_USER": "100000000/min",
        "API_THROTTLE_TOKEN": "100000000/min",
        "API_THROTTLE_LOGIN": "100000000/min",
        "LOG_LEVEL": "ERROR",
    }
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "load_denmark", "-v0")
    known = json.loads(
        _manage(env, "shell", "-c", PREPARE).split("PREPARED ", 1)[1].splitlines()[0]
    )
    port = _free_port()
    process = subprocess.Popen(
        [GUNICORN, "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield base, known
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_running_server_conforms_to_the_schema_it_serves(
    server: tuple[str, dict[str, Any]],
) -> None:
    base, known = server
    schema = schemathesis.openapi.from_url(f"{base}/api/schema/?format=json")
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    assert len(operations) >= 28
    real = {
        "id": known["run"],
        "kommunekode": 101,
        "ydernummer": known["ydernummer"],
        "slug": "sundhedsklynger-21",
    }
    session = requests.Session()

    def login() -> dict[str, str]:
        response = session.post(
            f"{base}/api/v1/auth/login/", json={"username": "fuzzer", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Token {response.json()['token']}"}

    # One token for all, but the logout operations revoke tokens (logoutall every one):
    # they get a fresh one, and a new shared token follows them. A login hashes the
    # password, which is slow on purpose, so it is not done per request.
    token = [login()]

    def headers(path: str) -> dict[str, str]:
        if "logout" in path:
            token[0] = login()
            return login()
        return token[0]

    statuses: dict[str, set[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: Any) -> None:
                for path_parameters in (
                    case.path_parameters,
                    {k: real.get(k, v) for k, v in (case.path_parameters or {}).items()},
                ):
                    case.path_parameters = path_parameters
                    sent = headers(case.path)
                    response = case.call(base_url=base, headers=sent, session=session)
                    case.validate_response(response, checks=CHECKS, headers=sent)
                    statuses.setdefault(f"{case.method} {case.path}", set()).add(
                        response.status_code
                    )

            fuzz()

    assert not [k for k, codes in statuses.items() if any(c >= 500 for c in codes)]
    assert 200 in statuses["GET /api/v1/runs/{id}/results/"]
    assert 200 in statuses["GET /api/v1/runs/{id}/inputs/"]
