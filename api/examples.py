"""Examples for the OpenAPI schema: real-looking requests and responses, so Swagger and Redoc
show what a call sends and gets rather than "string" everywhere.

The writes and the main reads have examples written here (drf-spectacular's OpenApiExample);
:func:`add_examples`, a postprocessing hook, gives every other response an example built
from its schema, with values named after the field (a kommunekode is 101, a geography
sundhedsklynger-21) and each field's own ``example`` where it has one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

RESULT_ROW = {
    "run": 12,
    "scenario": 1,
    "level": "municipality",
    "key": "101",
    "name": "København",
    "kommunekode": 101,
    "region": 1084,
    "area": "bispebjerg-frederiksberg",
    "municipalities": 1,
    "population": 667099,
    "pillar": "total",
    "capacities": 88,
    "transition": 53,
    "coverage": 19,
    "accessibility": 16,
    "total": 88,
    "weighted_citizens": 633512.4,
    "supply_today": 351.5,
    "supply_at_horizon": 351.5,
    "load_before": 1802.3,
    "load_after": 1738.9,
    "coverage_rank": 40,
    "need_status": "estimated",
    "supply_status": "synthetic",
}
RESULTS = OpenApiExample(
    "A municipality's row",
    value=RESULT_ROW,
    response_only=True,
    description="`?level=area` gives one row per area (without kommunekode and region).",
)
RUN = {
    "id": 12,
    "url": "http://127.0.0.1:8000/api/v1/runs/12/",
    "scenario": 1,
    "scenario_name": "KL/PLO 2035 (700/600/200)",
    "status": "succeeded",
    "progress": 100,
    "stage": "done",
    "stage_label": "færdig",
    "stage_count": None,
    "stage_total": None,
    "error": "",
    "triggered_by": "user",
    "requested_by": "planner",
    "inputs_hash": "3f1c0a9e5b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1a",
    "created_at": "2026-03-02T09:15:04.120000+01:00",
    "started_at": "2026-03-02T09:15:04.300000+01:00",
    "finished_at": "2026-03-02T09:15:06.840000+01:00",
    "totals": {"transition": 700, "coverage": 600, "accessibility": 200, "total": 1500},
    "timings": {"allocate": 0.41, "sensitivity": 1.62, "store": 0.38},
    "links": {
        name: f"http://127.0.0.1:8000/api/v1/runs/12/{name}/"
        for name in ("results", "inputs", "placements", "phasing", "metrics", "sensitivity")
    },
}
RUNS = OpenApiExample(
    "The latest succeeded run of scenario 1",
    value=RUN,
    response_only=True,
    description="`GET runs/?scenario=1&status=succeeded&ordering=-finished_at`",
)
RUN_REQUEST = OpenApiExample("Run scenario 1", value={"scenario": 1}, request_only=True)
SCENARIO_CREATE = OpenApiExample(
    "More for coverage",
    value={
        "name": "Dækning først (600/800/100)",
        "description": "Flere kapaciteter til lægedækning",
        "visibility": "private",
        "params": {"transition": 600, "coverage": 800, "accessibility": 100},
    },
    request_only=True,
)
SCENARIO_UPDATE = OpenApiExample(
    "Share it, with a higher list norm",
    value={"visibility": "shared", "params": {**{"list_norm": 1700.0}}},
    request_only=True,
    description="`params` replaces the scenario's parameters; omitted ones take the "
    "engine's defaults.",
)
CLONE = OpenApiExample("Clone under a new name", value={"name": "Min variant"}, request_only=True)
LOGIN = OpenApiExample(
    "An API client logs in",
    value={"username": "bi-region-nord", "password": "a-long-password"},
    request_only=True,
)
TOKEN = OpenApiExample(
    "A token",
    value={"token": "9c1f0d3e5a7b2c4d6e8f0a1b3c5d7e9f", "expiry": "2026-06-01T09:00:00+02:00"},
    response_only=True,
)
PRACTICE_UPDATE = OpenApiExample(
    "Closed to new patients, one more capacity",
    value={"open_to_new_patients": False, "capacities": 3.0},
    request_only=True,
)
INPUTS = OpenApiExample(
    "The municipalities' inputs of run 12",
    value={
        "run": 12,
        "scenario": 1,
        "inputs_hash": RUN["inputs_hash"],
        "table": "municipalities",
        "count": 1176,
        "results": [
            {
                "kommunekode": 101,
                "name": "København",
                "input": "chronic",
                "value": 231876.0,
                "year": 2026,
                "status": "estimated",
                "source": "national prevalence by age band × the municipality's age structure",
                "imported": False,
            }
        ],
    },
    response_only=True,
)
DATASET = OpenApiExample(
    "Every shared run's municipality results",
    value={
        "run": 12,
        "scenario": 1,
        "finished_at": "2026-03-02T09:15:06.840000+01:00",
        **{k: RESULT_ROW[k] for k in ("kommunekode", "name", "region", "population")},
        **{
            k: RESULT_ROW[k]
            for k in (
                "transition",
                "coverage",
                "accessibility",
                "total",
                "weighted_citizens",
                "supply_today",
                "supply_at_horizon",
                "load_before",
                "load_after",
                "coverage_rank",
                "need_status",
                "supply_status",
            )
        },
    },
    response_only=True,
)

# --- examples from the schema, for the responses without one of their own ----------------

_BY_NAME: dict[str, Any] = {
    "kommunekode": 101,
    "municipality": 101,
    "region": 1084,
    "code": 1084,
    "name": "København",
    "region_name": "Region Hovedstaden",
    "municipality_name": "København",
    "ydernummer": "900001",
    "geography": "sundhedsklynger-21",
    "slug": "sundhedsklynger-21",
    "area": "bispebjerg-frederiksberg",
    "key": "101",
    "level": "municipality",
    "year": 2030,
    "pillar": "coverage",
    "username": "planner",
    "status": "ok",
    "detail": "Not found.",
    "url": "http://127.0.0.1:8000/api/v1/",
    "metric": "max_load",
    "reason_code": "most_loaded",
    "reason_label": "most loaded practice",
}


def _example(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> Any:
    if "$ref" in schema:
        ref = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return _example(ref, components, name)
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return _example(schema[combined][0], components, name)
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        values = [v for v in schema["enum"] if v not in (None, "")]
        return values[0] if values else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            key: _example(sub, components, key)
            for key, sub in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components, name)]
    if name in _BY_NAME and not (kind in ("integer", "number") and isinstance(_BY_NAME[name], str)):
        return _BY_NAME[name]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-03-02T09:15:06+01:00"
    if schema.get("format") == "date":
        return "2026-01-01"
    return name.replace("_", " ") or "text"


def add_examples(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: a JSON response or request body without an example gets one."""
    components = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody", {}).get("content", {})]
            bodies += [r.get("content", {}) for r in operation.get("responses", {}).values()]
            for content in bodies:
                media = content.get("application/json")
                if media and "schema" in media and not media.get("examples"):
                    media.setdefault("example", _example(media["schema"], components))
    return result
