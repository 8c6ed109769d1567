"""A run's results: per municipality or area, placements, phase-in, metrics, sensitivity,
explanations; and the comparison of two runs. Finished runs answer conditional requests."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.models import PhasingResult, Placement
from allocation.selectors import (
    compare_rows,
    explanation_get,
    metric_rows,
    phasing_rows,
    placement_list,
    result_rows,
    sensitivity_rows,
)
from api import serializers as s
from api.caching import cached_data
from api.conditional import not_modified, stamp
from api.filters import PhasingFilter, PlacementFilter
from api.pagination import PageNumberPagination
from api.schema import NOT_MODIFIED, errors
from api.views.base import ApiView, paginated, require_geography, succeeded_run

TAG_RESULTS = ["results"]
CONDITIONAL = (
    " A finished run never changes: the response has an ETag and Last-Modified, and "
    "If-None-Match / If-Modified-Since get 304."
)


class RunResultsView(ApiView):
    query_serializer = s.ResultQuery

    @extend_schema(
        tags=TAG_RESULTS,
        summary="New capacities per municipality or per area of a geography",
        description="`level=area&geography=sundhedsklynger-21` gives the 21 health clusters. "
        "Each row has every pillar and the total; `capacities` is the `pillar` asked for."
        + CONDITIONAL,
        parameters=[s.ResultQuery],
        responses={
            200: s.ResultRowSerializer(many=True),
            **NOT_MODIFIED,
            **errors(400, 404, 409),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        query = self.query()
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged

        def build() -> Any:
            require_geography(query["geography"])
            rows = result_rows(
                run=run,
                level=query["level"],
                geography=query["geography"],
                pillar=query.get("pillar"),
            )
            return s.ResultRowSerializer(rows, many=True).data

        data = cached_data([run], ["results", sorted(query.items())], build)
        return stamp(Response(data), request, run)


class RunPlacementsView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = PlacementFilter
    queryset = Placement.objects.none()

    @extend_schema(
        tags=TAG_RESULTS,
        summary="Where each new capacity goes: an existing ydernummer or a new one, and why",
        description="Paginated." + CONDITIONAL,
        responses={200: s.PlacementSerializer(many=True), **NOT_MODIFIED, **errors(400, 404, 409)},
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        placements = self.filtered(placement_list(run=run))
        return stamp(paginated(request, self, placements, s.PlacementSerializer), request, run)


class RunPhasingView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = PhasingFilter
    query_serializer = s.LevelQuery
    queryset = PhasingResult.objects.none()

    @extend_schema(
        tags=TAG_RESULTS,
        summary="Phase-in 2026-2035: new and cumulative capacities per year and pillar",
        description="Per municipality, or summed per area of `geography`. Paginated." + CONDITIONAL,
        parameters=[s.LevelQuery],
        responses={
            200: s.PhasingRowSerializer(many=True),
            **NOT_MODIFIED,
            **errors(400, 404, 409),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        query = self.query()
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        require_geography(query["geography"])
        rows = self.filtered(
            phasing_rows(run=run, level=query["level"], geography=query["geography"])
        )
        return stamp(paginated(request, self, rows, s.PhasingRowSerializer), request, run)


class RunMetricsView(ApiView):
    @extend_schema(
        tags=TAG_RESULTS,
        summary="Metrics before and after: loads, municipalities above the norm, Gini, open share",
        description=CONDITIONAL.strip(),
        responses={200: s.MetricRowSerializer(many=True), **NOT_MODIFIED, **errors(404, 409)},
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        data = cached_data(
            [run], ["metrics"], lambda: s.MetricRowSerializer(metric_rows(run=run), many=True).data
        )
        return stamp(Response(data), request, run)


class RunSensitivityView(ApiView):
    query_serializer = s.SensitivityQuery

    @extend_schema(
        tags=TAG_RESULTS,
        summary="Sensitivity: 5th, 50th and 95th percentiles of each result over the draws",
        description="Areas are those of the scenario's own geography." + CONDITIONAL,
        parameters=[s.SensitivityQuery],
        responses={
            200: s.SensitivityRowSerializer(many=True),
            **NOT_MODIFIED,
            **errors(400, 404, 409),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        query = self.query()
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        data = cached_data(
            [run],
            ["sensitivity", query["level"]],
            lambda: (
                s.SensitivityRowSerializer(
                    sensitivity_rows(run=run, level=query["level"]), many=True
                ).data
            ),
        )
        return stamp(Response(data), request, run)


class RunExplanationView(ApiView):
    @extend_schema(
        tags=TAG_RESULTS,
        summary="Why a municipality gets what it gets: each driver, share, quota and rank",
        description=CONDITIONAL.strip(),
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The explanation."),
            **NOT_MODIFIED,
            **errors(404, 409),
        },
    )
    def get(self, request: Request, pk: int, kommunekode: int) -> HttpResponseBase:
        run = succeeded_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        explanation = explanation_get(run=run, kommunekode=kommunekode)
        if explanation is None:
            raise exceptions.NotFound(f"Run {pk} has no result for municipality {kommunekode}.")
        return stamp(Response(explanation), request, run)


class CompareView(ApiView):
    query_serializer = s.CompareQuery

    @extend_schema(
        tags=TAG_RESULTS,
        summary="Differences between two runs (b minus a), per municipality or area",
        description=CONDITIONAL.strip(),
        parameters=[s.CompareQuery],
        responses={
            200: s.CompareRowSerializer(many=True),
            **NOT_MODIFIED,
            **errors(400, 404, 409),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        query = self.query()
        a = succeeded_run(request, query["a"], label="Run a =")
        b = succeeded_run(request, query["b"], label="Run b =")
        if (unchanged := not_modified(request, a, b)) is not None:
            return unchanged

        def build() -> Any:
            require_geography(query["geography"])
            rows = compare_rows(a=a, b=b, level=query["level"], geography=query["geography"])
            return s.CompareRowSerializer(rows, many=True).data

        data = cached_data([a, b], ["compare", query["level"], query["geography"]], build)
        return stamp(Response(data), request, a, b)
