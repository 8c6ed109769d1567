"""Shared fixtures: Denmark's reference data is loaded once into the test database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command


def _ensure_denmark() -> None:
    from municipalities.models import Municipality

    if Municipality.objects.count() != 98:
        call_command("load_denmark", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture(autouse=True)
def _own_login_failure_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed logins count from zero in each test (CI's cache is a shared Redis)."""
    from accounts import lockout

    monkeypatch.setattr(lockout, "cache", LocMemCache(f"lockout-{uuid.uuid4()}", {}))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        _ensure_denmark()
    yield


@pytest.fixture
def denmark(db: None) -> None:
    """The real reference data and the default synthetic register (reloaded after a flush)."""
    _ensure_denmark()


@pytest.fixture
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run Celery tasks in-process, whatever REDIS_URL says (unit tests).

    The test's own transaction never commits, so on-commit hooks (which enqueue runs) are
    run at once; the integration tests exercise the real commit path with a real worker.
    """
    from django.db import transaction

    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    yield
    app.conf.task_always_eager = before
