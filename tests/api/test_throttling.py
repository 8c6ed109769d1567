"""Throttling per token and per user (rates from settings, read at each request)."""

from __future__ import annotations

from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.conftest import make_user

pytestmark = pytest.mark.usefixtures("denmark")


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _rates(settings: Any, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000/min", "token": "1000/min", "login": "1000/min"}
        | rates,
    }


def test_each_token_has_its_own_budget(settings: Any) -> None:
    _rates(settings, token="3/min")
    user = make_user("bi", "api-client")
    first, second = (_client(AuthToken.objects.create(user=user)[1]) for _ in range(2))
    assert [first.get("/api/v1/ping/").status_code for _ in range(3)] == [200] * 3
    throttled = first.get("/api/v1/ping/")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert second.get("/api/v1/ping/").status_code == 200


def test_a_user_has_one_budget_across_tokens(settings: Any) -> None:
    _rates(settings, user="4/min")
    user = make_user("bi", "api-client")
    first, second = (_client(AuthToken.objects.create(user=user)[1]) for _ in range(2))
    codes = [c.get("/api/v1/ping/").status_code for c in (first, second, first, second)]
    assert codes == [200] * 4
    assert second.get("/api/v1/ping/").status_code == 429
    other = _client(AuthToken.objects.create(user=make_user("other", "viewer"))[1])
    assert other.get("/api/v1/ping/").status_code == 200


def test_password_guessing_is_throttled(settings: Any) -> None:
    _rates(settings, login="2/min")
    make_user("bi", "api-client")
    client = APIClient()
    wrong = {"username": "bi", "password": "guess"}
    codes = [client.post("/api/v1/auth/login/", wrong).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
