"""Reference data: regions, municipalities with their demand data, geographies, practices."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.services import PRACTICE_EDIT, DataBusy, data_changed, data_lock
from api import examples as ex
from api import serializers as s
from api.filters import IndicatorFilter, MunicipalityFilter, PracticeFilter
from api.pagination import PageNumberPagination
from api.permissions import PracticeAccess
from api.plain import plain
from api.schema import DetailSerializer, errors
from api.views.base import ApiView, paginated_rows, parse, values_for
from clusters.selectors import geographies_with_area_counts, geography_get
from municipalities.models import DemandIndicator, Municipality
from municipalities.selectors import (
    indicator_list,
    municipality_get,
    municipality_queryset,
    municipality_rows,
    region_list,
)
from practices import services as practice_services
from practices.models import API_EDIT, Practice
from practices.selectors import practice_get, practice_list

TAG_REFERENCE = ["reference data"]


class RegionListView(ApiView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="The five regions",
        responses={200: s.RegionSerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        return Response(s.RegionSerializer(region_list(), many=True).data)


class MunicipalityListView(ApiView):
    filterset_class = MunicipalityFilter
    queryset = Municipality.objects.none()  # the schema reads the filters' model from it

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Municipalities with their latest demand indicators",
        description="One row per municipality, each indicator's latest value, year and status "
        "as dotted columns in CSV; `indicators/` has the same data in long format.",
        responses={200: s.MunicipalitySerializer(many=True), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        rows = municipality_rows(municipalities=self.filtered(municipality_queryset()))
        return Response(plain(s.MunicipalitySerializer)(rows))


class IndicatorListView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = IndicatorFilter
    queryset = DemandIndicator.objects.none()

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="The demand data in long format: one row per municipality, indicator and year",
        description="Every stored value with its status (sourced, derived, estimated), source "
        "and whether it was imported; paginated.",
        responses={200: s.IndicatorRowSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        rows = values_for(self.filtered(indicator_list()), s.IndicatorRowSerializer)
        return paginated_rows(request, self, rows, s.IndicatorRowSerializer)


class MunicipalityDetailView(ApiView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="One municipality with its latest demand indicators",
        responses={200: s.MunicipalitySerializer, **errors(404)},
    )
    def get(self, request: Request, kommunekode: int) -> Response:
        municipality = municipality_get(kommunekode=kommunekode)
        if municipality is None:
            raise exceptions.NotFound(f"Municipality {kommunekode} not found.")
        return Response(s.MunicipalitySerializer(municipality).data)


class GeographyListView(ApiView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Planning geographies (each a partition of the 98 municipalities)",
        responses={200: s.GeographySerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        rows = geographies_with_area_counts()
        return Response(s.GeographySerializer(rows, many=True, context={"request": request}).data)


class GeographyDetailView(ApiView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="A geography with its areas and their member municipalities",
        responses={200: s.GeographyDetailSerializer, **errors(404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        geography = geography_get(slug=slug)
        if geography is None:
            raise exceptions.NotFound(f"Geography {slug!r} not found.")
        return Response(s.GeographyDetailSerializer(geography, context={"request": request}).data)


class PracticeListView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = PracticeFilter
    queryset = Practice.objects.none()

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Practices (ydernumre), paginated",
        responses={200: s.PracticeSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        rows = values_for(self.filtered(practice_list()), s.PracticeSerializer)
        return paginated_rows(request, self, rows, s.PracticeSerializer)


class PracticeDetailView(ApiView):
    permission_classes = [PracticeAccess]

    def _practice(self, request: Request, ydernummer: str) -> Practice:
        practice = practice_get(ydernummer=ydernummer)
        if practice is None:
            raise exceptions.NotFound(f"Practice {ydernummer} not found.")
        self.check_object_permissions(request, practice)
        return practice

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="One practice",
        responses={200: s.PracticeSerializer, **errors(404)},
    )
    def get(self, request: Request, ydernummer: str) -> Response:
        return Response(s.PracticeSerializer(self._practice(request, ydernummer)).data)

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Edit a practice (planners, their own region only)",
        examples=[ex.PRACTICE_UPDATE],
        request=s.PracticeUpdateSerializer,
        responses={
            200: s.PracticeSerializer,
            **errors(400, 404),
            409: OpenApiResponse(
                DetailSerializer,
                description="An import of the data is being applied: nothing was changed; "
                "send the edit again in a moment (see the Retry-After header).",
            ),
        },
    )
    def patch(self, request: Request, ydernummer: str) -> Response:
        practice = self._practice(request, ydernummer)
        data = parse(s.PracticeUpdateSerializer, request.data)
        try:
            # The same lock as imports: an edit never interleaves with a batch being applied.
            with data_lock(holder=f"API edit of practice {ydernummer}"):
                # Read again under the lock: an import may have changed it meanwhile.
                current = practice_get(ydernummer=practice.ydernummer) or practice
                changed = practice_services.update_practice(
                    practice=current, user=request.user, reason=API_EDIT, **data
                )
                if changed:
                    data_changed(source=PRACTICE_EDIT, user=request.user)
        except DataBusy:
            return Response(
                {
                    "detail": "An import of the data is being applied, so the practice was "
                    "not changed. Send the edit again in a moment."
                },
                status=status.HTTP_409_CONFLICT,
                headers={"Retry-After": "5"},
            )
        return Response(s.PracticeSerializer(practice_get(ydernummer=ydernummer)).data)
