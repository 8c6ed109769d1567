"""The first administrator from DJANGO_SUPERUSER_*: created once, then left alone."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command


def _run() -> str:
    out = io.StringIO()
    call_command("ensure_superuser", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_created_once_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chef")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Lang-og-sikker-adgangskode-2035")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "chef@example.org")
    assert "created" in _run()
    user = User.objects.get(username="chef")
    assert user.is_superuser and user.is_staff and user.email == "chef@example.org"
    assert user.check_password("Lang-og-sikker-adgangskode-2035")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Another-long-password-2036")
    assert "exists" in _run()
    user.refresh_from_db()
    assert user.check_password("Lang-og-sikker-adgangskode-2035")  # not reset


@pytest.mark.django_db
def test_nothing_without_the_variables_and_a_weak_password_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    assert "not set" in _run() and not User.objects.exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chef")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "123")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        _run()
    assert not User.objects.exists()
