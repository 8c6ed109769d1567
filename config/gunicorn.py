"""gunicorn's settings for the web process, the same in the image and in docker-compose.yml.

Threaded workers (gthread), sized for the machine: two processes per core the process may
use (WEB_WORKERS), each with WEB_THREADS threads. Requests mostly wait on PostgreSQL and
Redis, so threads serve several at once in one process and the processes spread the Python
work across the cores. Each thread holds one persistent database connection (CONN_MAX_AGE):
workers × threads connections per web container (16 on two cores).
"""

from __future__ import annotations

import os


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this container may use
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def sized(*, cpus: int, environ: dict[str, str]) -> tuple[int, int]:
    """(workers, threads): WEB_WORKERS and WEB_THREADS, else 2 per core and 4 threads."""
    workers = int(environ.get("WEB_WORKERS") or max(2, 2 * cpus))
    threads = int(environ.get("WEB_THREADS") or 4)
    return workers, threads


bind = os.environ.get("WEB_LISTEN", "0.0.0.0:8000")
worker_class = "gthread"
workers, threads = sized(cpus=cores(), environ=dict(os.environ))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# A slow client holds a thread, not a whole worker, while its keep-alive lasts.
keepalive = 5
accesslog = None
