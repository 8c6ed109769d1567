"""The OpenAPI schema generates cleanly and validates; the docs pages work offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema
from rest_framework.renderers import BaseRenderer


def test_schema_generates_without_warnings_and_validates(capsys: pytest.CaptureFixture) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)  # OpenAPI 3.0 JSON schema: raises on an invalid document
    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err, captured.err
    paths = set(schema["paths"])
    assert "/api/v1/runs/{id}/results/" in paths and "/api/v1/compare/" in paths
    results = schema["paths"]["/api/v1/runs/{id}/results/"]["get"]
    assert {"200", "304", "400", "401", "403", "404", "409", "429"} <= set(results["responses"])
    formats = next(p for p in results["parameters"] if p["name"] == "format")
    assert set(formats["schema"]["enum"]) == {"json", "csv", "csv-da", "xlsx"}
    assert "knoxApiToken" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_is_served_to_anyone() -> None:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    # libyaml's safe loader: the same documents as yaml.safe_load, five times faster
    document = yaml.load(response.content, Loader=yaml.CSafeLoader)
    assert document["info"]["title"] == "Klyngeplan API"
    assert Client().get("/api/schema/", {"format": "json"}).json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_served_schema_is_generated_once_per_language() -> None:
    """The view keeps each language's document and its bytes in each format (api/openapi.py):
    what it serves, the first time and later, is what drf-spectacular generates and renders
    in that language, and the languages differ (choice labels are translated)."""
    renderers: dict[str, BaseRenderer] = {
        "yaml": OpenApiYamlRenderer(),
        "json": OpenApiJsonRenderer(),
    }
    expected = {}
    for language in ("da", "en"):
        with translation.override(language):
            document = SchemaGenerator().get_schema(request=None, public=True)
        for format, renderer in renderers.items():
            expected[language, format] = renderer.render(document, renderer.media_type)
    assert expected["da", "yaml"] != expected["en", "yaml"]
    for language in ("da", "en", "da", "en"):
        for format in renderers:
            response = Client().get("/api/schema/", {"format": format, "lang": language})
            assert response.status_code == 200
            assert response.content == expected[language, format], (language, format)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(page: str) -> None:
    html = Client().get(page).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html[:500]
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], sources
    assets = [s for s in sources if "drf_spectacular_sidecar" in s or "redoc-dist" in s]
    assert assets
    for asset in assets:
        if "/static/" in asset:
            path = asset.split("/static/", 1)[1].split("?")[0]
            assert finders.find(path), f"{asset} is not among the static files"
        else:  # Redoc's bundle, served by api/docs.py from the sidecar's copy
            assert Client().get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()


def test_every_operation_shows_examples_and_its_real_inputs() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ok = next(c for c in operation["responses"] if c.startswith("2"))
            content = operation["responses"][ok].get("content", {})
            if "application/json" in content:
                media = content["application/json"]
                assert media.get("example") is not None or media.get("examples"), (path, method)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert body.get("example") is not None or body.get("examples"), (path, method)
            assert "400" in operation["responses"], (path, method)  # unknown parameters
    written = schema["paths"]["/api/v1/scenarios/"]["post"]["requestBody"]["content"]
    assert "MoreForCoverage" in written["application/json"]["examples"]
    components = schema["components"]["schemas"]
    params = components["ScenarioCreateRequest"]["properties"]["params"]
    assert params["additionalProperties"] is False
    assert params["properties"]["total"]["type"] == "integer"
    assert params["properties"]["list_norm"]["type"] == "number"
    assert params["properties"]["coverage_method"]["enum"] == [
        "minmax",
        "deficit",
        "proportional-new",
    ]
    runs = schema["paths"]["/api/v1/runs/"]["get"]["parameters"]
    names = {p["name"]: p for p in runs}
    assert {"scenario", "status", "ordering", "finished_after", "created_before"} <= set(names)
    results = schema["paths"]["/api/v1/runs/{id}/results/"]["get"]["parameters"]
    geography = next(p for p in results if p["name"] == "geography")
    assert "sundhedsklynger-21" in geography["schema"]["enum"]
    example = schema["paths"]["/api/v1/runs/{id}/results/"]["get"]["responses"]["200"]
    rows = next(iter(example["content"]["application/json"]["examples"].values()))["value"]
    assert rows[0]["run"] and rows[0]["need_status"] == "estimated"
