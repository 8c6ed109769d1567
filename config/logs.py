"""Logs: one JSON object per line in production, each with the id of its request; task
results summarised, never written out.

The request id comes from the X-Request-ID header when a proxy in front sets a sane one
(so a line here can be matched with the proxy's), else it is made here; the response
carries it back. Celery logs every task's return value at INFO; a sensitivity chunk returns
thousands of draws, so any return value longer than a short summary is replaced by its size.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RESULT_REPR_LIMIT = 120


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (empty outside a request). Django logs
    a 4xx or 5xx answer once the middleware has returned, with the request on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = request_id.get() or getattr(request, "request_id", "")
        return True


class TaskResultFilter(logging.Filter):
    """Celery's "Task ... succeeded in ...s: <return value>": a long value becomes its size."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and isinstance(args.get("return_value"), str):
            value = args["return_value"]
            if len(value) > RESULT_REPR_LIMIT:
                record.args = {**args, "return_value": f"<result of {len(value)} characters>"}
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id and, for an exception, its traceback. Only
    these: a record's other attributes (a task's arguments, say) are never written."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
