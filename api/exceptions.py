"""Every error as JSON: ``{"detail": "..."}`` or ``{"field": ["message", ...]}``.

On top of DRF's own handling, a parameter the allocation engine refuses (ParamsError) and a
model validation error become 400 naming their fields.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
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
    return drf_exception_handler(exc, context)
