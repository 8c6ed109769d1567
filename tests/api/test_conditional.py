"""Finished runs are immutable: ETag and Last-Modified, and 304 to conditional requests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from allocation.models import AllocationRun, RunStatus
from tests.allocation.factories import ScenarioFactory

ENDPOINTS = (
    "",
    "results/?level=area",
    "placements/",
    "phasing/",
    "metrics/",
    "sensitivity/",
    "explanation/101/",
)


@pytest.mark.parametrize("suffix", ENDPOINTS)
def test_if_none_match_gets_304(
    finished_run: AllocationRun, reader: APIClient, suffix: str
) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/{suffix}"
    first = reader.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert "Accept" in first["Vary"] and "Authorization" in first["Vary"]
    again = reader.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert reader.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert reader.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_etag_differs_by_representation(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    etags = {
        reader.get(url, query)["ETag"]
        for query in ({}, {"level": "area"}, {"format": "csv"}, {"format": "csv-da"})
    }
    assert len(etags) == 4
    csv_etag = reader.get(url, {"format": "csv"})["ETag"]
    assert reader.get(url, {"format": "csv"}, HTTP_IF_NONE_MATCH=csv_etag).status_code == 304
    # a JSON client holding the CSV's ETag gets the JSON, not a 304
    assert reader.get(url, HTTP_IF_NONE_MATCH=csv_etag).status_code == 200


def test_304_does_not_bypass_permissions(finished_run: AllocationRun, reader: APIClient) -> None:
    url = f"/api/v1/runs/{finished_run.pk}/results/"
    etag = reader.get(url)["ETag"]
    assert APIClient().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 401


def test_unfinished_run_has_no_etag_and_no_results(denmark: None, reader: APIClient) -> None:
    run = AllocationRun.objects.create(
        scenario=ScenarioFactory.create(visibility="shared"),
        params={},
        inputs_hash="x",
        triggered_by="user",
        status=RunStatus.RUNNING,
        progress=40,
        stage="allocating",
    )
    detail = reader.get(f"/api/v1/runs/{run.pk}/")
    assert detail.status_code == 200 and not detail.has_header("ETag")
    assert detail.json()["progress"] == 40 and detail.json()["stage"] == "allocating"
    results = reader.get(f"/api/v1/runs/{run.pk}/results/")
    assert results.status_code == 409 and "running" in results.json()["detail"]
    assert not results.has_header("ETag")
