"""Tokens for clients (knox: hashed, expiring), who am I, and a bare view for benchmarks."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import lockout, policies
from api import examples as ex
from api import serializers as s
from api.authentication import TokenAuthentication
from api.schema import errors
from api.throttling import LoginThrottle
from api.views.base import ApiView, parse

TAG_AUTH = ["authentication"]


class LoginLocked(exceptions.APIException):
    """429 with Retry-After: too many failed logins for the username or from the address."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail)
        self.wait = wait  # DRF's handler turns it into Retry-After


class LoginView(ApiView):
    """Username and password in, a token out. Tokens are stored hashed and expire."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        tags=TAG_AUTH,
        summary="Get a token for a client",
        examples=[ex.LOGIN, ex.TOKEN],
        description="Send the token as `Authorization: Token <token>`. It expires after the "
        "time in `expiry` (API_TOKEN_TTL_DAYS); administrators can also issue tokens in the "
        "admin (Knox › Auth tokens › Add: the token is shown once).",
        request=s.LoginSerializer,
        responses={200: s.TokenSerializer, **errors(400)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = parse(s.LoginSerializer, request.data)
        refused = lockout.refusal(request=request, username=data["username"])
        if refused is not None:
            raise LoginLocked(refused.message, wait=refused.retry_after)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to log in with that username and password."]}
            )
        instance, token = AuthToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(s.TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class LogoutView(ApiView, knox_views.LogoutView):
    authentication_classes = [TokenAuthentication]  # as every other view: not knox's own

    @extend_schema(
        tags=TAG_AUTH,
        summary="Revoke the token of this request",
        request=None,
        responses={204: None, **errors()},
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)


class LogoutAllView(ApiView, knox_views.LogoutAllView):
    authentication_classes = [TokenAuthentication]

    @extend_schema(
        tags=TAG_AUTH,
        summary="Revoke every token of this user",
        request=None,
        responses={204: None, **errors()},
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)


class MeView(ApiView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAG_AUTH,
        summary="Who you are: roles and (for planners) region",
        responses={200: s.MeSerializer, **errors()},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        body = {
            "username": user.get_username(),
            "roles": sorted(policies.roles_of(user)),
            "region": policies.region_of(user),
            "is_superuser": user.is_superuser,
        }
        return Response(s.MeSerializer(body).data)


class PingView(ApiView):
    """The bare JSON view: authentication, permissions and throttling like every other
    endpoint, no work. bench/api.py measures the results against it."""

    @extend_schema(
        tags=TAG_AUTH,
        summary="Bare authenticated JSON answer (for health checks and benchmarks)",
        responses={200: s.PingSerializer, **errors()},
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
