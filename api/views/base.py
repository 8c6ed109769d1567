"""What every API view shares: parsing input, finding visible runs, paginating."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from allocation.models import AllocationRun, RunStatus
from allocation.selectors import run_get, run_state_get
from api.pagination import PageNumberPagination
from clusters.selectors import geography_exists, geography_slugs


class RunNotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The run has not succeeded."
    default_code = "run_not_ready"


def parse(serializer_class: type[Serializer], data: Any) -> dict[str, Any]:
    """Validated input, or 400 naming each bad field. Query parameters come as a QueryDict;
    a plain dict keeps DRF from treating an absent parameter as an empty form field."""
    if hasattr(data, "dict") and not isinstance(data, dict):
        data = data.dict()
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def require_geography(slug: str, *, field: str = "geography") -> None:
    if not geography_exists(slug=slug):
        known = ", ".join(geography_slugs())
        raise exceptions.ValidationError({field: [f"Unknown geography {slug!r}; one of {known}."]})


def visible_run(request: Request, pk: int, *, label: str = "Run") -> AllocationRun:
    run = run_get(user=request.user, pk=pk)
    if run is None:
        raise exceptions.NotFound(f"{label} {pk} not found.")
    return run


def succeeded_run(request: Request, pk: int, *, label: str = "Run") -> AllocationRun:
    """A visible run that succeeded (404 or 409 otherwise), with only its state loaded."""
    run = run_state_get(user=request.user, pk=pk)
    if run is None:
        raise exceptions.NotFound(f"{label} {pk} not found.")
    if run.status != RunStatus.SUCCEEDED:
        detail = f"{label} {pk} is {run.status}; its results are there once it has succeeded."
        if run.status == RunStatus.FAILED:
            detail = f"{label} {pk} failed, so it has no results: {run.error[:300]}"
        raise RunNotReady(detail)
    return run


def paginated(
    request: Request, view: Any, items: Any, serializer_class: type[Serializer]
) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


@csrf_exempt  # a POST to a wrong path gets the JSON 404, not the CSRF page
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any other path under /api/: a JSON 404 (not Django's HTML page), with a hint when only
    the trailing slash is missing."""
    detail = "No such API endpoint; see /api/docs/."
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            detail = f"No such API endpoint; did you mean {request.path}/ ?"
    return JsonResponse({"detail": detail}, status=404)
