"""Every error as JSON: ``{"detail": "..."}`` or ``{"field": ["message", ...]}``.

On top of DRF's own handling, a parameter the allocation engine refuses (ParamsError) and a
model validation error become 400 naming their fields. An error is JSON whatever ``format``
was asked for: a client that asked for CSV still gets a readable reason, not a CSV of it.
Errors Django answers before or after DRF (a 500, a bad Host header, a CSRF refusal) are
JSON under /api/ through the handlers below, which config/urls.py installs.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from allocation.engine import ParamsError


def params_error(exc: ParamsError, *, under: str | None = None) -> exceptions.ValidationError:
    detail: dict[str, Any] = {exc.field: [exc.message]}
    return exceptions.ValidationError({under: detail} if under else detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ParamsError):
        exc = params_error(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        # The view finalises its response with the request's renderer: make it JSON.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    return django_csrf_failure(request, reason)
