"""A preview: the allocation a set of parameters would give on the current data, computed
now and stored nowhere (the scenario editor's live what-if uses the same selector)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import policies
from allocation.engine import InfeasibleError, ParamsError
from allocation.engine.frames import json_safe, records
from allocation.selectors import preview
from api.exceptions import params_error
from api.permissions import CanRead
from api.schema import errors
from api.serializers import no_nul_characters

TAG_SCENARIOS = ["scenarios"]
# The figures a preview answers per area and per municipality (_FiguresSerializer's);
# whole numbers are cast back to integers (the engine sums populations as floats).
WHOLE_FIGURES = ("population", "transition", "coverage", "accessibility", "total")
FIGURES = (
    *WHOLE_FIGURES,
    "weighted_citizens",
    "capacities_today",
    "supply_at_horizon",
    "load_before",
    "load_after",
)
MUNICIPALITY_COLUMNS = ("name", *FIGURES)
AREA_COLUMNS = ("name", "municipalities", *FIGURES)


class CanPreview(CanRead):
    """Previews cost the web process an engine run: those who request runs may ask."""

    message = "Only planners and negotiators preview scenarios."

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and policies.can_preview(request.user)


class PreviewRequestSerializer(serializers.Serializer):
    params = serializers.DictField(
        validators=[no_nul_characters],
        help_text="engine parameters, as a scenario's; omitted ones take the engine's "
        "defaults, unknown or invalid ones are refused naming the field",
    )


class _FiguresSerializer(serializers.Serializer):
    name = serializers.CharField()
    population = serializers.IntegerField()
    transition = serializers.IntegerField()
    coverage = serializers.IntegerField()
    accessibility = serializers.IntegerField()
    total = serializers.IntegerField()
    weighted_citizens = serializers.FloatField()
    capacities_today = serializers.FloatField()
    supply_at_horizon = serializers.FloatField()
    load_before = serializers.FloatField(allow_null=True)
    load_after = serializers.FloatField(allow_null=True)


class PreviewAreaSerializer(_FiguresSerializer):
    area = serializers.CharField(help_text="the area's slug in `params.geography`")
    municipalities = serializers.IntegerField()


class PreviewMunicipalitySerializer(_FiguresSerializer):
    kommunekode = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    saved = serializers.BooleanField(help_text="always false: a preview is stored nowhere")
    params = serializers.DictField(help_text="the validated parameters, defaults filled in")
    totals = serializers.DictField(child=serializers.IntegerField())
    metrics = serializers.DictField(help_text="as a run's metrics (no sensitivity draws)")
    areas = PreviewAreaSerializer(many=True)
    municipalities = PreviewMunicipalitySerializer(many=True)


class ScenarioPreviewView(APIView):
    permission_classes = [CanPreview]

    @extend_schema(
        tags=TAG_SCENARIOS,
        summary="Preview the allocation of some parameters, without saving anything",
        description="Runs the engine on the current data with `params` and answers the "
        "totals, the metrics and the results per area of `params.geography` and per "
        "municipality. Nothing is written and no sensitivity analysis is drawn; request a "
        "run of a saved scenario for the record.",
        request=PreviewRequestSerializer,
        responses={200: PreviewSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        data = PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = preview(params=data.validated_data["params"])
        except ParamsError as exc:
            raise params_error(exc, under="params") from exc
        except InfeasibleError as exc:
            raise exceptions.ValidationError(
                {"params": {"caps": [f"the caps leave too little room: {exc}"]}}
            ) from exc
        # Whole numbers as whole numbers (the engine sums populations as floats).
        whole = dict.fromkeys(WHOLE_FIGURES, "int64")
        munis = outcome.municipalities.loc[:, list(MUNICIPALITY_COLUMNS)].astype(whole)
        areas = outcome.areas.loc[:, list(AREA_COLUMNS)]
        areas = areas.astype({**whole, "municipalities": "int64"})
        return Response(
            {
                "saved": False,
                "params": outcome.params.to_dict(),
                "totals": outcome.totals,
                "metrics": json_safe(outcome.metrics),
                "areas": records(areas.reset_index()),
                "municipalities": records(munis.rename_axis("kommunekode").reset_index()),
            }
        )
