"""Every page is served under a Content-Security-Policy that allows nothing inline for
scripts, and no page carries an inline script or an inline event handler."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import Client

from practices.models import Practice
from tests.reports.conftest import Site

# an attribute on<event>= inside a tag; a <script> that has no src (JSON data blocks aside)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
# something the browser fetches by itself from another server (a link one clicks is not)
OUTSIDE = re.compile(
    r"""<(?:script|img|iframe|link|source|embed|object|form)\b[^>]*"""
    r"""\b(?:src|href|action|data)\s*=\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_the_policy_allows_only_this_origin_and_no_inline_script(client: Client, db: None) -> None:
    response = client.get("/login/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert all(not v.startswith(("http", "*")) for values in policy.values() for v in values)


def pages(site: Site) -> list[str]:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    run = site.default_run.pk
    return [
        "/",
        "/clusters/",
        "/areas/sundhedsklynger-21/" + _first_area() + "/",
        "/municipalities/787/",
        "/phase-in/",
        "/sensitivity/",
        "/scenarios/",
        f"/scenarios/{site.variant.pk}/",
        f"/scenarios/{site.default.pk}/report/",
        f"/runs/{run}/",
        f"/compare/?s={site.default.pk}&s={site.variant.pk}",
        "/practices/",
        f"/practices/{practice.ydernummer}/",
        "/admin/",
        "/api/docs/",
        "/api/redoc/",
        "/api/v1/regions/?format=api",
    ]


def _first_area() -> str:
    from clusters.models import Area

    area = Area.objects.filter(geography__slug="sundhedsklynger-21").order_by("slug").first()
    assert area is not None
    return area.slug


def _check(html: str, url: str) -> None:
    assert not INLINE_HANDLER.findall(html), (url, INLINE_HANDLER.findall(html)[:3])
    assert not INLINE_SCRIPT.findall(html), (url, INLINE_SCRIPT.findall(html)[:3])
    assert not OUTSIDE.findall(html), (url, OUTSIDE.findall(html)[:3])


def test_no_page_has_inline_handlers_inline_scripts_or_outside_addresses(
    site: Site, as_user: Any, client: Client
) -> None:
    _check(client.get("/login/").content.decode(), "/login/")
    browser = as_user("admin")
    for url in pages(site):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response, url
        _check(response.content.decode(), url)


def test_swagger_gets_its_start_up_script_as_a_file(client: Client) -> None:
    html = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="([^"]*\?[^"]*script[^"]*)"', html)
    assert script is not None
    body = client.get(script.group(1).replace("&amp;", "&"))
    assert body.status_code == 200 and "SwaggerUIBundle" in body.content.decode()
    assert '"validatorUrl": null' in body.content.decode()  # no badge from validator.swagger.io


def test_redoc_is_served_without_its_cdn_logo(client: Client) -> None:
    html = client.get("/api/redoc/").content.decode()
    assert '<script src="/api/redoc-dist/bundles/redoc.standalone.js">' in html
    assert "fonts.googleapis" not in html
    bundle = client.get("/api/redoc-dist/bundles/redoc.standalone.js")
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("application/javascript")
    text = bundle.content.decode()
    assert "cdn.redoc.ly" not in text
    assert "data:image/svg+xml," in text  # the logo's address was found and replaced


def test_plotly_offers_no_button_that_sends_a_chart_away() -> None:
    js = (settings.BASE_DIR / "static/js/klyngeplan.js").read_text()
    assert "showSendToCloud: false" in js and "showEditInChartStudio: false" in js
