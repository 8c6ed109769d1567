"""Scenarios (create, read, update, clone) and runs (list, detail, request)."""

from __future__ import annotations

from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from allocation import services
from allocation.engine import ParamsError
from allocation.models import AllocationRun, Scenario
from allocation.selectors import run_get, run_list, scenario_get, scenario_list_with_latest_run
from api import examples as ex
from api import serializers as s
from api.conditional import not_modified, stamp
from api.exceptions import params_error
from api.filters import RunFilter, ScenarioFilter
from api.pagination import PageNumberPagination
from api.permissions import RunRequest, ScenarioAccess
from api.schema import NOT_MODIFIED, DetailSerializer, errors
from api.views.base import ApiView, paginated, parse, visible_run

TAG_SCENARIOS = ["scenarios"]
RETRY_AFTER = 30  # seconds: about when the sweep next dispatches waiting runs
TAG_RUNS = ["runs"]


class ScenarioIsLocked(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The scenario is agreed and therefore locked; clone it to change it."
    default_code = "scenario_locked"


LOCKED_RESPONSE = OpenApiResponse(
    DetailSerializer, description="The scenario is agreed, so locked: clone it to change it."
)


def _created(request: Request, serializer: s.ScenarioSerializer) -> Response:
    data = serializer.data
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


class ScenarioListView(ApiView):
    permission_classes = [ScenarioAccess]
    pagination_class = PageNumberPagination
    filterset_class = ScenarioFilter
    queryset = Scenario.objects.none()

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="Scenarios you can see: shared ones and your own",
        responses={200: s.ScenarioSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request) -> Response:
        scenarios = self.filtered(scenario_list_with_latest_run(user=request.user))
        return paginated(request, self, scenarios, s.ScenarioSerializer)

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="Create a scenario (negotiators)",
        examples=[ex.SCENARIO_CREATE],
        request=s.ScenarioCreateSerializer,
        responses={201: s.ScenarioSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = parse(s.ScenarioCreateSerializer, request.data)
        try:
            scenario = services.create_scenario(owner=request.user, **data)
        except ParamsError as exc:
            raise params_error(exc, under="params") from exc
        return _created(request, s.ScenarioSerializer(scenario, context={"request": request}))


class ScenarioDetailView(ApiView):
    permission_classes = [ScenarioAccess]

    def _scenario(self, request: Request, pk: int) -> Scenario:
        scenario = scenario_get(user=request.user, pk=pk)
        if scenario is None:
            raise exceptions.NotFound(f"Scenario {pk} not found.")
        self.check_object_permissions(request, scenario)
        return scenario

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="One scenario",
        responses={200: s.ScenarioSerializer, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        scenario = self._scenario(request, pk)
        return Response(s.ScenarioSerializer(scenario, context={"request": request}).data)

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="Edit a scenario (its owner)",
        examples=[ex.SCENARIO_UPDATE],
        description="A new `status` is a step of the scenario's life: draft → proposed → "
        "agreed (or proposed → draft), recorded with who and when. An agreed scenario is "
        "locked: any edit answers 409 with the reason; clone it to change it.",
        request=s.ScenarioUpdateSerializer,
        responses={200: s.ScenarioSerializer, **errors(400, 404), 409: LOCKED_RESPONSE},
    )
    def patch(self, request: Request, pk: int) -> Response:
        scenario = self._scenario(request, pk)
        data = parse(s.ScenarioUpdateSerializer, request.data)
        try:
            services.update_scenario(scenario=scenario, user=request.user, **data)
        except services.ScenarioLocked as exc:
            raise ScenarioIsLocked(str(exc)) from exc
        except ParamsError as exc:
            raise params_error(exc, under="params") from exc
        return Response(s.ScenarioSerializer(scenario, context={"request": request}).data)


class ScenarioCloneView(ApiView):
    permission_classes = [ScenarioAccess]

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="Clone a scenario you can see into a private draft of your own (negotiators)",
        examples=[ex.CLONE],
        request=s.CloneSerializer,
        responses={201: s.ScenarioSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        original = scenario_get(user=request.user, pk=pk)
        if original is None:
            raise exceptions.NotFound(f"Scenario {pk} not found.")
        self.check_object_permissions(request, original)
        data = parse(s.CloneSerializer, request.data)
        clone = services.clone_scenario(scenario=original, owner=request.user, **data)
        return _created(request, s.ScenarioSerializer(clone, context={"request": request}))


class RunListView(ApiView):
    permission_classes = [RunRequest]
    pagination_class = PageNumberPagination
    filterset_class = RunFilter
    queryset = AllocationRun.objects.none()

    @extend_schema(
        tags=TAG_RUNS,
        summary="Runs of the scenarios you can see, newest first",
        examples=[ex.RUNS],
        description="`?scenario=ID&status=succeeded&ordering=-finished_at` puts the latest "
        "finished run of a scenario first.",
        responses={200: s.RunSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        runs = self.filtered(run_list(user=request.user))
        return paginated(request, self, runs, s.RunSerializer)

    @extend_schema(
        tags=TAG_RUNS,
        summary="Request a run of a scenario (planners and negotiators)",
        examples=[ex.RUN_REQUEST],
        description="Answers 202 with the run and its URL (also in `Location`); poll the run "
        "for status and progress. An identical run (same data and parameters) that is "
        "queued, running or succeeded is returned instead of a new one.",
        request=s.RunRequestSerializer,
        responses={
            202: OpenApiResponse(s.RunDetailSerializer, description="The requested run."),
            **errors(400, 503),
        },
    )
    def post(self, request: Request) -> Response:
        data = parse(s.RunRequestSerializer, request.data)
        scenario = scenario_get(user=request.user, pk=data["scenario"])
        if scenario is None:
            raise exceptions.ValidationError(
                {"scenario": [f"No scenario {data['scenario']} that you can see."]}
            )
        self.check_object_permissions(request, scenario)
        try:
            run = services.request_user_run(scenario=scenario, user=request.user)
        except services.BrokerUnavailable as exc:
            return Response(
                {
                    "detail": "The task queue is unreachable, so the run cannot start now. It "
                    "is kept queued and starts by itself when the queue is back.",
                    "run": exc.run.pk,
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        run = run_get(user=request.user, pk=run.pk) or run  # its state now (eager runs finish)
        body = s.RunDetailSerializer(run, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class RunDetailView(ApiView):
    @extend_schema(
        tags=TAG_RUNS,
        summary="One run: status, progress, stage, totals and links to its results",
        responses={200: s.RunDetailSerializer, **NOT_MODIFIED, **errors(404)},
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        run = visible_run(request, pk)
        if (unchanged := not_modified(request, run)) is not None:
            return unchanged
        body = s.RunDetailSerializer(run, context={"request": request}).data
        return stamp(Response(body), request, run)
