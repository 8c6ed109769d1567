"""Reference data: regions, municipalities with their demand data, geographies, practices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.services import PRACTICE_EDIT, data_changed
from api import serializers as s
from api.pagination import PageNumberPagination
from api.permissions import PracticeAccess
from api.schema import errors
from api.views.base import paginated, parse, require_geography
from clusters.selectors import geographies_with_area_counts, geography_get
from municipalities.selectors import municipality_get, municipality_list, region_list
from practices import services as practice_services
from practices.models import Practice
from practices.selectors import practice_get, practice_list

TAG_REFERENCE = ["reference data"]


class RegionListView(APIView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="The five regions",
        responses={200: s.RegionSerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        return Response(s.RegionSerializer(region_list(), many=True).data)


class MunicipalityListView(APIView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Municipalities with their latest demand indicators",
        parameters=[s.MunicipalityQuery],
        responses={200: s.MunicipalitySerializer(many=True), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = parse(s.MunicipalityQuery, request.query_params)
        if "area" in query:
            require_geography(query["geography"])
        rows = municipality_list(
            region=query.get("region"), area=query.get("area"), geography=query["geography"]
        )
        return Response(s.MunicipalitySerializer(rows, many=True).data)


class MunicipalityDetailView(APIView):
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


class GeographyListView(APIView):
    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Planning geographies (each a partition of the 98 municipalities)",
        responses={200: s.GeographySerializer(many=True), **errors()},
    )
    def get(self, request: Request) -> Response:
        rows = geographies_with_area_counts()
        return Response(s.GeographySerializer(rows, many=True, context={"request": request}).data)


class GeographyDetailView(APIView):
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


class PracticeListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=TAG_REFERENCE,
        summary="Practices (ydernumre), paginated",
        parameters=[s.PracticeQuery],
        responses={200: s.PracticeSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        query = parse(s.PracticeQuery, request.query_params)
        if "area" in query:
            require_geography(query["geography"])
        practices = practice_list(
            municipality=query.get("municipality"),
            region=query.get("region"),
            area=query.get("area"),
            geography=query["geography"],
            open_to_new_patients=query.get("open"),
            form=query.get("form"),
            source=query.get("source"),
        )
        return paginated(request, self, practices, s.PracticeSerializer)


class PracticeDetailView(APIView):
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
        request=s.PracticeUpdateSerializer,
        responses={200: s.PracticeSerializer, **errors(400, 404)},
    )
    def patch(self, request: Request, ydernummer: str) -> Response:
        practice = self._practice(request, ydernummer)
        data = parse(s.PracticeUpdateSerializer, request.data)
        if practice_services.update_practice(practice=practice, user=request.user, **data):
            data_changed(source=PRACTICE_EDIT, user=request.user)
        return Response(s.PracticeSerializer(practice_get(ydernummer=ydernummer)).data)
