"""api.plain gives what DRF gives for the same rows, or refuses the serializer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from rest_framework import serializers

from api import serializers as s
from api.plain import PlainRows, plain
from api.views.base import values_for
from municipalities.selectors import indicator_list
from practices.selectors import practice_list


def drf(serializer_class: type[serializers.Serializer], rows: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in serializer_class(rows, many=True).data]


def items(rows: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """The rows' keys and values in order (a JSON object's order is the response's)."""
    return [list(row.items()) for row in rows]


def result_row(level: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run": 7,
        "scenario": 3,
        "level": level,
        "key": "101" if level == "municipality" else "bornholm",
        "name": "København",
        "area": "hovedstaden",
        "municipalities": 1,
        "population": 650_000,
        "pillar": "total",
        "capacities": 12,
        "transition": 4,
        "coverage": 6,
        "accessibility": 2,
        "total": 12,
        "weighted_citizens": 0.1 + 0.2,
        "weighted_citizens_base": None,
        "population_horizon": 1,  # an int where a float is declared: DRF casts it
        "pop_80_plus_base": 2.5,
        "pop_80_plus_horizon": None,
        "supply_today": 3,
        "retiring": None,
        "replaced": 1.0,
        "supply_at_horizon": 2.0,
        "load_before": None,
        "load_after": 1500.25,
        "need_status": "estimated",
        "supply_status": "mixed",
    }
    return {**row, **values}


def test_dict_rows_with_missing_and_null_values_as_drf_gives_them() -> None:
    rows = [
        # a municipality row: its own fields, none of the area ones (allow_null: None)
        result_row("municipality", kommunekode=101, region=1084, coverage_rank=None),
        # an area row: the municipality-only fields present as None, then left out
        result_row("area", kommunekode=None, region=None, statutory=40, deviation=-1.5),
        # a row without a field that is neither nullable nor required: left out
        result_row("area"),
    ]
    assert items(plain(s.ResultRowSerializer)(rows)) == items(drf(s.ResultRowSerializer, rows))


def test_lists_and_dicts_of_values_as_drf_gives_them() -> None:
    body = {
        "run": 1,
        "scenario": 2,
        "inputs_hash": "abc",
        "table": "practices",
        "count": 2,
        "results": [{"ydernummer": "1", 3: None, "fte": 0.5}, None],
    }
    assert items([plain(s.InputsSerializer).one(body)]) == items([s.InputsSerializer(body).data])


def test_a_dict_of_rows_and_dates_as_drf_gives_them() -> None:
    row = {
        "kommunekode": 101,
        "name": "København",
        "region_id": 1084,
        "region": {"name": "Region Hovedstaden"},
        "region__name": "Region Hovedstaden",
        "population": 650_000.0,
        "population_date": dt.date(2025, 1, 1),
        "area_km2": 90,
        "areas": {"regioner": "1084"},
        "latest_indicators": {
            "pop_80_plus": {
                "year": 2025,
                "value": 30_000,
                "status": "sourced",
                "source": "DST",
                "imported": 0,
            },
            "chronic": None,
        },
    }
    flat = {k: v for k, v in row.items() if k != "region"}
    assert items(plain(s.MunicipalitySerializer)([flat])) == items(
        drf(s.MunicipalitySerializer, [row])
    )


@pytest.mark.django_db
def test_values_rows_as_drf_gives_the_instances(denmark: None) -> None:
    instances = practice_list().order_by("ydernummer")
    rows = values_for(instances, s.PracticeSerializer)
    assert items(plain(s.PracticeSerializer)(rows)) == items(drf(s.PracticeSerializer, instances))
    assert any(isinstance(r["capacities"], Decimal) for r in plain(s.PracticeSerializer)(rows))
    indicators = indicator_list()[:500]
    rows = values_for(indicators, s.IndicatorRowSerializer)
    assert items(plain(s.IndicatorRowSerializer)(rows)) == items(
        drf(s.IndicatorRowSerializer, indicators)
    )


def test_a_serializer_that_is_not_flat_is_refused() -> None:
    class WithMethod(serializers.Serializer):
        url = serializers.SerializerMethodField()

    class Nested(serializers.Serializer):
        region = s.RegionSerializer()

    class Reshaped(serializers.Serializer):
        name = serializers.CharField()

        def to_representation(self, instance: Any) -> dict[str, Any]:
            return {"name": instance["name"].upper()}

    for serializer_class in (WithMethod, Nested, Reshaped, s.ScenarioSerializer):
        with pytest.raises(TypeError):
            PlainRows(serializer_class)
