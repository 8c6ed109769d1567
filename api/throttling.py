"""Throttling per user (all of a user's requests, session or token) and per token.

Rates are read at each request from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (settings,
from the environment: API_THROTTLE_USER, API_THROTTLE_TOKEN, API_THROTTLE_LOGIN).
"""

from __future__ import annotations

from typing import Any

from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_SettingsRate, UserRateThrottle):
    scope = "user"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # anonymous requests are refused before they do any work
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_SettingsRate, SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not isinstance(request.auth, AuthToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.token_key}


class LoginThrottle(_SettingsRate, AnonRateThrottle):
    """Password attempts at the token login, per client address."""

    scope = "login"
