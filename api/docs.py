"""Redoc's bundle, served from the sidecar's copy with its one outside address replaced.

Redoc draws the Redocly logo in its menu from cdn.redoc.ly, and has no option to leave it
out; a page of ours must not make the browser ask another server for anything. The logo's
address becomes an empty inline image (the Content-Security-Policy allows ``data:`` images).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import drf_spectacular_sidecar
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

BUNDLE = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
)
OUTSIDE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E"


@lru_cache(maxsize=1)
def _bundle() -> tuple[bytes, str]:
    body = BUNDLE.read_text(encoding="utf-8").replace(OUTSIDE_LOGO, EMPTY_IMAGE).encode()
    return body, hashlib.sha256(body).hexdigest()[:20]


@require_GET
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    body, digest = _bundle()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["ETag"] = f'"{digest}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response
