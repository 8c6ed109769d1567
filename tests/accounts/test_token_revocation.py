"""A user's API tokens end when their password changes or they are deactivated."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.conftest import make_user

pytestmark = pytest.mark.usefixtures("denmark")


def _with_token(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    assert client.get("/api/v1/me/").status_code == 200
    return client


def test_a_password_change_revokes_every_token() -> None:
    user, other = make_user("bi", "api-client"), make_user("other", "api-client")
    first, second, others = _with_token(user), _with_token(user), _with_token(other)
    user.set_password("a-new-long-password-8")
    user.save()
    assert first.get("/api/v1/me/").status_code == 401
    assert second.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()
    assert others.get("/api/v1/me/").status_code == 200


def test_a_password_change_through_the_update_fields_path_revokes_too() -> None:
    user = make_user("bi", "api-client")
    client = _with_token(user)
    user.set_password("a-new-long-password-8")
    user.save(update_fields=["password"])
    assert client.get("/api/v1/me/").status_code == 401


def test_deactivation_revokes_every_token() -> None:
    user = make_user("bi", "api-client")
    client = _with_token(user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_other_saves_keep_the_tokens() -> None:
    user = make_user("bi", "api-client")
    client = _with_token(user)
    user.first_name = "Bente"
    user.save()
    assert client.get("/api/v1/me/").status_code == 200
    # a login updates last_login only: no lookup of the old password on that path
    with CaptureQueriesContext(connection) as queries:
        user.save(update_fields=["last_login"])
    assert len(queries) == 1
    assert client.get("/api/v1/me/").status_code == 200


def test_a_password_changed_in_the_admin_revokes_tokens() -> None:
    admin, user = make_user("root", "admin"), make_user("bi", "api-client")
    client = _with_token(user)
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "a-new-long-password-8", "password2": "a-new-long-password-8"},
    )
    assert response.status_code == 302, response.content[:300]
    assert client.get("/api/v1/me/").status_code == 401
