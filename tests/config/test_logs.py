"""JSON log lines with the request's id; task results are summarised, never logged whole."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest
from django.test import Client

from config.celery import app as celery_app
from config.logs import JsonFormatter, RequestIdFilter, TaskResultFilter, request_id


def _record(msg: str, args: Any = None, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("klyngeplan", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_has_time_level_logger_message_and_request_id() -> None:
    token = request_id.set("abc123")
    try:
        record = _record("run %s done", (7,), task_args=[[1, 2, 3]] * 1000)
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert set(line) == {"time", "level", "logger", "message", "request_id"}
    assert line["message"] == "run 7 done" and line["request_id"] == "abc123"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_an_exception_is_one_json_line_with_its_traceback() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text and "ValueError: bad" in json.loads(text)["exception"]


def test_each_response_carries_its_request_id(client: Client, db: None) -> None:
    first, second = client.get("/healthz"), client.get("/login/")
    assert len(second["X-Request-ID"]) == 32
    given = client.get("/login/", HTTP_X_REQUEST_ID="proxy-42.a")
    assert given["X-Request-ID"] == "proxy-42.a"
    made_up = client.get("/login/", HTTP_X_REQUEST_ID="x" * 65 + "\n")
    assert made_up["X-Request-ID"] != "x" * 65 + "\n" and len(made_up["X-Request-ID"]) == 32
    assert "X-Request-ID" not in first  # liveness answers before the id is made


def test_log_lines_within_a_request_carry_its_id(client: Client, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/api/v1/no-such-thing/", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 404
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    RequestIdFilter().filter(record)  # as the console handler does
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-1"


def test_a_short_task_result_stays_a_long_one_becomes_its_size() -> None:
    short = _record("Task %(name)s succeeded: %(return_value)s", None)
    short.args = {"name": "t", "return_value": "'succeeded'"}
    TaskResultFilter().filter(short)
    assert short.getMessage() == "Task t succeeded: 'succeeded'"
    long = _record("Task %(name)s succeeded: %(return_value)s", None)
    long.args = {"name": "t", "return_value": repr([[1] * 50] * 50)}
    TaskResultFilter().filter(long)
    assert long.getMessage().startswith("Task t succeeded: <result of ")
    assert "[1, 1" not in long.getMessage()


@pytest.fixture
def big_result_task() -> Any:
    @celery_app.task(name="tests.config.big_result")
    def big() -> list[list[int]]:
        return [list(range(100)) for _ in range(100)]

    return big


def test_the_worker_never_logs_a_result_array(big_result_task: Any, caplog: Any) -> None:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with caplog.at_level(logging.INFO, logger="celery.app.trace"):
            assert len(big_result_task.delay().get()) == 100
    finally:
        celery_app.conf.task_always_eager = eager
    lines = [r.getMessage() for r in caplog.records if r.name == "celery.app.trace"]
    assert lines and all("99, 0, 1" not in line and "[0, 1, 2" not in line for line in lines)
    assert any("<result of " in line for line in lines)
