"""schemathesis, in-process, against the API's own OpenAPI schema.

Hypothesis generates requests for every operation from the schema; each goes through
Django's WSGI handler in this process, inside the test's transaction. Every response must
not be a server error and must conform to the schema (status code, content type, headers,
body). Each case is sent twice: as generated, and with its path pointing at objects that
exist (the finished run, a real municipality, practice, scenario, geography), so the
success paths are fuzzed too, through their query parameters and bodies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models.signals import post_delete
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from allocation.models import AllocationRun
from practices.models import Practice
from tests.api.conftest import make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per schema operation and generation mode (valid and invalid input); about 25 operations,
# each case sent twice: some 900 requests.
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))  # more for a deep run
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def in_process_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, kept from closing the test's database connection after each
    request (as django.test.Client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def generous_throttle(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "user": "100000/min",
            "token": "100000/min",
            "login": "100000/min",
        },
    }


@pytest.fixture
def fresh_headers(db: None) -> Iterator[Callable[[], dict[str, str]]]:
    """Headers with a live token of an administrator: the one in use, or a new one once a
    logout operation revoked it. (Not a new one per request: one token serves the whole fuzz,
    as one serves a client's session, instead of a thousand left behind.)
    The deletion itself (logout, logoutall, any other) says the token is gone, rather than a
    query before every request."""
    admin = make_user("fuzzer", "admin")
    token: list[Any] = []  # (AuthToken, key) in use; emptied when it is deleted

    def forget_deleted(sender: Any, instance: AuthToken, **kwargs: Any) -> None:
        if token and instance.pk == token[0].pk:
            token.clear()

    def headers() -> dict[str, str]:
        if not token:
            token[:] = AuthToken.objects.create(user=admin)
        return {"Authorization": f"Token {token[1]}"}

    post_delete.connect(forget_deleted, sender=AuthToken)
    try:
        yield headers
    finally:
        post_delete.disconnect(forget_deleted, sender=AuthToken)


def _real_path(
    parameters: dict[str, Any], run: AllocationRun, practice: Practice
) -> dict[str, Any]:
    known = {
        "id": run.pk,
        "kommunekode": 101,
        "ydernummer": practice.ydernummer,
        "slug": "sundhedsklynger-21",
    }
    return {key: known.get(key, value) for key, value in parameters.items()}


@pytest.mark.usefixtures("generous_throttle")
def test_api_conforms_to_its_schema(
    finished_run: AllocationRun,
    fresh_headers: Callable[[], dict[str, str]],
    in_process_app: WSGIHandler,
) -> None:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r for r in results if not isinstance(r, Ok)]
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) >= 25
    seen: dict[str, set[int]] = {}
    cases: list[int] = []

    for operation, mode in [(op, m) for op in operations for m in MODES]:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            for path_parameters in (
                case.path_parameters,
                _real_path(case.path_parameters or {}, finished_run, practice),
            ):
                case.path_parameters = path_parameters
                headers = fresh_headers()
                response = case.call(app=in_process_app, headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
                seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
                cases.append(1)

        fuzz()

    assert len(cases) >= 400, len(cases)  # requests sent (hypothesis stops early on few inputs)
    # The fuzzing reached the success paths of the result views, not only their errors.
    assert 200 in seen["GET /api/v1/runs/{id}/results/"]
    assert 200 in seen["GET /api/v1/runs/{id}/placements/"]
    assert 200 in seen["GET /api/v1/practices/{ydernummer}/"]
    assert 201 in seen["POST /api/v1/scenarios/"]
