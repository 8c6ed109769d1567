"""docker-compose.yml describes the production stack; Docker itself is not needed to check it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert compose["services"]["db"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"][-2:] or (
        "ping" in " ".join(services["redis"]["healthcheck"]["test"])
    )
    for name in ("web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_one_image_and_exactly_one_beat(compose: dict[str, Any]) -> None:
    services = compose["services"]
    images = {services[n]["image"] for n in ("migrate", "web", "worker", "beat")}
    assert images == {"klyngeplan:latest"}
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "beat" in services["beat"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "gunicorn" in services["web"]["command"]


def test_env_example_names_what_production_needs() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in (
        "DJANGO_ENV=production",
        "SECRET_KEY=",
        "ALLOWED_HOSTS=",
        "DATABASE_URL=",
        "REDIS_URL=",
        "POSTGRES_PASSWORD=",
    ):
        assert name in text


def test_web_is_published_on_localhost_by_default(compose: dict[str, Any]) -> None:
    (port,) = compose["services"]["web"]["ports"]
    assert port.startswith("${WEB_BIND:-127.0.0.1}:")


def test_migrate_loads_makes_the_first_administrator_and_the_first_run(
    compose: dict[str, Any],
) -> None:
    migrate = compose["services"]["migrate"]
    script = " ".join(migrate["command"])
    steps = ["migrate --noinput", "load_denmark", "ensure_superuser", "ensure_default_run"]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions)
    assert migrate["depends_on"]["redis"]["condition"] == "service_healthy"  # run is queued


def _gunicorn_workers(words: list[str]) -> int:
    return int(words[words.index("--workers") + 1])


def test_one_gunicorn_worker_count_everywhere(compose: dict[str, Any]) -> None:
    in_compose = _gunicorn_workers(compose["services"]["web"]["command"])
    cmd = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    in_dockerfile = _gunicorn_workers(json.loads(cmd.removeprefix("CMD ")))
    readme = (ROOT / "README.md").read_text()
    in_readme = {int(n) for n in re.findall(r"gunicorn with (\d+)\s+workers", readme)}
    assert in_compose == in_dockerfile and in_readme == {in_compose}


def test_the_image_has_no_secrets_two_stages_and_a_healthcheck() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.M)) == 2
    assert "COPY --from=build" in dockerfile and "USER klyngeplan" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", dockerfile, flags=re.M)


def test_the_example_environment_admits_the_healthcheck(compose: dict[str, Any]) -> None:
    """The web healthcheck calls 127.0.0.1:8000/healthz; that path answers before the host
    check, and the example's ALLOWED_HOSTS takes localhost and 127.0.0.1 besides."""
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in probe
    env = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert {"localhost", "127.0.0.1"} <= set(env["ALLOWED_HOSTS"].split(","))
    assert settings.MIDDLEWARE[0] == "config.health.LivenessMiddleware"


def _has_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(
    not _has_compose(),
    reason="no docker compose plugin on this machine",
)
def test_docker_compose_config(tmp_path: Path) -> None:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
