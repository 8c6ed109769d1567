"""OpenAPI pieces shared by the views: the error responses every endpoint may give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


_DESCRIPTIONS = {
    400: "Invalid input: an object naming each bad field with its messages.",
    401: "Not authenticated: send `Authorization: Token <token>` or log in.",
    403: "Authenticated, but the role or region does not allow this.",
    404: "Not found (or not visible to you, like another user's private scenario).",
    406: "Unknown `?format=`: json, csv or csv-da.",
    409: "The run has not succeeded (yet): its results are not there.",
    429: "Throttled: too many requests; see the Retry-After header.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """Error responses for ``extend_schema(responses=...)``; 401, 403, 406 and 429 always."""
    out: dict[int, OpenApiResponse] = {}
    for code in sorted({*codes, 401, 403, 406, 429}):
        body = OpenApiTypes.OBJECT if code == 400 else DetailSerializer
        out[code] = OpenApiResponse(body, description=_DESCRIPTIONS[code])
    return out


NOT_MODIFIED = {304: OpenApiResponse(description="Not modified since the ETag/date you sent.")}


def csv_as_text(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: a CSV response is text with a header row, not the JSON object."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
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
