"""Authentication that refuses a username or client address locked by failed logins."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts import lockout


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username", "")
        if lockout.refusal(request=request, username=username or "") is not None:
            # PermissionDenied stops authenticate() at once: no other backend is asked and
            # the password is not even checked.
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
