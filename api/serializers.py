"""Serializers: thin shapes over what the selectors return, and parsers of input.

Output serializers only shape; input serializers (and ``...Query`` for query parameters)
only validate. Writes go through the services.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import policies
from allocation.models import (
    AllocationRun,
    Pillar,
    RunStatus,
    ScenarioStatus,
    Stage,
    Visibility,
)
from allocation.selectors import INPUT_TABLES, PILLARS
from api.filters import GEOGRAPHIES
from api.schema import EngineParamsField
from clusters.models import DEFAULT_GEOGRAPHY
from municipalities.models import DataStatus, Indicator
from practices.models import Practice, PracticeForm, RecordSource

LEVELS = ("municipality", "area")


def absolute(request: Any, name: str, *args: Any) -> str:
    url = reverse(name, args=args)
    return request.build_absolute_uri(url) if request is not None else url


# --- reference data ---------------------------------------------------------------------


class RegionSerializer(serializers.Serializer):
    code = serializers.IntegerField()
    name = serializers.CharField()


class IndicatorValueSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    value = serializers.FloatField()
    status = serializers.ChoiceField(choices=DataStatus.choices)
    source = serializers.CharField()
    imported = serializers.BooleanField()


class MunicipalitySerializer(serializers.Serializer):
    kommunekode = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.IntegerField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    population = serializers.IntegerField()
    population_date = serializers.DateField()
    area_km2 = serializers.FloatField()
    areas = serializers.DictField(
        child=serializers.CharField(), help_text="geography slug → the area's slug"
    )
    indicators = serializers.DictField(
        child=IndicatorValueSerializer(),
        source="latest_indicators",
        help_text="each demand indicator's latest value, with its year and status "
        "(sourced, derived or estimated)",
    )


class MemberSerializer(serializers.Serializer):
    kommunekode = serializers.IntegerField(source="municipality_id")
    name = serializers.CharField(source="municipality.name")
    confidence = serializers.CharField()


class AreaSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    hospital = serializers.CharField()
    municipalities = MemberSerializer(many=True, source="memberships.all")


class GeographySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    provisional = serializers.BooleanField()
    area_count = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Any) -> str:
        return absolute(self.context.get("request"), "api:geography-detail", obj.slug)


class GeographyDetailSerializer(GeographySerializer):
    areas = AreaSerializer(many=True, source="areas.all")


class PracticeSerializer(serializers.Serializer):
    ydernummer = serializers.CharField()
    name = serializers.CharField()
    municipality = serializers.IntegerField(source="municipality_id")
    municipality_name = serializers.CharField(source="municipality.name")
    region = serializers.IntegerField(source="municipality.region_id")
    form = serializers.ChoiceField(choices=PracticeForm.choices)
    open_to_new_patients = serializers.BooleanField()
    listed_patients = serializers.IntegerField()
    capacities = serializers.DecimalField(max_digits=5, decimal_places=2)
    doctors = serializers.IntegerField(source="doctor_count")
    source = serializers.ChoiceField(choices=RecordSource.choices)


def _model_validators(model: Any, name: str) -> list[Any]:
    return list(model._meta.get_field(name).validators)


class PracticeUpdateSerializer(serializers.Serializer):
    """The fields a planner may change. Their bounds and messages are the model's own
    validators (run here, so that a bad value is named before anything is written; the
    service's ``full_clean`` checks them again with ``Practice.clean``)."""

    name = serializers.CharField(max_length=200, required=False)
    form = serializers.ChoiceField(choices=PracticeForm.choices, required=False)
    open_to_new_patients = serializers.BooleanField(required=False)
    listed_patients = serializers.IntegerField(
        validators=_model_validators(Practice, "listed_patients"), required=False
    )
    capacities = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=_model_validators(Practice, "capacities"),
        required=False,
    )


# --- scenarios and runs -----------------------------------------------------------------


class ScenarioSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    status = serializers.ChoiceField(choices=ScenarioStatus.choices)
    is_default = serializers.BooleanField()
    based_on = serializers.IntegerField(source="based_on_id", allow_null=True)
    params = EngineParamsField(help_text="the allocation engine's parameters")
    params_schema_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    can_edit = serializers.SerializerMethodField()
    can_request_run = serializers.SerializerMethodField()
    latest_run = serializers.SerializerMethodField(
        help_text="the scenario's newest succeeded run (id and URL), or null"
    )

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "url": {"type": "string"}},
            "required": ["id", "url"],
        }
    )
    def get_latest_run(self, obj: Any) -> dict[str, Any] | None:
        run_id = getattr(obj, "latest_run_id", None)
        if run_id is None:
            return None
        return {
            "id": run_id,
            "url": absolute(self.context.get("request"), "api:run-detail", run_id),
        }

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_url(self, obj: Any) -> str:
        return absolute(self.context.get("request"), "api:scenario-detail", obj.pk)

    def get_can_edit(self, obj: Any) -> bool:
        return policies.can_edit_scenario(self._user(), obj)

    def get_can_request_run(self, obj: Any) -> bool:
        return policies.can_request_run(self._user(), obj)


def no_nul_characters(value: Any) -> Any:
    """JSON with a NUL character cannot be stored (PostgreSQL refuses it): refuse it here."""

    def has_nul(item: Any) -> bool:
        if isinstance(item, str):
            return "\x00" in item
        if isinstance(item, dict):
            return any(has_nul(k) or has_nul(v) for k, v in item.items())
        if isinstance(item, list | tuple):
            return any(has_nul(v) for v in item)
        return False

    if has_nul(value):
        raise serializers.ValidationError("Text may not contain NUL characters.")
    return value


class ScenarioCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PRIVATE)
    status = serializers.ChoiceField(choices=ScenarioStatus.choices, default=ScenarioStatus.DRAFT)
    params = EngineParamsField(
        required=False,
        default=dict,
        validators=[no_nul_characters],
        help_text="engine parameters; omitted ones take the engine's defaults, unknown or "
        "invalid ones are refused naming the field",
    )


class ScenarioUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    status = serializers.ChoiceField(choices=ScenarioStatus.choices, required=False)
    params = EngineParamsField(
        required=False,
        validators=[no_nul_characters],
        help_text="the complete engine parameters",
    )


class CloneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        validators=[no_nul_characters],
        help_text="what the copy changes and why (the original's is not copied)",
    )


RESULT_VIEWS = ("results", "inputs", "placements", "phasing", "metrics", "sensitivity")


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    scenario = serializers.IntegerField(source="scenario_id")
    scenario_name = serializers.CharField(source="scenario.name")
    status = serializers.ChoiceField(choices=RunStatus.choices)
    progress = serializers.IntegerField(help_text="0-100")
    stage = serializers.ChoiceField(choices=Stage.choices, help_text="the stage's code")
    stage_label = serializers.CharField(
        help_text="the stage in words, in the request's language, with its count "
        "(e.g. sensitivity chunk 3 of 5)"
    )
    stage_count = serializers.IntegerField(allow_null=True)
    stage_total = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    triggered_by = serializers.CharField()
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )
    inputs_hash = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    totals = serializers.DictField(child=serializers.IntegerField())
    timings = serializers.DictField(child=serializers.FloatField(), help_text="seconds per stage")
    links = serializers.SerializerMethodField()

    def get_url(self, obj: AllocationRun) -> str:
        return absolute(self.context.get("request"), "api:run-detail", obj.pk)

    @extend_schema_field(
        {"type": "object", "properties": {k: {"type": "string"} for k in RESULT_VIEWS}}
    )
    def get_links(self, obj: AllocationRun) -> dict[str, str]:
        request = self.context.get("request")
        return {name: absolute(request, f"api:run-{name}", obj.pk) for name in RESULT_VIEWS}


class RunDetailSerializer(RunSerializer):
    params = EngineParamsField(help_text="the parameters the run used (a snapshot)")
    sensitivity_summary = serializers.DictField(
        help_text="draws, seed and rank stability (Spearman) of the sensitivity analysis"
    )


MAX_ID = 2**63 - 1


class RunRequestSerializer(serializers.Serializer):
    scenario = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="id of a scenario you can see"
    )


# --- results ----------------------------------------------------------------------------


class LevelQuery(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS, default="municipality")
    geography = serializers.ChoiceField(
        choices=GEOGRAPHIES,
        default=DEFAULT_GEOGRAPHY,
        help_text="the planning geography of the areas (and of `area`)",
        error_messages={
            "invalid_choice": "Unknown geography {input!r}; one of " + ", ".join(GEOGRAPHIES) + "."
        },
    )


RESULT_ORDERING = (
    "key",
    "name",
    "kommunekode",
    "region",
    "area",
    "population",
    "capacities",
    *PILLARS,
    "total",
    "weighted_citizens",
    "supply_today",
    "supply_at_horizon",
    "load_before",
    "load_after",
)


class ResultQuery(LevelQuery):
    pillar = serializers.ChoiceField(
        choices=Pillar.choices,
        required=False,
        help_text="fills `capacities` with this pillar's number (the total without)",
    )
    region = serializers.IntegerField(
        required=False, min_value=0, max_value=32767, help_text="municipalities of a region"
    )
    area = serializers.SlugField(
        required=False, help_text="municipalities of an area of `geography`, or that area"
    )
    ordering = serializers.ChoiceField(
        choices=[*RESULT_ORDERING, *(f"-{f}" for f in RESULT_ORDERING)],
        required=False,
        help_text="a field, `-` in front for descending (default: by key)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("level") == "area" and "region" in attrs:
            raise serializers.ValidationError({"region": ["Only with level=municipality."]})
        return attrs


NEED_STATUS_HELP = (
    "the weakest status of the demand values the row's need rests on (sourced, derived, "
    "estimated), as they were when the run was requested"
)
SUPPLY_STATUS_HELP = (
    "where the row's capacities today come from: the practice register's records "
    "(synthetic, imported, or mixed)"
)
# Only municipality rows have these: an area row leaves them out rather than sending
# nulls, so a CSV's code columns read as integers.
MUNICIPALITY_ONLY = ("kommunekode", "region", "coverage_rank")


class ResultRowSerializer(serializers.Serializer):
    run = serializers.IntegerField(help_text="the run's id: stack downloads by it")
    scenario = serializers.IntegerField(help_text="the run's scenario")
    level = serializers.ChoiceField(choices=LEVELS)
    key = serializers.CharField(help_text="kommunekode or area slug")
    name = serializers.CharField()
    kommunekode = serializers.IntegerField(required=False, help_text="municipality rows only")
    region = serializers.IntegerField(required=False, help_text="municipality rows only")
    area = serializers.CharField(allow_null=True, help_text="the area in `geography`")
    municipalities = serializers.IntegerField()
    population = serializers.IntegerField()
    pillar = serializers.CharField(help_text="the pillar `capacities` counts, or total")
    capacities = serializers.IntegerField()
    transition = serializers.IntegerField()
    coverage = serializers.IntegerField()
    accessibility = serializers.IntegerField()
    total = serializers.IntegerField()
    weighted_citizens = serializers.FloatField(
        help_text="disease-weighted citizens at the horizon (the need the allocation uses)"
    )
    weighted_citizens_base = serializers.FloatField(
        allow_null=True, help_text="the same at the base year, on one scale"
    )
    population_base = serializers.FloatField(
        allow_null=True, required=False, help_text="municipalities only"
    )
    population_horizon = serializers.FloatField(allow_null=True)
    pop_80_plus_base = serializers.FloatField(allow_null=True)
    pop_80_plus_horizon = serializers.FloatField(allow_null=True)
    supply_today = serializers.FloatField()
    retiring = serializers.FloatField(
        allow_null=True, help_text="capacities retiring by the horizon"
    )
    replaced = serializers.FloatField(allow_null=True, help_text="the replaced part of them")
    supply_at_horizon = serializers.FloatField()
    coverage_cap = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="the recruitment limit over the period where it binds (municipalities)",
    )
    load_before = serializers.FloatField(allow_null=True)
    load_after = serializers.FloatField(
        allow_null=True, help_text="the load on the effective list capacity (list relief)"
    )
    coverage_rank = serializers.IntegerField(
        required=False, allow_null=True, help_text="municipality rows only"
    )
    effective_supply_after = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="areas: supply at the horizon plus the new capacities times their list relief",
    )
    statutory = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="areas: the share of the whole stock in proportion to need (statutory model)",
    )
    deviation = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="areas: capacities after the new ones minus the statutory share",
    )
    statutory_load = serializers.FloatField(allow_null=True, required=False)
    statutory_load_gap = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="areas: load after minus the load at the statutory share",
    )
    need_status = serializers.ChoiceField(
        choices=DataStatus.choices, allow_null=True, help_text=NEED_STATUS_HELP
    )
    supply_status = serializers.ChoiceField(
        choices=[*RecordSource.choices, ("mixed", "mixed")],
        allow_null=True,
        help_text=SUPPLY_STATUS_HELP,
    )

    @staticmethod
    def shape_row(data: dict[str, Any]) -> dict[str, Any]:
        """An area row without the municipality-only fields (api.plain applies it too)."""
        if data["level"] == "area":
            for name in MUNICIPALITY_ONLY:
                data.pop(name, None)
        return data

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.shape_row(super().to_representation(instance))


class MunicipalityResultSerializer(serializers.Serializer):
    """One municipality's result in one run: a row of the bulk dataset."""

    run = serializers.IntegerField(source="run_id")
    scenario = serializers.IntegerField(source="run.scenario_id")
    finished_at = serializers.DateTimeField(source="run.finished_at")
    kommunekode = serializers.IntegerField(source="municipality_id")
    name = serializers.CharField(source="municipality.name")
    region = serializers.IntegerField(source="municipality.region_id")
    population = serializers.IntegerField(source="municipality.population")
    transition = serializers.IntegerField()
    coverage = serializers.IntegerField()
    accessibility = serializers.IntegerField()
    total = serializers.IntegerField()
    weighted_citizens = serializers.FloatField()
    supply_today = serializers.FloatField()
    supply_at_horizon = serializers.FloatField()
    load_before = serializers.FloatField(allow_null=True)
    load_after = serializers.FloatField(allow_null=True)
    coverage_rank = serializers.IntegerField(allow_null=True)
    need_status = serializers.ChoiceField(
        choices=DataStatus.choices, allow_null=True, help_text=NEED_STATUS_HELP
    )
    supply_status = serializers.ChoiceField(
        choices=[*RecordSource.choices, ("mixed", "mixed")],
        allow_null=True,
        help_text=SUPPLY_STATUS_HELP,
    )


class IndicatorRowSerializer(serializers.Serializer):
    """One stored demand value: the long format of the municipalities' indicators."""

    kommunekode = serializers.IntegerField(source="municipality_id")
    name = serializers.CharField(source="municipality.name")
    indicator = serializers.ChoiceField(choices=Indicator.choices)
    year = serializers.IntegerField()
    value = serializers.FloatField()
    status = serializers.ChoiceField(choices=DataStatus.choices)
    source = serializers.CharField()
    imported = serializers.BooleanField()


class PlacementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.IntegerField(source="municipality_id")
    municipality_name = serializers.CharField(source="municipality.name")
    ydernummer = serializers.CharField()
    pillar = serializers.ChoiceField(choices=Pillar.choices)
    year = serializers.IntegerField()
    kind = serializers.CharField()
    reason_code = serializers.CharField(
        help_text="most_loaded, solo_to_partnership, new_steering, new_no_room or "
        "new_no_practice (blank for runs stored before the codes)"
    )
    reason_label = serializers.CharField(help_text="the reason code in the request's language")
    reason = serializers.CharField()


class PhasingRowSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS)
    key = serializers.CharField(help_text="kommunekode or area slug")
    name = serializers.CharField()
    year = serializers.IntegerField()
    pillar = serializers.ChoiceField(choices=Pillar.choices)
    capacities = serializers.IntegerField(source="new", help_text="new in this year")
    cumulative = serializers.IntegerField(source="cumulative_sum")


class SensitivityQuery(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS, default="municipality")


class SensitivityRowSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=LEVELS)
    geography = serializers.CharField(allow_null=True)
    key = serializers.CharField()
    name = serializers.CharField()
    p5 = serializers.FloatField()
    p50 = serializers.FloatField()
    p95 = serializers.FloatField()
    base = serializers.FloatField(help_text="the run's own result")


class MetricRowSerializer(serializers.Serializer):
    metric = serializers.CharField()
    before = serializers.FloatField(allow_null=True)
    after = serializers.FloatField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="for metrics without before/after")


class CompareQuery(LevelQuery):
    a = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="run id")
    b = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="run id")


class CompareRowSerializer(serializers.Serializer):
    """Run b minus run a (``diff_*``) for one municipality or area."""

    level = serializers.ChoiceField(choices=LEVELS)
    key = serializers.CharField()
    name = serializers.CharField()
    a_transition = serializers.IntegerField(allow_null=True)
    b_transition = serializers.IntegerField(allow_null=True)
    diff_transition = serializers.IntegerField(allow_null=True)
    a_coverage = serializers.IntegerField(allow_null=True)
    b_coverage = serializers.IntegerField(allow_null=True)
    diff_coverage = serializers.IntegerField(allow_null=True)
    a_accessibility = serializers.IntegerField(allow_null=True)
    b_accessibility = serializers.IntegerField(allow_null=True)
    diff_accessibility = serializers.IntegerField(allow_null=True)
    a_total = serializers.IntegerField(allow_null=True)
    b_total = serializers.IntegerField(allow_null=True)
    diff_total = serializers.IntegerField(allow_null=True)
    a_load_after = serializers.FloatField(allow_null=True)
    b_load_after = serializers.FloatField(allow_null=True)
    diff_load_after = serializers.FloatField(allow_null=True)


class InputsQuery(serializers.Serializer):
    table = serializers.ChoiceField(
        choices=INPUT_TABLES,
        default="municipalities",
        help_text="which of the run's input tables: the municipalities' values (long: one row "
        "per municipality and input, with status and source), the practices (with their "
        "record source), the doctors, or each geography's areas",
    )


class InputsSerializer(serializers.Serializer):
    """One table of a run's inputs. The rows are in ``results`` (so a CSV or XLSX of it is the
    table itself); the run, its scenario and its inputs hash come with them."""

    run = serializers.IntegerField()
    scenario = serializers.IntegerField()
    inputs_hash = serializers.CharField(
        help_text="the run's inputs hash: allocation.services.inputs_hash over the four "
        "tables and the run's params gives it again"
    )
    table = serializers.ChoiceField(choices=INPUT_TABLES)
    count = serializers.IntegerField()
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text="municipalities: kommunekode, name, input, value, year, status, source, "
        "imported; practices: ydernummer, kommunekode, capacities, listed_patients, open, "
        "source; doctors: ydernummer, kommunekode, birth_year, fte; geographies: geography, "
        "kommunekode, area, area_name",
    )


# --- accounts ---------------------------------------------------------------------------


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send as `Authorization: Token <token>`")
    expiry = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    region = serializers.IntegerField(allow_null=True)
    is_superuser = serializers.BooleanField()


class PingSerializer(serializers.Serializer):
    status = serializers.CharField()
