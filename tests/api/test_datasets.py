"""What an analyst pulling Klyngeplan into pandas needs: filters that filter (and a 400 for
one that does not exist), tidy rows with run, scenario and status, a run's inputs that
reproduce its hash, the latest run of a scenario, one dataset of every result, XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from allocation import services
from allocation.engine import EngineInputs
from allocation.engine.inputs import MUNICIPALITY_COLUMNS
from allocation.models import AllocationRun, RunStatus, Visibility
from municipalities.models import DemandIndicator
from practices.models import Practice
from tests.allocation.factories import ScenarioFactory
from tests.api.conftest import World, finish, json_of

pytestmark = pytest.mark.usefixtures("denmark")


def rows(response: Any) -> list[dict[str, Any]]:
    body = json_of(response)
    return body["results"] if isinstance(body, dict) else body


# --- every filter filters -----------------------------------------------------------------

REFERENCE_FILTERS = [
    ("/api/v1/municipalities/", {"region": 1081}, lambda r: r["region"] == 1081),
    ("/api/v1/municipalities/", {"area": "bornholm"}, lambda r: r["kommunekode"] == 400),
    (
        "/api/v1/municipalities/",
        {"area": "1084", "geography": "regioner"},
        lambda r: r["region"] == 1084,
    ),
    ("/api/v1/practices/", {"region": 1081}, lambda r: r["region"] == 1081),
    ("/api/v1/practices/", {"municipality": 101}, lambda r: r["municipality"] == 101),
    ("/api/v1/practices/", {"open": "false"}, lambda r: r["open_to_new_patients"] is False),
    ("/api/v1/practices/", {"form": "solo"}, lambda r: r["form"] == "solo"),
    ("/api/v1/practices/", {"source": "imported"}, lambda r: r["source"] == "imported"),
    ("/api/v1/practices/", {"capacities_min": 3}, lambda r: r["capacities"] >= 3),
    ("/api/v1/practices/", {"capacities_max": 1}, lambda r: r["capacities"] <= 1),
    (
        "/api/v1/practices/",
        {"area": "bornholm"},
        lambda r: r["municipality"] == 400,
    ),
    ("/api/v1/municipalities/indicators/", {"kommunekode": 101}, lambda r: r["kommunekode"] == 101),
    ("/api/v1/municipalities/indicators/", {"region": 1085}, lambda r: r["kommunekode"] < 400),
    (
        "/api/v1/municipalities/indicators/",
        {"indicator": "chronic"},
        lambda r: r["indicator"] == "chronic",
    ),
    (
        "/api/v1/municipalities/indicators/",
        {"status": "estimated"},
        lambda r: r["status"] == "estimated",
    ),
    ("/api/v1/municipalities/indicators/", {"year_min": 2026}, lambda r: r["year"] >= 2026),
    ("/api/v1/municipalities/indicators/", {"imported": "true"}, lambda r: r["imported"] is True),
]


@pytest.mark.parametrize(("url", "params", "holds"), REFERENCE_FILTERS)
def test_each_reference_filter_narrows_the_list(
    reader: APIClient, url: str, params: dict[str, Any], holds: Any
) -> None:
    # one imported practice and one imported value, for the source filters
    Practice.objects.filter(pk=Practice.objects.order_by("pk")[0].pk).update(source="imported")
    DemandIndicator.objects.filter(municipality_id=101, indicator="chronic").update(imported=True)
    paging = {} if url == "/api/v1/municipalities/" else {"page_size": 5000}
    everything = json_of(reader.get(url, paging))
    total = everything["count"] if isinstance(everything, dict) else len(everything)
    found = rows(reader.get(url, {**params, **paging}))
    assert found, params
    assert all(holds(r) for r in found), params
    assert len(found) < total, params


def test_search_and_ordering_of_practices(reader: APIClient) -> None:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    found = rows(reader.get("/api/v1/practices/", {"search": practice.ydernummer[:5]}))
    assert practice.ydernummer in {r["ydernummer"] for r in found}
    by_capacity = rows(reader.get("/api/v1/practices/", {"ordering": "-capacities"}))
    capacities = [r["capacities"] for r in by_capacity]
    assert capacities == sorted(capacities, reverse=True) and capacities[0] > capacities[-1]
    names = [r["name"] for r in rows(reader.get("/api/v1/municipalities/", {"ordering": "name"}))]
    assert names == sorted(names)


def test_run_filters_and_the_latest_run_of_a_scenario(world: World) -> None:
    client = world.client("viewer")
    again = finish(
        services.request_run(
            scenario=world.shared, user=world.users["negotiator-owner"], inputs=None
        )
    )
    assert again.pk == world.shared_run.pk  # same inputs: the same run
    queued = AllocationRun.objects.create(
        scenario=world.shared, params={}, inputs_hash="q", triggered_by="user"
    )
    AllocationRun.objects.filter(pk=world.shared_run.pk).update(
        finished_at=timezone.now() - timedelta(days=3)
    )
    url = "/api/v1/runs/"
    latest = rows(
        client.get(
            url, {"scenario": world.shared.pk, "status": "succeeded", "ordering": "-finished_at"}
        )
    )
    assert [r["id"] for r in latest] == [world.shared_run.pk]
    assert {r["id"] for r in rows(client.get(url, {"status": "queued"}))} == {queued.pk}
    recent = timezone.now() - timedelta(days=1)
    assert rows(client.get(url, {"finished_after": recent.isoformat()})) == []
    assert {r["id"] for r in rows(client.get(url, {"finished_before": recent.isoformat()}))} == {
        world.shared_run.pk
    }
    assert queued.pk in {
        r["id"] for r in rows(client.get(url, {"created_after": recent.isoformat()}))
    }
    assert [r["id"] for r in rows(client.get(url, {"ordering": "id"}))] == sorted(
        r["id"] for r in rows(client.get(url))
    )
    # the scenario links its latest succeeded run
    scenario = json_of(client.get(f"/api/v1/scenarios/{world.shared.pk}/"))
    assert scenario["latest_run"]["id"] == world.shared_run.pk
    assert scenario["latest_run"]["url"].endswith(f"/api/v1/runs/{world.shared_run.pk}/")
    listed = {s["id"]: s for s in rows(client.get("/api/v1/scenarios/"))}
    assert listed[world.shared.pk]["latest_run"]["id"] == world.shared_run.pk


def test_scenario_filters(world: World) -> None:
    client = world.client("negotiator-owner")
    url = "/api/v1/scenarios/"
    assert {s["id"] for s in rows(client.get(url, {"visibility": "private"}))} == {world.private.pk}
    assert {s["name"] for s in rows(client.get(url, {"search": "shar"}))} == {"Shared"}
    assert {s["id"] for s in rows(client.get(url, {"owner": "nown"}))} == {
        world.shared.pk,
        world.private.pk,
    }
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert rows(client.get(url, {"created_after": future})) == []
    names = [s["name"] for s in rows(client.get(url, {"ordering": "-name"}))]
    assert names == sorted(names, reverse=True)


def test_placement_and_phasing_filters(finished_run: AllocationRun, reader: APIClient) -> None:
    base = f"/api/v1/runs/{finished_run.pk}"
    for params, holds in (
        ({"municipality": 101}, lambda r: r["municipality"] == 101),
        ({"pillar": "coverage"}, lambda r: r["pillar"] == "coverage"),
        ({"year": 2030}, lambda r: r["year"] == 2030),
        ({"year_min": 2033}, lambda r: r["year"] >= 2033),
        ({"kind": "new"}, lambda r: r["kind"] == "new"),
    ):
        found = rows(reader.get(f"{base}/placements/", {**params, "page_size": 5000}))
        assert found and all(holds(r) for r in found), params
    in_region = rows(reader.get(f"{base}/placements/", {"region": 1081, "page_size": 5000}))
    codes = set(
        Practice.objects.filter(municipality__region_id=1081).values_list(
            "municipality_id", flat=True
        )
    )
    assert in_region and {r["municipality"] for r in in_region} <= codes | {
        r["municipality"] for r in in_region if r["kind"] == "new"
    }
    phasing = rows(reader.get(f"{base}/phasing/", {"year_max": 2027, "pillar": "transition"}))
    assert phasing and all(r["year"] <= 2027 and r["pillar"] == "transition" for r in phasing)
    ordered = rows(reader.get(f"{base}/phasing/", {"level": "area", "ordering": "-capacities"}))
    assert [r["capacities"] for r in ordered] == sorted(
        (r["capacities"] for r in ordered), reverse=True
    )


def test_phasing_filters_combine_and_order_by_several_keys(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    base = f"/api/v1/runs/{finished_run.pk}/phasing/"
    every = rows(reader.get(base, {"page_size": 5000}))
    assert [(r["year"], r["pillar"], int(r["key"])) for r in every] == sorted(
        (r["year"], r["pillar"], int(r["key"])) for r in every
    )
    window = rows(reader.get(base, {"year_min": 2029, "year_max": 2031, "page_size": 5000}))
    assert window == [r for r in every if 2029 <= r["year"] <= 2031]
    assert rows(reader.get(base, {"year": 0})) == []
    ordered = rows(reader.get(base, {"ordering": "pillar,-capacities,key", "page_size": 5000}))
    assert [(r["pillar"], -r["capacities"], int(r["key"])) for r in ordered] == sorted(
        (r["pillar"], -r["capacities"], int(r["key"])) for r in ordered
    )
    assert len(ordered) == len(every)
    for bad in ({"ordering": "cumulative"}, {"pillar": "all"}, {"year": "2030.5"}):
        response = reader.get(base, bad)
        assert response.status_code == 400 and set(response.json()) == set(bad), bad


# --- 400s that name what is wrong -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "named"),
    [
        ("/api/v1/runs/", {"statuss": "succeeded"}, "statuss"),
        ("/api/v1/runs/", {"ordering": "-capacities"}, "ordering"),
        ("/api/v1/runs/", {"finished_at__gte": "2030-01-01"}, "finished_at__gte"),
        ("/api/v1/runs/", {"created_after": "not a date"}, "created_after"),
        ("/api/v1/runs/", {"status": ""}, "status"),
        ("/api/v1/practices/", {"search": "x", "serch": "y"}, "serch"),
        ("/api/v1/practices/", {"region": "1.5"}, "region"),
        ("/api/v1/practices/", {"page_size": "null"}, "page_size"),
        ("/api/v1/municipalities/", {"geography": "nowhere"}, "geography"),
        ("/api/v1/regions/", {"format": ""}, "format"),
        ("/api/v1/regions/", {"format": "pdf"}, "format"),
        ("/api/v1/scenarios/", {"ordering": "owner"}, "ordering"),
        ("/api/v1/results/", {"ordering": "capacities"}, "ordering"),
        ("/api/v1/municipalities/indicators/", {"indicator": "happiness"}, "indicator"),
    ],
)
def test_a_misspelt_or_bad_parameter_is_a_400_naming_it(
    reader: APIClient, url: str, params: dict[str, Any], named: str
) -> None:
    response = reader.get(url, params)
    assert response.status_code == 400, response.content[:300]
    assert named in response.json(), response.json()
    assert response["Content-Type"].startswith("application/json")


def test_result_parameters_are_strict_too(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    for params, named in (
        ({"levl": "area"}, "levl"),
        ({"ordering": "-nonsense"}, "ordering"),
        ({"level": "area", "region": 1081}, "region"),
        ({"geography": ""}, "geography"),
    ):
        response = reader.get(url, params)
        assert response.status_code == 400 and named in response.json(), (params, response.json())
    response = reader.get(f"/api/v1/runs/{finished_run.pk}/metrics/", {"level": "area"})
    assert response.status_code == 400 and "level" in response.json()


# --- tidy result rows -----------------------------------------------------------------------


def test_result_rows_carry_run_scenario_and_status(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    municipalities = rows(reader.get(url))
    assert len(municipalities) == 98
    for row in municipalities:
        assert row["run"] == finished_run.pk and row["scenario"] == finished_run.scenario_id
        assert row["supply_status"] == "synthetic"  # the generated register
        assert row["need_status"] == "estimated"  # the age bands are estimated
        assert isinstance(row["kommunekode"], int)
    clusters = rows(reader.get(url, {"level": "area"}))
    assert len(clusters) == 21
    assert all("kommunekode" not in r and r["need_status"] == "estimated" for r in clusters)
    # the CSV of the areas has no empty code column that pandas would read as floats
    frame = pd.read_csv(io.BytesIO(reader.get(url, {"level": "area", "format": "csv"}).content))
    assert "kommunekode" not in frame.columns and frame["run"].dtype.kind == "i"
    municipal = pd.read_csv(io.BytesIO(reader.get(url, {"format": "csv"}).content))
    assert municipal["kommunekode"].dtype.kind == "i" and municipal["region"].dtype.kind == "i"
    in_region = rows(reader.get(url, {"region": 1085}))
    assert in_region and all(r["region"] == 1085 for r in in_region)
    bornholm = rows(reader.get(url, {"area": "bornholm"}))
    assert [r["kommunekode"] for r in bornholm] == [400]
    ordered = [r["total"] for r in rows(reader.get(url, {"ordering": "-total"}))]
    assert ordered == sorted(ordered, reverse=True)


def test_an_imported_register_shows_in_the_supply_status(world: World) -> None:
    Practice.objects.filter(municipality_id=101).update(source="imported")
    run = finish(
        services.request_run(
            scenario=ScenarioFactory.create(visibility=Visibility.SHARED, name="After import")
        )
    )
    client = world.client("viewer")
    found = {r["kommunekode"]: r for r in rows(client.get(f"/api/v1/runs/{run.pk}/results/"))}
    assert found[101]["supply_status"] == "imported"
    assert found[147]["supply_status"] == "synthetic"
    # the older run keeps the statuses of the data it ran on
    old = {
        r["kommunekode"]: r
        for r in rows(client.get(f"/api/v1/runs/{world.shared_run.pk}/results/"))
    }
    assert old[101]["supply_status"] == "synthetic"
    hovedstaden = rows(client.get(f"/api/v1/runs/{run.pk}/results/", {"level": "area"}))
    assert "mixed" in {r["supply_status"] for r in hovedstaden}


def test_indicators_in_long_format(reader: APIClient) -> None:
    found = rows(reader.get("/api/v1/municipalities/indicators/", {"kommunekode": 101}))
    stored = DemandIndicator.objects.filter(municipality_id=101)
    assert len(found) == stored.count()
    assert set(found[0]) == {
        "kommunekode",
        "name",
        "indicator",
        "year",
        "value",
        "status",
        "source",
        "imported",
    }
    chronic = next(r for r in found if r["indicator"] == "chronic")
    row = stored.get(indicator="chronic", year=chronic["year"])
    assert (chronic["value"], chronic["status"]) == (row.value, row.status)


# --- a run's inputs ------------------------------------------------------------------------


def _inputs_from_tables(tables: dict[str, pd.DataFrame]) -> EngineInputs:
    long = tables["municipalities"]
    wide = long.pivot(index="kommunekode", columns="input", values="value")
    names = long.drop_duplicates("kommunekode").set_index("kommunekode")["name"]
    municipalities = wide.loc[:, list(MUNICIPALITY_COLUMNS)].assign(name=names)
    geographies = tables["geographies"]
    return EngineInputs(
        municipalities=municipalities.loc[:, ["name", *MUNICIPALITY_COLUMNS]],
        practices=tables["practices"].drop(columns="source"),
        doctors=tables["doctors"],
        geographies={
            slug: group.set_index("kommunekode")["area"]
            for slug, group in geographies.groupby("geography")
        },
        projection=tables["projection"],
    )


def test_the_served_inputs_reproduce_the_runs_hash(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/inputs/"
    tables = {}
    for table in ("municipalities", "practices", "doctors", "geographies", "projection"):
        body = json_of(reader.get(url, {"table": table}))
        assert body["inputs_hash"] == finished_run.inputs_hash and body["run"] == finished_run.pk
        assert body["count"] == len(body["results"]) > 0
        tables[table] = pd.DataFrame(body["results"])
    params = json_of(reader.get(f"/api/v1/runs/{finished_run.pk}/"))["params"]
    rebuilt = _inputs_from_tables(tables)
    assert services.inputs_hash(inputs=rebuilt, params=params) == finished_run.inputs_hash
    municipalities = tables["municipalities"]
    assert set(municipalities["status"]) == {"sourced", "estimated"}
    assert set(tables["practices"]["source"]) == {"synthetic"}


def test_the_data_changing_later_does_not_change_a_runs_inputs(
    finished_run: AllocationRun, reader: APIClient
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/inputs/"
    before = json_of(reader.get(url, {"table": "practices"}))["results"]
    Practice.objects.filter(municipality_id=101).update(listed_patients=1)
    assert json_of(reader.get(url, {"table": "practices"}))["results"] == before


def test_inputs_in_csv_da_and_xlsx(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/inputs/"
    response = reader.get(url, {"format": "csv-da"})
    assert response.status_code == 200 and response["X-Inputs-Hash"] == finished_run.inputs_hash
    frame = pd.read_csv(io.BytesIO(response.content), sep=";", decimal=",", encoding="utf-8-sig")
    assert {"kommunekode", "input", "value", "status", "source"} <= set(frame.columns)
    assert len(frame) == 98 * len(MUNICIPALITY_COLUMNS)
    assert frame["kommunekode"].dtype.kind == "i" and frame["value"].dtype.kind == "f"
    served = json_of(reader.get(url))["results"]
    assert frame["value"].tolist() == [r["value"] for r in served]
    xlsx = reader.get(url, {"format": "xlsx", "table": "practices"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["ydernummer", "kommunekode", "capacities"]
    assert sheet.max_row == Practice.objects.count() + 1


def test_xlsx_of_a_list_is_formula_safe_and_numeric(world: World) -> None:
    Practice.objects.filter(pk=world.nord_practice.pk).update(name="=HYPERLINK(1)")
    client = world.client("viewer")
    response = client.get("/api/v1/practices/", {"format": "xlsx", "page_size": 5000})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    names = [r[header.index("name")] for r in values]
    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" not in names
    assert all(isinstance(r[header.index("listed_patients")], int) for r in values)
    assert client.get("/api/v1/runs/999/", {"format": "xlsx"})["Content-Type"].startswith(
        "application/json"
    )


# --- one dataset of every result ----------------------------------------------------------


def test_every_result_of_every_shared_run_as_one_dataset(world: World) -> None:
    client = world.client("viewer")
    shared = rows(client.get("/api/v1/results/", {"visibility": "shared", "page_size": 5000}))
    assert len(shared) == 98 and {r["run"] for r in shared} == {world.shared_run.pk}
    # the viewer cannot see the private run; its owner can
    assert rows(client.get("/api/v1/results/", {"page_size": 5000})) == shared
    owner = world.client("negotiator-owner")
    both = rows(owner.get("/api/v1/results/", {"page_size": 5000}))
    assert {r["run"] for r in both} == {world.shared_run.pk, world.private_run.pk}
    page = owner.get("/api/v1/results/", {"page_size": 50})
    assert page["X-Total-Count"] == "196" and 'rel="next"' in page["Link"]
    one = rows(owner.get("/api/v1/results/", {"run": world.private_run.pk, "municipality": 101}))
    assert [(r["run"], r["kommunekode"]) for r in one] == [(world.private_run.pk, 101)]
    assert one[0]["scenario"] == world.private.pk and one[0]["need_status"] == "estimated"
    region = rows(owner.get("/api/v1/results/", {"region": 1084, "page_size": 5000}))
    assert region and all(r["region"] == 1084 for r in region)
    ordered = rows(owner.get("/api/v1/results/", {"ordering": "-total", "page_size": 5000}))
    assert [r["total"] for r in ordered] == sorted((r["total"] for r in ordered), reverse=True)
    assert AllocationRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 2


# --- as a new user would --------------------------------------------------------------------


def test_an_analyst_stacks_two_runs_in_pandas(world: World) -> None:
    client = world.client("api-client")
    default = rows(client.get("/api/v1/scenarios/", {"search": "Shared"}))[0]
    latest = default["latest_run"]["id"]
    clusters = client.get(
        f"/api/v1/runs/{latest}/results/",
        {"level": "area", "geography": "sundhedsklynger-21", "format": "csv-da"},
    )
    frame = pd.read_csv(io.BytesIO(clusters.content), sep=";", decimal=",", encoding="utf-8-sig")
    assert len(frame) == 21 and frame["total"].sum() == 1500
    inputs = client.get(f"/api/v1/runs/{latest}/inputs/", {"format": "csv-da"})
    assert inputs.status_code == 200 and inputs["X-Inputs-Hash"] == world.shared_run.inputs_hash
    stacked = pd.concat(
        pd.read_csv(
            io.BytesIO(
                world.client("negotiator-owner")
                .get(f"/api/v1/runs/{run}/results/", {"format": "csv"})
                .content
            )
        )
        for run in (world.shared_run.pk, world.private_run.pk)
    )
    wide = stacked.pivot(index="kommunekode", columns="run", values="transition")
    assert wide.shape == (98, 2) and wide.sum().tolist() == [700, 600]
    misspelt = client.get("/api/v1/runs/", {"scenaro": default["id"]})
    assert misspelt.status_code == 400 and "scenaro" in misspelt.json()


# --- the client's language -----------------------------------------------------------------


def test_errors_follow_accept_language_falling_back_to_danish(reader: APIClient) -> None:
    english = reader.get("/api/v1/runs/", {"scenaro": 1}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert english.json()["scenaro"][0].startswith("Unknown query parameter")
    danish = reader.get("/api/v1/runs/", {"scenaro": 1}, HTTP_ACCEPT_LANGUAGE="da")
    assert danish.json()["scenaro"][0].startswith("Ukendt forespørgselsparameter")
    unknown = reader.get("/api/v1/runs/", {"scenaro": 1}, HTTP_ACCEPT_LANGUAGE="fr-FR")
    assert unknown.json()["scenaro"][0].startswith("Ukendt")
    assert reader.get("/api/v1/runs/", {"scenaro": 1}).json()["scenaro"][0].startswith("Ukendt")
    # DRF's own messages too, and the language cookie of the pages does not decide here
    anonymous = APIClient()
    anonymous.cookies["django_language"] = "da"
    response = anonymous.get("/api/v1/regions/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert "Accept-Language" in response["Vary"]
    assert APIClient().get("/api/v1/regions/").json()["detail"] != response.json()["detail"]
