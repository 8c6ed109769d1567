"""Tokens for clients: login, use, expiry, revocation, and issuing one in the admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework.test import APIClient

from tests.api.conftest import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("denmark")


def test_anonymous_gets_401_with_the_scheme() -> None:
    response = APIClient().get("/api/v1/regions/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_login_gives_a_token_that_reads_and_logout_revokes_it() -> None:
    make_user("bi-team", "api-client")
    client = APIClient()
    bad = client.post("/api/v1/auth/login/", {"username": "bi-team", "password": "wrong"})
    assert bad.status_code == 400 and "non_field_errors" in bad.json()
    login = client.post("/api/v1/auth/login/", {"username": "bi-team", "password": PASSWORD})
    assert login.status_code == 200
    token, expiry = login.json()["token"], login.json()["expiry"]
    assert expiry is not None
    stored = AuthToken.objects.get(user__username="bi-team")
    assert token not in (stored.digest, stored.token_key)  # only a hash is kept
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/regions/").status_code == 200
    assert client.get("/api/v1/me/").json()["roles"] == ["api-client"]
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/regions/").status_code == 401


def test_an_expired_token_is_refused() -> None:
    user = make_user("old", "viewer")
    _, token = AuthToken.objects.create(user=user, expiry=timedelta(seconds=-1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/regions/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()  # and dropped


def test_a_request_drops_the_users_other_expired_tokens_and_says_so() -> None:
    """Knox's clean-up, as api/authentication.py does it: the user's other expired tokens go
    (with the token_expired signal), their valid ones and other users' stay."""
    user, other = make_user("nightly", "api-client"), make_user("someone", "api-client")
    _, token = AuthToken.objects.create(user=user)
    valid, _ = AuthToken.objects.create(user=user)
    for _ in range(2):
        AuthToken.objects.create(user=user, expiry=timedelta(seconds=-1))
    theirs, _ = AuthToken.objects.create(user=other, expiry=timedelta(seconds=-1))
    said: list[tuple[str, str]] = []

    def listen(sender: object, username: str, source: str, **kwargs: object) -> None:
        said.append((username, source))

    token_expired.connect(listen)
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/regions/").status_code == 200
    finally:
        token_expired.disconnect(listen)
    assert said == [("nightly", "other_token")] * 2
    left = set(AuthToken.objects.values_list("digest", flat=True))
    assert len(left) == 3 and {valid.digest, theirs.digest} <= left


def test_the_clean_up_reads_only_the_expired_tokens() -> None:
    """A client that logs in for every job keeps many valid tokens; a request must not read
    them all (knox's own clean-up does: if knox stops calling the override, this fails)."""
    user = make_user("per-job", "api-client")
    _, token = AuthToken.objects.create(user=user)
    for _ in range(5):
        AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/regions/").status_code == 200
    table = AuthToken._meta.db_table
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    by_user = [sql for sql in reads if re.search(r'"user_id" = (%s|\d)', sql)]
    assert by_user and all('"expiry" <' in sql for sql in by_user), reads


def test_a_token_without_a_role_reads_nothing() -> None:
    user = make_user("nobody", None)
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/regions/").status_code == 403


def test_an_administrator_issues_a_token_in_the_admin() -> None:
    admin, client_user = make_user("root", "admin"), make_user("ministry", "api-client")
    browser = Client()
    browser.force_login(admin)
    form = browser.get("/admin/knox/authtoken/add/")
    assert form.status_code == 200
    expiry = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    response = browser.post(
        "/admin/knox/authtoken/add/",
        {"user": client_user.pk, "expiry_0": expiry, "expiry_1": "12:00:00"},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    token = next(re.match(r"TOKEN (\S+)", m).group(1) for m in shown if m.startswith("TOKEN "))  # type: ignore[union-attr]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == "ministry"
