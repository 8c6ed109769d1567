"""A small, real site for the page tests: Denmark, the demo roles, the default scenario
and a negotiator's variant, each run once (in-process) for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from reports.context import data_status
from tests import shared_data
from tests.conftest import _ensure_denmark


@dataclass
class Site:
    default: Any
    variant: Any
    private: Any
    default_run: Any
    variant_run: Any
    users: dict[str, User]


@pytest.fixture(scope="module")
def site(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Site]:
    from accounts.services import create_demo_users
    from allocation import services
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with django_db_blocker.unblock():
        _ensure_denmark()
        before = shared_data.take()
        create_demo_users(with_admin=True)
        users = {u.username: u for u in User.objects.all()}
        default = services.ensure_default_scenario()
        # Few sensitivity draws keep the suite quick; the engine tests cover the defaults.
        services.update_scenario(
            scenario=default, params={**default.params, "sensitivity_draws": 60}
        )
        default_run = services.request_run(scenario=default)
        variant = services.clone_scenario(
            scenario=default, owner=users["negotiator"], name="Mere dækning"
        )
        services.update_scenario(
            scenario=variant,
            visibility="shared",
            params={**variant.params, "transition": 600, "coverage": 700, "accessibility": 200},
        )
        variant_run = services.request_run(scenario=variant, user=users["negotiator"])
        private = services.clone_scenario(
            scenario=default, owner=users["negotiator"], name="Privat kladde"
        )
        default_run.refresh_from_db()
        variant_run.refresh_from_db()
        assert default_run.status == "succeeded", default_run.error
        assert variant_run.status == "succeeded", variant_run.error
        yield Site(default, variant, private, default_run, variant_run, users)
        shared_data.restore(before)
    app.conf.task_always_eager = eager


@pytest.fixture
def as_user(site: Site, db: None) -> Any:
    # The footer's data status is cached after a site's first page; the query budgets of
    # the page tests count a page as it is served then (each test reads it from its own
    # database: the shared conftest forgets it before every test).
    data_status()

    def login(username: str, language: str = "da") -> Client:
        client = Client()
        client.force_login(site.users[username])
        if language != "da":
            client.cookies["django_language"] = language  # as the language switch sets it
        return client

    return login
