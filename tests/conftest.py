"""Shared fixtures. Denmark is loaded once per test database and shared by every test.

The contract:

- What is shared. When the test database is created, `load_denmark` runs once and commits
  Denmark's reference data (regions, municipalities, geographies, demand indicators), the
  synthetic practice register and the default scenario. Then every table is snapshotted
  (`tests.shared_data`). Every test starts from exactly that committed state.
- Ordinary database tests (`db`, `@pytest.mark.django_db`, `denmark`) run inside a
  transaction that is rolled back: they may change anything, shared rows included.
- Tests whose data another thread or process must see (a live server, a Celery worker) use
  `committed_db` (or `committed_live_server`): no wrapping transaction, so their writes
  commit, and no flush afterwards; every table that differs from before the test is put
  back, row for row. Do not combine it with `db`, which would wrap the test in a
  transaction after all.
- Django's transactional tests (`transactional_db`, `django_db(transaction=True)`,
  pytest-django's `live_server`) still work, but Django empties the database after each
  one. Before the next test starts, the snapshot is written back (a fraction of a second),
  so Denmark is never reloaded; prefer `committed_db`, which only rewrites what changed.
- A module- or session-scoped fixture that commits data through `django_db_blocker` takes
  `shared_data.take()` first and `shared_data.restore()`s it at teardown.
- `denmark` and `_ensure_denmark()` stay for the tests that name them: they check that
  Denmark is there (it always is) and load it only if it is not.
"""

from __future__ import annotations

import datetime
import gc
import hashlib
import io
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import override_settings, setup_databases, teardown_databases
from django.utils import translation
from pytest_django.live_server_helper import LiveServer

from municipalities.models import Municipality
from tests import shared_data


def _own_redis_database_per_worker() -> None:
    """Each pytest-xdist worker uses a Redis database of its own (gw0 the 1st, gw1 the 2nd,
    ...; 0 stays a one-process run's): the broker, the results and the cache, in this
    process and, through REDIS_URL, in the worker and server processes its tests start.
    One worker's `cache.clear()` (a FLUSHDB) must not empty the queue another's Celery
    worker is reading, nor one's cached data status show in another's pages.

    Django's settings are read before any conftest (pytest-django), so they are changed
    here, before the first cache or broker connection."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("REDIS_URL", "")
    if not (worker.startswith("gw") and url):
        return
    from django.conf import settings
    from django.test.signals import setting_changed

    from config.celery import app

    own = urlsplit(url)._replace(path=f"/{1 + int(worker[2:])}").geturl()
    os.environ["REDIS_URL"] = own
    settings.REDIS_URL = settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = own
    for alias in settings.CACHES.values():
        if alias.get("LOCATION") == url:
            alias["LOCATION"] = own
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)
    app.conf.update(broker_url=own, result_backend=own)


_own_redis_database_per_worker()


def _write_bytecode_caches() -> None:
    """Keep Python's compiled modules between runs, even where the environment turns that
    off (PYTHONDONTWRITEBYTECODE, as in this machine's image). Without them every xdist
    worker, and every Django, Celery or gunicorn process a test starts, compiles the project,
    the test modules and pytest's rewritten plugins again: about 6 of a worker's 10 seconds
    before its first test. Popped from the environment, so those processes and the xdist
    workers (started after this) write and reuse them from their first import."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


_write_bytecode_caches()


class _Shared:
    snapshot: shared_data.Snapshot | None = None  # set while the test database exists
    blocker: Any = None


def _ensure_denmark() -> None:
    if Municipality.objects.count() != 98:
        call_command("load_denmark", verbosity=0, stdout=io.StringIO())


@pytest.fixture(scope="session", autouse=True)
def _fast_passwords_everywhere() -> Iterator[None]:
    """A cheap password hasher for the whole session: PBKDF2 is slow on purpose (about half
    a second a password on this machine), and every module that builds the demo site hashes
    four. No test is about the hasher; processes a test starts keep the real one."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _own_login_failure_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed logins count from zero in each test (CI's cache is a shared Redis)."""
    from accounts import lockout

    monkeypatch.setattr(lockout, "cache", LocMemCache(f"lockout-{uuid.uuid4()}", {}))


@pytest.fixture(autouse=True)
def _no_language_from_another_test() -> Iterator[None]:
    """A request activates its language for the thread and nothing deactivates it (the next
    request activates its own); a test after an English request would otherwise read English
    where the default, Danish, is meant."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_data_status_from_another_test() -> None:
    """The footer's data status is cached (in CI, in a Redis that outlives the run); each
    test reads it from its own database, so a page rendered without database access fails
    whatever ran before."""
    from municipalities.selectors import forget_estimated_indicators
    from practices.selectors import forget_register_sources

    forget_estimated_indicators()
    forget_register_sources()


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_modify_db_settings: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """The test database with Denmark loaded (pytest-django's own, replaced: on SQLite a
    copy of a database built earlier from the same code and data is used when there is one,
    see :func:`_denmark_template`)."""
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        template = _denmark_template() if not django_db_createdb else None
        if template is not None and template.exists():
            created = _test_database_from(template)
        else:
            created = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases={DEFAULT_DB_ALIAS},  # type: ignore[arg-type]  # Django iterates it
                keepdb=django_db_keepdb and not django_db_createdb,
            )
            _ensure_denmark()
            if template is not None:
                _save_template(template)
        _Shared.snapshot = shared_data.take()
    _Shared.blocker = django_db_blocker
    yield
    _Shared.snapshot = None
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                _end_other_sessions()
                teardown_databases(created, verbosity=verbosity)
            except Exception as exc:  # as pytest-django's own fixture does
                # A warning, not a failure of the last test; the next run's creation drops
                # the database.
                request.node.warn(pytest.PytestWarning(f"test databases not torn down: {exc!r}"))


def _end_other_sessions() -> None:
    """On PostgreSQL, end the other sessions on this process's own test database before it
    is dropped, which PostgreSQL refuses while one is open. A live server's request thread
    that the browser kept alive can hold one past the last test (its threads are daemons,
    never joined), as can a process a test started and could not stop."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- a migrated SQLite database with Denmark, kept between runs ------------------------------
#
# Migrating and loading Denmark takes each xdist worker 3-4 seconds before its first test.
# On SQLite (in memory) the result is saved once and copied into the next run's test
# databases, under a key of everything that decides its content: the project's code and
# data, the installed packages, Python, SQLite and the day (some loaded values are dated).
# Any change to one of them is a new key, so a kept database is never a stale one. PostgreSQL
# (CI) always migrates and loads afresh; `--create-db` does too.

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / ".pytest_cache" / "denmark"
NOT_CONTENT = {"tests", "bench", "docs", "static", "templates", "locale", "artifacts"}


def _denmark_template() -> Path | None:
    if connection.vendor != "sqlite" or not connection.creation.is_in_memory_db(  # type: ignore[attr-defined]
        connection.creation._get_test_db_name()  # type: ignore[attr-defined]
    ):
        return None
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for line in (
        sys.version,
        sqlite3.sqlite_version,
        str(datetime.date.today()),
        # the installed packages and their versions, as their metadata directories name them
        *sorted(p.name for p in Path(django.__file__).parents[1].glob("*.dist-info")),
    ):
        digest.update(line.encode() + b"\n")
    sources = [root / "pyproject.toml", *sorted((root / "data").rglob("*"))]
    for top in sorted(root.iterdir()):
        if top.is_dir() and not top.name.startswith(".") and top.name not in NOT_CONTENT:
            sources += sorted(top.rglob("*.py"))
    for path in sources:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return TEMPLATE_DIR / f"{digest.hexdigest()[:32]}.sqlite3"


def _save_template(template: Path) -> None:
    TEMPLATE_DIR.mkdir(parents=True, exist_ok=True)
    for old in TEMPLATE_DIR.glob("*.sqlite3"):
        if old != template:
            old.unlink(missing_ok=True)
    partial = template.with_suffix(f".{os.getpid()}.partial")
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    os.replace(partial, template)  # another xdist worker may write the same file: whole only


def _test_database_from(template: Path) -> list[Any]:
    """Point the default connection at its in-memory test database, as Django's
    `create_test_db` does, and fill it from ``template`` instead of migrating."""
    old_name = connection.settings_dict["NAME"]
    name = connection.creation._get_test_db_name()  # type: ignore[attr-defined]
    connection.close()
    settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"] = connection.settings_dict["NAME"] = name
    connection.ensure_connection()
    source = sqlite3.connect(template)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    return [(connection, old_name, True)]


# The modules whose tests take longest (seconds each: a browser, subprocesses, hundreds of
# requests, hypothesis), run first. With pytest-xdist (pyproject's addopts) the workers
# then spend the end of a run sharing out short tests instead of one of them finishing a
# 20-second test alone. Whole modules move, so a module's fixtures are still set up once.
LONG_FIRST = (
    # with PostgreSQL and Redis (skipped at once without them): Celery workers, gunicorn
    "tests/allocation/test_worker_integration.py",
    "tests/allocation/test_faults_integration.py",
    "tests/api/test_schemathesis_live.py",
    "tests/reports/test_browser.py",
    "tests/api/test_schemathesis.py",
    "tests/api/test_permission_matrix.py",
    "tests/config/test_settings.py",
    "tests/allocation/engine/test_engine.py",
    "tests/reports/test_workbook_formats.py",
    "tests/reports/test_data_status.py",
    "tests/imports/test_upload_flow.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return LONG_FIRST.index(path) if path in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)  # stable: the order within each module and of the rest is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything imported so far (Django, numpy, pandas, hypothesis, the test
    modules: some 190,000 objects) out of the garbage collector's sight. Every full
    collection walked them again, about 0.2 s each, 90 times a run."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Write the snapshot back if a transactional test flushed the database."""
    if _Shared.snapshot is None:
        return
    with _Shared.blocker.unblock():
        if not Municipality.objects.exists():
            shared_data.restore(_Shared.snapshot)


@pytest.fixture
def denmark(db: None) -> None:
    """The real reference data and the default synthetic register (always loaded)."""
    _ensure_denmark()


@pytest.fixture
def committed_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access without a wrapping transaction: what the test writes is committed
    and seen by other threads and processes. Afterwards every table the test changed is
    put back as it was (the shared data is not flushed)."""
    with django_db_blocker.unblock():
        before = shared_data.take()
        yield
        shared_data.restore(before)
        # Closed as Django's transactional tests close them: otherwise a connection of the
        # browser test stayed open and PostgreSQL refused to drop the test database.
        for conn in connections.all(initialized_only=True):
            conn.close()


@pytest.fixture(scope="session")
def _committed_live_server(django_db_setup: None, request: pytest.FixtureRequest) -> Iterator[Any]:
    # One server for the session, as pytest-django's: stopping one after each test raced
    # the threads still closing Chromium's keep-alive connections.
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address)
    yield server
    server.stop()


@pytest.fixture
def committed_live_server(committed_db: None, _committed_live_server: Any) -> Iterator[Any]:
    """pytest-django's live server over `committed_db`. (Its `live_server` fixture would
    make the test transactional, and Django would empty the database after it.)"""
    _committed_live_server._live_server_modified_settings.enable()
    yield _committed_live_server
    _committed_live_server._live_server_modified_settings.disable()


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
