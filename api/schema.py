"""OpenAPI pieces shared by the views: the error responses every endpoint may give."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from allocation.engine import AllocationParams
from allocation.engine.params import COVERAGE_METHODS, PROPORTIONAL_METHODS


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


_DESCRIPTIONS = {
    400: "Invalid input: an object naming each bad field or query parameter (an unknown "
    "one, an empty value, an unknown `format`) with its messages.",
    401: "Not authenticated: send `Authorization: Token <token>` or log in.",
    403: "Authenticated, but the role or region does not allow this.",
    404: "Not found (or not visible to you, like another user's private scenario).",
    406: "The Accept header asks for a type none of the formats gives.",
    409: "The run has not succeeded (yet): its results are not there.",
    429: "Throttled: too many requests; see the Retry-After header.",
    503: "The task queue is unreachable: the run is kept queued (its id in `run`) and starts "
    "by itself when the queue is back; see the Retry-After header.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for ``extend_schema(responses=...)``; 400 (any endpoint refuses an
    unknown query parameter), 401, 403, 406 and 429 always."""
    out: dict[int, OpenApiResponse] = {}
    for code in sorted({*codes, 400, 401, 403, 406, 429}):
        body = OpenApiTypes.OBJECT if code == 400 else DetailSerializer
        out[code] = OpenApiResponse(body, description=_DESCRIPTIONS[code])
    return out


_SCALARS = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}
_CHOICES = {
    "coverage_method": COVERAGE_METHODS,
    "transition_method": PROPORTIONAL_METHODS,
    "accessibility_method": PROPORTIONAL_METHODS,
}


def _param_schema(name: str, type_name: str, default: Any) -> dict[str, Any]:
    if name in _CHOICES:
        return {"type": "string", "enum": list(_CHOICES[name])}
    if type_name in _SCALARS:
        return {"type": _SCALARS[type_name]}
    if type_name.startswith("tuple[int"):
        return {"type": "array", "items": {"type": "integer"}}
    if name == "caps":
        return {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "kommunekode -> most new coverage capacities a year",
        }
    if name == "floors":
        return {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "area slug of `geography` -> least new capacities",
        }
    values = default if isinstance(default, dict) else {}
    return {
        "type": "object",
        "properties": {key: {"type": "number"} for key in values},
        "additionalProperties": False,
    }


def engine_params_schema() -> dict[str, Any]:
    """The allocation engine's parameters as an OpenAPI object: every parameter with its
    type, its default as the example, and nothing else allowed (the engine refuses unknown
    keys). Range rules between parameters (the pillars add up to the total) are the
    engine's, answered with a 400 naming the parameter."""
    defaults = AllocationParams().to_dict()
    properties = {}
    for f in fields(AllocationParams):
        schema = _param_schema(f.name, str(f.type), defaults[f.name])
        schema["example"] = defaults[f.name]
        properties[f.name] = schema
    return {"type": "object", "properties": properties, "additionalProperties": False}


@extend_schema_field(engine_params_schema())
class EngineParamsField(serializers.DictField):
    """The engine's parameters (a JSON object), described by :func:`engine_params_schema`."""


NOT_MODIFIED = {304: OpenApiResponse(description="Not modified since the ETag/date you sent.")}


def csv_as_text(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: a CSV response is text with a header row and an XLSX response a
    workbook, not the JSON object."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if xlsx in content:
                    content[xlsx] = {
                        "schema": {
                            "type": "string",
                            "format": "binary",
                            "description": "An Excel workbook (`?format=xlsx`): the CSV's "
                            "header and rows on one sheet, numbers as numbers.",
                        }
                    }
                if "text/csv" in content:
                    content["text/csv"] = {
                        "schema": {
                            "type": "string",
                            "description": "CSV: a header row, then one row per item "
                            "(`?format=csv`: comma, decimal point; `?format=csv-da`: "
                            "semicolon, decimal comma, UTF-8 BOM).",
                        }
                    }
    return result


def unsupported_media_type(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict:
    """Postprocessing hook: an operation that reads a body answers 415 to a body it cannot
    parse by its Content-Type (none, or one it does not accept), as DRF does."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault(
                    "415",
                    {
                        "description": "Unsupported media type: send JSON, a form or multipart.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}
                        },
                    },
                )
    return result
