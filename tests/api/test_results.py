"""A client with a token pulls a finished run's results as JSON and CSV, and the numbers
agree; the other per-run views answer with what the run stored."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from allocation.models import AllocationRun, MunicipalityResult, Placement
from api.renderers import parse_csv, parse_number
from tests.api.conftest import json_of

NUMERIC = (
    "kommunekode",
    "region",
    "municipalities",
    "population",
    "capacities",
    "transition",
    "coverage",
    "accessibility",
    "total",
    "weighted_citizens",
    "weighted_citizens_base",
    "population_base",
    "population_horizon",
    "pop_80_plus_base",
    "pop_80_plus_horizon",
    "supply_today",
    "retiring",
    "replaced",
    "supply_at_horizon",
    "coverage_cap",
    "load_before",
    "load_after",
    "coverage_rank",
)


def _csv(client: APIClient, url: str, fmt: str) -> list[dict[str, str]]:
    response = client.get(url, {"format": fmt} if "?" not in url else None)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") == (fmt == "csv-da")
    return parse_csv(text, danish=fmt == "csv-da")


def _same_rows(json_rows: list[dict[str, Any]], csv_rows: list[dict[str, str]], fmt: str) -> None:
    assert len(csv_rows) == len(json_rows)
    for j, c in zip(json_rows, csv_rows, strict=True):
        assert list(c) == list(j)  # the same columns in the same order
        for key, value in j.items():
            if key in NUMERIC:
                assert parse_number(c[key], danish=fmt == "csv-da") == value, (key, c[key])
            else:
                assert c[key] == ("" if value is None else str(value)), key


@pytest.mark.parametrize("fmt", ["csv", "csv-da"])
def test_cluster_results_as_json_and_csv_with_a_token(
    finished_run: AllocationRun, reader: APIClient, fmt: str
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/?level=area&geography=sundhedsklynger-21"
    rows = json_of(reader.get(url))
    assert len(rows) == 21 and {r["level"] for r in rows} == {"area"}
    assert sum(r["total"] for r in rows) == 1500
    assert sum(r["municipalities"] for r in rows) == 98
    csv_rows = _csv(reader, f"{url}&format={fmt}", fmt)
    _same_rows(rows, csv_rows, fmt)
    if fmt == "csv-da":  # decimal comma where JSON has a fraction
        assert "," in csv_rows[0]["weighted_citizens"] and "." not in csv_rows[0]["load_after"]
    # Need and supply at both ends: the horizon's need above the base year's nationally.
    assert sum(r["weighted_citizens"] for r in rows) > sum(
        r["weighted_citizens_base"] for r in rows
    )
    assert all(r["replaced"] <= r["retiring"] for r in rows)


@pytest.mark.parametrize("fmt", ["csv", "csv-da"])
def test_municipality_results_csv_matches_json(
    finished_run: AllocationRun, reader: APIClient, fmt: str
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/?pillar=coverage"
    rows = json_of(reader.get(url))
    assert len(rows) == 98
    stored = {r.municipality_id: r for r in MunicipalityResult.objects.filter(run=finished_run)}
    for row in rows:
        assert row["capacities"] == row["coverage"] == stored[row["kommunekode"]].coverage
        assert row["load_after"] == stored[row["kommunekode"]].load_after
    assert sum(r["capacities"] for r in rows) == 600
    _same_rows(rows, _csv(reader, f"{url}&format={fmt}", fmt), fmt)


def test_placements_page_through_and_csv(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/placements/"
    first = json_of(reader.get(url, {"page_size": 1000}))
    assert first["count"] == 1500 and len(first["results"]) == 1000
    second = json_of(reader.get(first["next"]))
    assert len(second["results"]) == 500 and second["next"] is None
    ids = [p["id"] for p in first["results"] + second["results"]]
    assert sorted(ids) == sorted(
        Placement.objects.filter(run=finished_run).values_list("id", flat=True)
    )
    response = reader.get(url, {"page_size": 1000, "format": "csv"})
    assert 'rel="next"' in response["Link"] and response["X-Total-Count"] == "1500"
    rows = parse_csv(response.content.decode())
    assert [int(r["id"]) for r in rows] == ids[:1000]
    assert {r["kind"] for r in rows} <= {"expansion", "new"}


def test_placements_filter_by_cluster(finished_run: AllocationRun, reader: APIClient) -> None:
    areas = json_of(reader.get(f"/api/v1/runs/{finished_run.pk}/results/", {"level": "area"}))
    area = areas[0]
    page = json_of(
        reader.get(
            f"/api/v1/runs/{finished_run.pk}/placements/",
            {"area": area["key"], "page_size": 5000},
        )
    )
    assert page["count"] == area["total"]


def test_phasing_sums_to_the_results(finished_run: AllocationRun, reader: APIClient) -> None:
    base = f"/api/v1/runs/{finished_run.pk}/phasing/"
    last = json_of(reader.get(base, {"level": "area", "year": 2035, "page_size": 5000}))
    by_area: dict[str, int] = {}
    for row in last["results"]:
        by_area[row["key"]] = by_area.get(row["key"], 0) + row["cumulative"]
    areas = json_of(reader.get(f"/api/v1/runs/{finished_run.pk}/results/", {"level": "area"}))
    assert by_area == {a["key"]: a["total"] for a in areas if a["total"]}
    municipal = json_of(reader.get(base, {"pillar": "coverage", "page_size": 5000}))
    assert sum(r["capacities"] for r in municipal["results"]) == 600


def test_metrics_sensitivity_and_explanation(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    base = f"/api/v1/runs/{finished_run.pk}"
    metrics = {m["metric"]: m for m in json_of(reader.get(f"{base}/metrics/"))}
    stored = finished_run.metrics
    assert metrics["max_load"]["before"] == stored["before"]["max_load"]
    assert metrics["max_load"]["after"] == stored["after"]["max_load"]
    assert metrics["practices_expanded"]["value"] == stored["practices_expanded"]
    bands = json_of(reader.get(f"{base}/sensitivity/", {"level": "area"}))
    assert len(bands) == 21 and all(b["p5"] <= b["p50"] <= b["p95"] for b in bands)
    assert len(json_of(reader.get(f"{base}/sensitivity/"))) == 98
    explanation = json_of(reader.get(f"{base}/explanation/101/"))
    assert explanation["kommunekode"] == 101 and explanation["total"] == (
        MunicipalityResult.objects.get(run=finished_run, municipality_id=101).total
    )
    flat = parse_csv(reader.get(f"{base}/explanation/101/", {"format": "csv"}).content.decode())
    assert {"field": "transition.result", "value": str(explanation["transition"]["result"])} in flat
    assert reader.get(f"{base}/explanation/999/").status_code == 404


def test_compare_a_run_with_itself_is_all_zero(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    rows = json_of(
        reader.get(
            "/api/v1/compare/", {"a": finished_run.pk, "b": finished_run.pk, "level": "area"}
        )
    )
    assert len(rows) == 21
    assert all(r["diff_total"] == 0 and r["a_total"] == r["b_total"] for r in rows)


def test_bad_parameters_are_named(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    response = reader.get(url, {"level": "county", "pillar": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"level", "pillar"}
    response = reader.get(url, {"geography": "nowhere"})
    assert response.status_code == 400 and "sundhedsklynger-21" in response.json()["geography"][0]
    response = reader.get("/api/v1/compare/", {"a": finished_run.pk})
    assert response.status_code == 400 and set(response.json()) == {"b"}
