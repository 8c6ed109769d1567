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

from allocation.models import MunicipalityResult, Placement
from allocation.selectors import (
    compare_rows,
    explanation_get,
    metric_rows,
    phasing_rows,
    placement_list,
    run_input_rows,
    sensitivity_rows,
    shared_municipality_results,
    tidy_result_rows,
    with_reason_labels,
    with_statuses,
)
from api import examples as ex
from api import serializers as s
from api.caching import cached_data
from api.conditional import not_modified, stamp
from api.filters import MunicipalityResultFilter, PhasingFilter, PlacementFilter, phasing_query
from api.pagination import PageNumberPagination
from api.plain import plain
from api.schema import NOT_MODIFIED, errors
from api.views.base import (
    ApiView,
    paginated_rows,
    require_geography,
    succeeded_run,
    values_for,
    visible_run,
)

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
        examples=[ex.RESULTS],
        description="`level=area&geography=sundhedsklynger-21` gives the 21 health clusters. "
        "Each row has every pillar and the total; `capacities` is the `pillar` asked for. "
        "A tidy dataset: every row carries its `run` and `scenario` (stack two runs by "
        "`run`), and the status of the data its need and supply rest on." + CONDITIONAL,
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
            rows = tidy_result_rows(
                run=run,
                level=query["level"],
                geography=query["geography"],
                pillar=query.get("pillar"),
                region=query.get("region"),
                area=query.get("area"),
                ordering=query.get("ordering"),
            )
            return plain(s.ResultRowSerializer)(rows)

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
        rows = values_for(
            self.filtered(placement_list(run=run)), s.PlacementSerializer, added=["reason_label"]
        )
        response = paginated_rows(
            request, self, rows, s.PlacementSerializer, extend=with_reason_labels
        )
        return stamp(response, request, run)


class RunPhasingView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = PhasingFilter
    query_serializer = s.LevelQuery
    queryset = Placement.objects.none()  # the filters' model, for the schema (api.filters)

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
        filters = phasing_query(self.valid_filterset())
        # Counted from the placements for every page asked for: kept, so that paging through
        # the rows counts them once.
        rows = cached_data(
            [run],
            ["phasing", query["level"], query["geography"], sorted(filters.items())],
            lambda: phasing_rows(
                run=run, level=query["level"], geography=query["geography"], **filters
            ),
        )
        return stamp(paginated_rows(request, self, rows, s.PhasingRowSerializer), request, run)


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
            [run], ["metrics"], lambda: plain(s.MetricRowSerializer)(metric_rows(run=run))
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
            lambda: plain(s.SensitivityRowSerializer)(
                sensitivity_rows(run=run, level=query["level"])
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
            return plain(s.CompareRowSerializer)(rows)

        data = cached_data([a, b], ["compare", query["level"], query["geography"]], build)
        return stamp(Response(data), request, a, b)


class RunInputsView(ApiView):
    query_serializer = s.InputsQuery

    @extend_schema(
        tags=TAG_RESULTS,
        summary="The inputs the run used: demand values with their status, practices, doctors",
        examples=[ex.INPUTS],
        description="Exactly the data the run computed on (its snapshot, whatever changed "
        "since), one table at a time (`table=`). Recomputing the inputs hash over the four "
        "tables and the run's `params` gives the run's `inputs_hash`. Any run that has been "
        "requested has its inputs, finished or not." + CONDITIONAL,
        parameters=[s.InputsQuery],
        responses={200: s.InputsSerializer, **NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        query = self.query()
        run = visible_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged

        def build() -> Any:
            rows = run_input_rows(run=run, table=query["table"])
            if rows is None:
                raise exceptions.NotFound(f"Run {pk} was stored before its inputs were kept.")
            body = {
                "run": run.pk,
                "scenario": run.scenario_id,
                "inputs_hash": run.inputs_hash,
                "table": query["table"],
                "count": len(rows),
                "results": rows,
            }
            return plain(s.InputsSerializer).one(body)

        data = cached_data([run], ["inputs", query["table"]], build)
        response = stamp(Response(data), request, run)
        response["X-Inputs-Hash"] = run.inputs_hash
        return response


class ResultDatasetView(ApiView):
    pagination_class = PageNumberPagination
    filterset_class = MunicipalityResultFilter
    queryset = MunicipalityResult.objects.none()

    @extend_schema(
        tags=TAG_RESULTS,
        summary="Every municipality result of every succeeded run you can see, as one dataset",
        examples=[ex.DATASET],
        description="One row per run and municipality, with `run`, `scenario` and the status "
        "of the data; paginated (`page_size` up to 5000, `Link` and `X-Total-Count` headers). "
        "`?visibility=shared` gives the shared scenarios' runs, `?is_default=true` the default "
        "scenario's.",
        responses={200: s.MunicipalityResultSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        rows = values_for(
            self.filtered(shared_municipality_results(user=request.user)),
            s.MunicipalityResultSerializer,
            added=["need_status", "supply_status"],
        )
        return paginated_rows(
            request, self, rows, s.MunicipalityResultSerializer, extend=with_statuses
        )
