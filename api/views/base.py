"""What every API view shares: parsing input, finding visible runs, paginating."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from allocation.models import AllocationRun, RunStatus
from allocation.selectors import run_get, run_state_get
from api.pagination import PageNumberPagination
from api.plain import plain
from clusters.selectors import geography_exists, geography_slugs


class RunNotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The run has not succeeded."
    default_code = "run_not_ready"


PAGE_PARAMETERS = ("page", "page_size")


class ApiView(APIView):
    """An API view whose query parameters are exactly those it documents.

    ``filterset_class`` (api.filters) and ``query_serializer`` name them; with a paginator,
    ``page`` and ``page_size`` too; ``format`` everywhere. Anything else, an empty value or
    a value with a NUL character is a 400 naming the parameter: a misspelt filter must not
    quietly return the whole list.
    """

    filterset_class: Any = None
    query_serializer: type[Serializer] | None = None
    filter_backends: list[type] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.filterset_class is not None:  # the schema generator lists the filters
            cls.filter_backends = [DjangoFilterBackend]

    def query_names(self, request: Request) -> set[str]:
        names = {"format"}
        if request.method not in ("GET", "HEAD"):
            return names
        if self.filterset_class is not None:
            names |= set(self.filterset_class.base_filters)
        if self.query_serializer is not None:
            names |= field_names(self.query_serializer)
        if getattr(self, "pagination_class", None) is not None:
            names |= set(PAGE_PARAMETERS)
        return names

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        check_query(request, self.query_names(request))

    def filtered(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed and ordered by this view's filters (400 on a bad value)."""
        return DjangoFilterBackend().filter_queryset(self.request, queryset, self)

    def valid_filterset(self) -> FilterSet:
        """This view's filterset over its (empty) queryset, validated as :meth:`filtered`
        validates it: for rows a selector filters itself."""
        backend = DjangoFilterBackend()
        filterset = backend.get_filterset(self.request, self.queryset, self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset

    def query(self) -> dict[str, Any]:
        """The validated ``query_serializer`` parameters."""
        assert self.query_serializer is not None
        names = field_names(self.query_serializer)
        return parse(
            self.query_serializer,
            {k: v for k, v in self.request.query_params.items() if k in names},
        )


_FIELD_NAMES: dict[type[Serializer], frozenset[str]] = {}


def field_names(serializer_class: type[Serializer]) -> frozenset[str]:
    """The names of a serializer's fields, which are fixed by its class: an instance copies
    every declared field, once per request for each query serializer otherwise."""
    found = _FIELD_NAMES.get(serializer_class)
    if found is None:
        found = _FIELD_NAMES[serializer_class] = frozenset(serializer_class().fields)
    return found


def check_query(request: Request, known: set[str]) -> None:
    errors: dict[str, list[str]] = {}
    for name, values in request.query_params.lists():
        if name not in known:
            listed = ", ".join(sorted(known))
            errors[name] = [
                _("Unknown query parameter %(name)r; this endpoint takes %(known)s.")
                % {"name": name, "known": listed}
            ]
        elif any(v == "" for v in values):
            errors[name] = [_("This parameter may not be empty; leave it out instead.")]
        elif any("\x00" in v for v in values):
            errors[name] = [_("Text may not contain NUL characters.")]
        elif name in PAGE_PARAMETERS and not all(
            v.isascii() and v.isdigit() and int(v) >= 1 for v in values
        ):
            errors[name] = [_("A whole number, 1 or more.")]
    if errors:
        raise exceptions.ValidationError(errors)


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


def values_for(
    queryset: QuerySet[Any], serializer_class: type[Serializer], *, added: Iterable[str] = ()
) -> QuerySet[Any]:
    """``queryset`` read as the rows ``serializer_class`` shows: ``.values()`` of its fields'
    sources, but for those ``added`` to the rows afterwards (labels, statuses)."""
    skip = set(added)
    return queryset.values(*(key for key in plain(serializer_class).lookups if key not in skip))


def paginated_rows(
    request: Request,
    view: Any,
    rows: Any,
    serializer_class: type[Serializer],
    *,
    extend: Callable[[list[dict[str, Any]]], Any] | None = None,
) -> Response:
    """:func:`paginated` for rows that are mappings (a ``.values()`` queryset, say from
    :func:`values_for`) and a flat serializer: shaped by api.plain, with no model instance
    built and no field looked up the DRF way. ``extend`` adds to the page's rows what the
    query does not give (the keys passed to :func:`values_for` as ``added``)."""
    paginator = PageNumberPagination()
    page = list(paginator.paginate_queryset(rows, request, view=view) or [])
    if extend is not None:
        extend(page)
    return paginator.get_paginated_response(plain(serializer_class)(page))


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
