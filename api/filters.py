"""The filters of the API's lists (django-filter): each list's query parameters, their types
and the fields it can be ordered by, shown in the OpenAPI schema.

A filter narrows the queryset its selector returns; the selector keeps the joins and the
visibility rules. ``?ordering=`` takes a comma-separated list of the named fields, each with
an optional ``-`` for descending. A value that does not parse, or an ordering field that is
not named here, is a 400 naming the parameter (api.views.base refuses unknown parameters).
"""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from allocation.models import (
    AllocationRun,
    MunicipalityResult,
    Pillar,
    Placement,
    RunStatus,
    Scenario,
    ScenarioStatus,
    Trigger,
    Visibility,
)
from clusters.models import DEFAULT_GEOGRAPHY
from municipalities.models import DataStatus, DemandIndicator, Indicator, Municipality
from practices.models import Practice, PracticeForm, RecordSource

# The planning geographies the reference data defines (data/denmark/geographies.csv); the
# schema lists them, and a request still checks that the geography is loaded.
GEOGRAPHIES = (
    "regioner",
    "regioner-2027",
    "sundhedsklynger-2022",
    "sundhedsklynger-21",
    "sundhedsraad-2027",
)
SMALLINT = {"min_value": 0, "max_value": 32767}
CAPACITIES = {"min_value": 0, "max_digits": 7, "decimal_places": 2}
ID = {"min_value": 1, "max_value": 2**63 - 1}


@extend_schema_field(OpenApiTypes.INT)
class IntFilter(df.NumberFilter):
    """A whole number within the column's range (a decimal or an overflowing value is a 400,
    not a silently truncated or failing query)."""

    field_class = forms.IntegerField


def _in_area(queryset: QuerySet[Any], prefix: str, geography: str, area: str) -> QuerySet[Any]:
    return queryset.filter(
        **{
            f"{prefix}memberships__geography__slug": geography,
            f"{prefix}memberships__area__slug": area,
        }
    )


class AreaFilterSet(df.FilterSet):
    """``area`` is an area slug within ``geography`` (default: the 21 health clusters)."""

    # where the municipality is reached from the filtered model ("" for Municipality)
    municipality_path = "municipality__"

    area = df.CharFilter(method="filter_area", help_text="an area slug within `geography`")
    geography = df.ChoiceFilter(
        choices=[(g, g) for g in GEOGRAPHIES],
        method="filter_geography",
        help_text=f"the geography of `area` (default {DEFAULT_GEOGRAPHY})",
    )

    def filter_geography(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset  # read by filter_area

    def filter_area(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        geography = self.form.cleaned_data.get("geography") or DEFAULT_GEOGRAPHY
        return _in_area(queryset, self.municipality_path, geography, value)


class MunicipalityFilter(AreaFilterSet):
    municipality_path = ""
    region = IntFilter(field_name="region_id", help_text="region code, e.g. 1081", **SMALLINT)
    ordering = df.OrderingFilter(
        fields=(("kommunekode", "kommunekode"), ("name", "name"), ("population", "population"))
    )

    class Meta:
        model = Municipality
        fields: list[str] = []


class IndicatorFilter(df.FilterSet):
    """The long format of the demand data: one row per municipality, indicator and year."""

    kommunekode = IntFilter(field_name="municipality_id", **SMALLINT)
    region = IntFilter(field_name="municipality__region_id", **SMALLINT)
    indicator = df.MultipleChoiceFilter(
        choices=Indicator.choices, help_text="one or more (repeat the parameter)"
    )
    year = IntFilter(**SMALLINT)
    year_min = IntFilter(field_name="year", lookup_expr="gte", **SMALLINT)
    year_max = IntFilter(field_name="year", lookup_expr="lte", **SMALLINT)
    status = df.ChoiceFilter(choices=DataStatus.choices)
    imported = df.BooleanFilter()
    ordering = df.OrderingFilter(
        fields=(
            ("municipality_id", "kommunekode"),
            ("indicator", "indicator"),
            ("year", "year"),
            ("value", "value"),
            ("status", "status"),
        )
    )

    class Meta:
        model = DemandIndicator
        fields: list[str] = []


class PracticeFilter(AreaFilterSet):
    search = df.CharFilter(method="filter_search", help_text="name contains, or ydernummer starts")
    municipality = IntFilter(field_name="municipality_id", help_text="kommunekode", **SMALLINT)
    region = IntFilter(field_name="municipality__region_id", **SMALLINT)
    open = df.BooleanFilter(field_name="open_to_new_patients", help_text="open to new patients")
    form = df.ChoiceFilter(choices=PracticeForm.choices)
    source = df.ChoiceFilter(choices=RecordSource.choices)
    capacities_min = df.NumberFilter(field_name="capacities", lookup_expr="gte", **CAPACITIES)
    capacities_max = df.NumberFilter(field_name="capacities", lookup_expr="lte", **CAPACITIES)
    ordering = df.OrderingFilter(
        fields=(
            ("ydernummer", "ydernummer"),
            ("name", "name"),
            ("municipality_id", "municipality"),
            ("capacities", "capacities"),
            ("listed_patients", "listed_patients"),
        )
    )

    class Meta:
        model = Practice
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(Q(name__icontains=value) | Q(ydernummer__startswith=value))


class ScenarioFilter(df.FilterSet):
    search = df.CharFilter(field_name="name", lookup_expr="icontains", help_text="name contains")
    visibility = df.ChoiceFilter(choices=Visibility.choices)
    status = df.ChoiceFilter(choices=ScenarioStatus.choices)
    is_default = df.BooleanFilter()
    owner = df.CharFilter(field_name="owner__username", help_text="the owner's username")
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = df.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = df.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    ordering = df.OrderingFilter(
        fields=(
            ("id", "id"),
            ("name", "name"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
        )
    )

    class Meta:
        model = Scenario
        fields: list[str] = []


class RunFilter(df.FilterSet):
    scenario = IntFilter(field_name="scenario_id", help_text="scenario id", **ID)
    status = df.ChoiceFilter(choices=RunStatus.choices)
    triggered_by = df.ChoiceFilter(choices=Trigger.choices)
    visibility = df.ChoiceFilter(field_name="scenario__visibility", choices=Visibility.choices)
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    finished_after = df.IsoDateTimeFilter(field_name="finished_at", lookup_expr="gte")
    finished_before = df.IsoDateTimeFilter(field_name="finished_at", lookup_expr="lt")
    ordering = df.OrderingFilter(
        fields=(
            ("id", "id"),
            ("created_at", "created_at"),
            ("started_at", "started_at"),
            ("finished_at", "finished_at"),
        )
    )

    class Meta:
        model = AllocationRun
        fields: list[str] = []


class PlacementFilter(AreaFilterSet):
    municipality = IntFilter(field_name="municipality_id", help_text="kommunekode", **SMALLINT)
    region = IntFilter(field_name="municipality__region_id", **SMALLINT)
    ydernummer = df.CharFilter()
    pillar = df.ChoiceFilter(choices=Pillar.choices)
    year = IntFilter(**SMALLINT)
    year_min = IntFilter(field_name="year", lookup_expr="gte", **SMALLINT)
    year_max = IntFilter(field_name="year", lookup_expr="lte", **SMALLINT)
    kind = df.ChoiceFilter(choices=Placement.Kind.choices)
    ordering = df.OrderingFilter(
        fields=(
            ("id", "id"),
            ("year", "year"),
            ("municipality_id", "municipality"),
            ("ydernummer", "ydernummer"),
            ("pillar", "pillar"),
        )
    )

    class Meta:
        model = Placement
        fields: list[str] = []


class MunicipalityResultFilter(AreaFilterSet):
    """Every municipality result of the succeeded runs you can see, as one dataset."""

    run = IntFilter(field_name="run_id", help_text="run id", **ID)
    scenario = IntFilter(field_name="run__scenario_id", help_text="scenario id", **ID)
    visibility = df.ChoiceFilter(field_name="run__scenario__visibility", choices=Visibility.choices)
    is_default = df.BooleanFilter(
        field_name="run__scenario__is_default", help_text="runs of the default scenario"
    )
    finished_after = df.IsoDateTimeFilter(field_name="run__finished_at", lookup_expr="gte")
    finished_before = df.IsoDateTimeFilter(field_name="run__finished_at", lookup_expr="lt")
    municipality = IntFilter(field_name="municipality_id", help_text="kommunekode", **SMALLINT)
    region = IntFilter(field_name="municipality__region_id", **SMALLINT)
    ordering = df.OrderingFilter(
        fields=(
            ("run_id", "run"),
            ("municipality_id", "kommunekode"),
            ("transition", "transition"),
            ("coverage", "coverage"),
            ("accessibility", "accessibility"),
            ("total", "total"),
            ("load_before", "load_before"),
            ("load_after", "load_after"),
        )
    )

    class Meta:
        model = MunicipalityResult
        fields: list[str] = []


class PhasingFilter(df.FilterSet):
    """The phase-in's filters. Its rows are counted from a run's placements, not read from a
    table (allocation.selectors.phasing_rows), so this only validates the query and names
    the parameters in the schema; the selector applies them (:func:`phasing_query`)."""

    year = IntFilter(**SMALLINT)
    year_min = IntFilter(field_name="year", lookup_expr="gte", **SMALLINT)
    year_max = IntFilter(field_name="year", lookup_expr="lte", **SMALLINT)
    pillar = df.ChoiceFilter(choices=Pillar.choices)
    ordering = df.OrderingFilter(
        fields=(("year", "year"), ("pillar", "pillar"), ("key", "key"), ("new", "capacities"))
    )

    class Meta:
        model = Placement  # whose year and pillar the phase-in's are
        fields: list[str] = []


def phasing_query(filterset: df.FilterSet) -> dict[str, Any]:
    """A valid :class:`PhasingFilter`'s values as :func:`allocation.selectors.phasing_rows`
    takes them: absent ones left out, the ordering in row keys ("-capacities" is "-new")."""
    data = filterset.form.cleaned_data
    names = ("year", "year_min", "year_max", "pillar")
    query = {k: data[k] for k in names if data.get(k) not in (None, "")}
    ordering = filterset.filters["ordering"]
    query["ordering"] = [ordering.get_ordering_value(p) for p in data.get("ordering") or []]
    return query
