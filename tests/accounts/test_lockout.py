"""Failed logins: per username (strict) and per client address (generous), on the web login
and the API login alike; X-Forwarded-For counts only behind configured trusted proxies."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from rest_framework.test import APIClient

from accounts import lockout
from api.throttling import LoginThrottle
from tests.api.conftest import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("denmark", "_fast")

API = "/api/v1/auth/login/"


@pytest.fixture
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # (passwords are hashed cheaply for the whole session: tests/conftest.py)
    # the API's flood guard counts in a cache of this test's own
    monkeypatch.setattr(LoginThrottle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {}))


def api_login(username: str, password: str, **headers: str) -> Any:
    return APIClient().post(API, {"username": username, "password": password}, **headers)


def web_login(username: str, password: str, **headers: Any) -> Any:
    return Client().post("/login/", {"username": username, "password": password}, **headers)


def test_ten_failures_lock_the_username_even_with_the_right_password() -> None:
    make_user("admin", "admin")
    codes = [api_login("admin", f"guess-{i}").status_code for i in range(10)]
    assert codes == [400] * 10
    locked = api_login("admin", PASSWORD)
    assert locked.status_code == 429 and "token" not in locked.json()
    assert "brugernavn" in locked.json()["detail"] and "Prøv igen kl." in locked.json()["detail"]
    assert 800 < int(locked["Retry-After"]) <= 900
    page = web_login("admin", PASSWORD)
    assert page.status_code == 429 and "_auth_user_id" not in page.client.session
    assert int(page["Retry-After"]) > 800
    # and the admin's own login page, which has no 429 of its own, refuses too
    admin = Client().post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert "_auth_user_id" not in admin.client.session


def test_the_web_login_counts_and_says_when_to_try_again(settings: Any) -> None:
    make_user("viewer", "viewer")
    codes = [web_login("VIEWER", "wrong").status_code for _ in range(10)]
    assert codes == [200] * 10  # the form again, with its error
    page = web_login("viewer", PASSWORD)
    html = page.content.decode()
    assert page.status_code == 429 and "15 minutter" in html and "Prøv igen kl." in html


def test_the_lock_ends_with_the_window(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("viewer", "viewer")
    for _ in range(10):
        api_login("viewer", "wrong")
    assert api_login("viewer", PASSWORD).status_code == 429
    later = time.time() + settings.LOGIN_FAILURE_WINDOW + 1
    monkeypatch.setattr(lockout.time, "time", lambda: later)
    assert api_login("viewer", PASSWORD).status_code == 200


def test_a_made_up_forwarded_for_does_not_bypass(settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 12
    make_user("admin", "admin")
    for i in range(10):
        api_login("admin", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.{i}.1")
    assert api_login("admin", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    # spraying other usernames from one address with a new header each time: address lock
    for i in range(2):
        api_login(f"nobody{i}", "wrong", HTTP_X_FORWARDED_FOR=f"10.1.{i}.1")
    make_user("honest", "viewer")
    spoofed = api_login("honest", PASSWORD, HTTP_X_FORWARDED_FOR="10.8.8.8")
    assert spoofed.status_code == 429
    assert "adresse" in spoofed.json()["detail"]  # the address, not the username, is locked
    assert api_login("honest", PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_the_api_flood_guard_ignores_a_made_up_forwarded_for(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login": "3/min",
        },
    }
    codes = [
        api_login(f"u{i}", "x", HTTP_X_FORWARDED_FOR=f"10.2.{i}.1").status_code for i in range(4)
    ]
    assert codes == [400, 400, 400, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings: Any) -> None:
    settings.NUM_PROXIES = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    make_user("honest", "viewer")
    for i in range(3):
        api_login(f"nobody{i}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    # the proxy saw 203.0.113.5: that address is locked, another client behind it is not
    same = api_login("honest", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    assert same.status_code == 429
    other = api_login("honest", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6")
    assert other.status_code == 200


def test_other_usernames_from_the_same_address_still_log_in() -> None:
    make_user("admin", "admin")
    for _ in range(10):
        api_login("admin", "wrong")
    assert api_login("admin", PASSWORD).status_code == 429
    make_user("planner", "viewer")
    assert api_login("planner", PASSWORD).status_code == 200
    assert web_login("planner", PASSWORD).status_code == 302


def test_fifty_users_behind_one_address_all_log_in() -> None:
    users = [make_user(f"user{i:02d}", "viewer").username for i in range(50)]
    for name in users:  # each mistypes once first, as people do
        assert api_login(name, "typo").status_code == 400
    codes = [api_login(name, PASSWORD).status_code for name in users]
    assert codes == [200] * 50
    assert [web_login(name, PASSWORD).status_code for name in users[:10]] == [302] * 10


def test_a_success_forgets_earlier_failures() -> None:
    make_user("viewer", "viewer")
    for _ in range(9):
        api_login("viewer", "wrong")
    assert api_login("viewer", PASSWORD).status_code == 200
    for _ in range(9):
        api_login("viewer", "wrong")
    assert api_login("viewer", PASSWORD).status_code == 200
