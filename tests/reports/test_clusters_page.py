from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.usefixtures("denmark")


def test_clusters_page_lists_the_21_clusters(client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<section class="area"') == 21
    assert "Aarhusklyngen" in html and "Thisted" in html
    assert "6.025.511" in html  # Danish number format by default
    assert "syntetisk" in html.lower() or "synthetic" in html.lower()
    assert len(queries) <= 6


@pytest.mark.parametrize(
    ("slug", "areas"), [("regioner", 5), ("regioner-2027", 4), ("sundhedsklynger-2022", 22)]
)
def test_geography_switch(client: Client, slug: str, areas: int) -> None:
    html = client.get("/", {"geography": slug}).content.decode()
    assert html.count('<section class="area"') == areas


def test_unknown_geography_falls_back_to_default(client: Client) -> None:
    html = client.get("/", {"geography": "nope"}).content.decode()
    assert html.count('<section class="area"') == 21


def test_english_is_one_switch_away(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and "6,025,511" in html
