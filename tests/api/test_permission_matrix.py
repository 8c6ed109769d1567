"""Every route for every role: roles × endpoints × methods → the expected status.

The table is written out in full, one row per route and method, one column per role, so a
change in the rules shows up as a changed row. Requests go through real knox tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlsplit

from django.urls import resolve

from api.urls import v1
from tests.api.conftest import PASSWORD, ROLES, World

# Columns: anonymous, no-role, viewer, api-client, planner-nordjylland, planner-hovedstaden,
# negotiator-owner, negotiator-other, admin (the order of ROLES).
ALL_READERS = (401, 403, 200, 200, 200, 200, 200, 200, 200)
OWNER_ONLY = (401, 403, 404, 404, 404, 404, 200, 404, 200)


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    expected: tuple[int, ...]
    body: Callable[[World, str], dict[str, Any]] | None = None
    without_token: bool = False  # the login takes a password, not a token
    fresh_token: bool = False  # logging out revokes the token: use one of its own


def run_path(suffix: str, *, private: bool = False) -> Callable[[World], str]:
    def build(w: World) -> str:
        run = w.private_run if private else w.shared_run
        return f"/api/v1/runs/{run.pk}/{suffix}"

    return build


def fixed(path: str) -> Callable[[World], str]:
    return lambda w: path


RESULT_SUFFIXES = (
    "",
    "results/",
    "results/?level=area&geography=sundhedsklynger-21",
    "inputs/",
    "inputs/?table=practices&format=xlsx",
    "placements/",
    "phasing/",
    "metrics/",
    "sensitivity/",
    "explanation/101/",
)

ROUTES: list[Route] = [
    # open to everyone: the schema, the docs and the token login
    Route("GET", fixed("/api/schema/"), (200,) * 9),
    Route("GET", fixed("/api/docs/"), (200,) * 9),
    Route("GET", fixed("/api/redoc/"), (200,) * 9),
    Route(
        "POST",
        fixed("/api/v1/auth/login/"),
        (400, 200, 200, 200, 200, 200, 200, 200, 200),
        body=lambda w, role: {"username": username(w, role), "password": PASSWORD},
        without_token=True,
    ),
    # any authenticated user; a role is needed for everything else
    Route("GET", fixed("/api/v1/me/"), (401, 200, 200, 200, 200, 200, 200, 200, 200)),
    Route("GET", fixed("/api/v1/ping/"), ALL_READERS),
    # reference data
    Route("GET", fixed("/api/v1/regions/"), ALL_READERS),
    Route("GET", fixed("/api/v1/municipalities/"), ALL_READERS),
    Route("GET", fixed("/api/v1/municipalities/101/"), ALL_READERS),
    Route("GET", fixed("/api/v1/municipalities/indicators/"), ALL_READERS),
    # every result of the runs the user may see (another's private runs are left out)
    Route("GET", fixed("/api/v1/results/"), ALL_READERS),
    Route("GET", fixed("/api/v1/geographies/"), ALL_READERS),
    Route("GET", fixed("/api/v1/geographies/sundhedsklynger-21/"), ALL_READERS),
    Route("GET", fixed("/api/v1/practices/"), ALL_READERS),
    Route("GET", lambda w: f"/api/v1/practices/{w.hoved_practice.ydernummer}/", ALL_READERS),
    # a planner edits practices of their own region only
    Route(
        "PATCH",
        lambda w: f"/api/v1/practices/{w.hoved_practice.ydernummer}/",
        (401, 403, 403, 403, 403, 200, 403, 403, 200),
        body=lambda w, role: {"listed_patients": 2500},
    ),
    Route(
        "PATCH",
        lambda w: f"/api/v1/practices/{w.nord_practice.ydernummer}/",
        (401, 403, 403, 403, 200, 403, 403, 403, 200),
        body=lambda w, role: {"open_to_new_patients": True},
    ),
    Route(
        "PUT",
        lambda w: f"/api/v1/practices/{w.nord_practice.ydernummer}/",
        (401, 403, 405, 405, 405, 405, 405, 405, 405),
        body=lambda w, role: {},
    ),
    # scenarios: negotiators create; owners edit; a private one is nobody else's business
    Route("GET", fixed("/api/v1/scenarios/"), ALL_READERS),
    Route(
        "POST",
        fixed("/api/v1/scenarios/"),
        (401, 403, 403, 403, 403, 403, 201, 201, 201),
        body=lambda w, role: {"name": "New", "params": {"sensitivity_draws": 50}},
    ),
    Route("GET", lambda w: f"/api/v1/scenarios/{w.shared.pk}/", ALL_READERS),
    Route("GET", lambda w: f"/api/v1/scenarios/{w.private.pk}/", OWNER_ONLY),
    Route(
        "PATCH",
        lambda w: f"/api/v1/scenarios/{w.shared.pk}/",
        (401, 403, 403, 403, 403, 403, 200, 403, 200),
        body=lambda w, role: {"description": "edited"},
    ),
    Route(
        "PATCH",
        lambda w: f"/api/v1/scenarios/{w.private.pk}/",
        OWNER_ONLY,
        body=lambda w, role: {"description": "edited"},
    ),
    Route(
        "DELETE",
        lambda w: f"/api/v1/scenarios/{w.shared.pk}/",
        (401, 403, 405, 405, 405, 405, 405, 405, 405),
    ),
    Route(
        "POST",
        lambda w: f"/api/v1/scenarios/{w.shared.pk}/clone/",
        (401, 403, 403, 403, 403, 403, 201, 201, 201),
        body=lambda w, role: {},
    ),
    Route(
        "POST",
        lambda w: f"/api/v1/scenarios/{w.private.pk}/clone/",
        (401, 403, 403, 403, 403, 403, 201, 404, 201),
        body=lambda w, role: {},
    ),
    # a preview runs the engine in the web process: those who request runs
    Route(
        "POST",
        fixed("/api/v1/scenarios/preview/"),
        (401, 403, 403, 403, 200, 200, 200, 200, 200),
        body=lambda w, role: {"params": {"transition": 600, "coverage": 700}},
    ),
    # runs: planners and negotiators request them, on scenarios they can see
    Route("GET", fixed("/api/v1/runs/"), ALL_READERS),
    Route(
        "POST",
        fixed("/api/v1/runs/"),
        (401, 403, 403, 403, 202, 202, 202, 202, 202),
        body=lambda w, role: {"scenario": w.shared.pk},
    ),
    Route(
        "POST",
        fixed("/api/v1/runs/"),
        (401, 403, 400, 400, 400, 400, 202, 400, 202),
        body=lambda w, role: {"scenario": w.private.pk},
    ),
    Route("DELETE", run_path(""), (401, 403, 405, 405, 405, 405, 405, 405, 405)),
    *(Route("GET", run_path(s), ALL_READERS) for s in RESULT_SUFFIXES),
    *(Route("GET", run_path(s, private=True), OWNER_ONLY) for s in RESULT_SUFFIXES),
    Route(
        "GET",
        lambda w: f"/api/v1/compare/?a={w.shared_run.pk}&b={w.shared_run.pk}",
        ALL_READERS,
    ),
    Route(
        "GET",
        lambda w: f"/api/v1/compare/?a={w.shared_run.pk}&b={w.private_run.pk}&level=area",
        OWNER_ONLY,
    ),
    # last: logging out revokes tokens (logoutall: every token of the user)
    Route(
        "POST",
        fixed("/api/v1/auth/logout/"),
        (401, 204, 204, 204, 204, 204, 204, 204, 204),
        fresh_token=True,
    ),
    Route(
        "POST",
        fixed("/api/v1/auth/logoutall/"),
        (401, 204, 204, 204, 204, 204, 204, 204, 204),
        fresh_token=True,
    ),
]


def username(w: World, role: str) -> str:
    user = w.users[role]
    return user.username if user is not None else ""


def test_permission_matrix(world: World) -> None:
    """One world for all roles (building it runs two allocations); every mismatch is listed."""
    anonymous = world.client("anonymous")
    wrong = []
    for column, role in enumerate(ROLES):
        with_token = world.client(role)
        for route in ROUTES:
            path = route.path(world)
            body = route.body(world, role) if route.body else None
            client = anonymous if route.without_token else with_token
            if route.fresh_token:
                client = world.client(role)
            response = client.generic(
                route.method,
                path,
                data="" if body is None else json.dumps(body),
                content_type="application/json",
            )
            expected = route.expected[column]
            if response.status_code != expected:
                wrong.append(
                    f"{role:20} {route.method} {path}: {response.status_code}, expected "
                    f"{expected}: {response.content[:120]!r}"
                )
    assert not wrong, "\n".join(wrong)


def test_the_matrix_covers_every_route() -> None:
    """A new endpoint fails this until it has a row in the table."""
    stand_in = SimpleNamespace(pk=1, ydernummer="1")
    world = cast(
        World,
        SimpleNamespace(
            shared=stand_in,
            private=stand_in,
            shared_run=stand_in,
            private_run=stand_in,
            nord_practice=stand_in,
            hoved_practice=stand_in,
        ),
    )
    covered = {resolve(urlsplit(route.path(world)).path).url_name for route in ROUTES}
    every = {p.name for p in v1} | {"schema", "docs", "redoc"}
    assert every - covered == set()
