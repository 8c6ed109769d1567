"""Statement and lock timeouts for the web process's PostgreSQL connections.

Connected by config/wsgi.py only, so the worker (long runs), imports and migrations keep
PostgreSQL's defaults. Each new connection sets them once; persistent connections
(CONN_MAX_AGE) keep them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.backends.signals import connection_created


def set_web_timeouts(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # set_config takes parameters where SET does not
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, false), "
            "set_config('lock_timeout', %s, false)",
            [f"{int(settings.DB_STATEMENT_TIMEOUT)}ms", f"{int(settings.DB_LOCK_TIMEOUT)}ms"],
        )


def limit_web_statements() -> None:
    connection_created.connect(set_web_timeouts, dispatch_uid="klyngeplan-web-timeouts")
