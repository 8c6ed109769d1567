"""The run workbook as a spreadsheet shows it: headers in the reader's language, number
formats per column, Copenhagen time, the parameters in words, the data status per value
and the placements' reasons in the reader's language."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from allocation.engine import AllocationParams, allocate
from reports.reasons import PATTERNS, reason_text
from tests.allocation.engine.builders import denmark_inputs, small_inputs
from tests.reports.conftest import Site


@pytest.fixture(scope="module")
def books(site: Site) -> dict[str, Any]:
    """The default run's workbook as the viewer downloads it, per language, downloaded and
    parsed (about a second each) by the first test here that reads it; the tests only read
    it, and the site's data it comes from is the same in each of them."""
    return {}


@pytest.fixture
def book_of(site: Site, as_user: Any, books: dict[str, Any]) -> Any:
    def book(language: str = "da") -> Any:
        if language not in books:
            client = as_user("viewer", language=language)
            response = client.get(f"/runs/{site.default_run.pk}/workbook.xlsx")
            assert response.status_code == 200
            books[language] = load_workbook(io.BytesIO(response.content))
        return books[language]

    return book


def _column(ws: Any, header: str) -> list[Any]:
    head = [c.value for c in ws[1]]
    assert header in head, head
    return [row[head.index(header)] for row in ws.iter_rows(min_row=2)]


def test_number_formats_per_column(book_of: Any) -> None:
    book = book_of()
    munis = book["Kommuner"]
    head = [c.value for c in munis[1]]
    assert not any("_" in str(h) for h in head), head  # no snake_case
    assert {c.number_format for c in _column(munis, "Nye kapaciteter i alt")} == {"#,##0"}
    loads = _column(munis, "Belastning efter")
    assert {c.number_format for c in loads if c.value is not None} == {"#,##0"}
    assert all(isinstance(c.value, float) for c in loads if c.value is not None)
    assert {c.number_format for c in _column(munis, "Kapaciteter i dag")} == {"#,##0.0"}
    assert {c.number_format for c in _column(munis, "Kommunekode")} == {"0"}
    about = {r[0].value: r for r in book["Om"].iter_rows() if r and r[0].value}
    open_share = about["Praksis åbne for tilgang (fremskrevet)"]
    assert open_share[1].number_format == "0.0%" and 0 < open_share[1].value < 1
    assert about["Største belastning"][2].number_format == "#,##0"


def test_local_time_parameters_in_words_and_noun_run(site: Site, book_of: Any) -> None:
    book = book_of()
    about = {r[0]: r[1:] for r in book["Om"].iter_rows(values_only=True) if r and r[0]}
    assert "Kørsel" in about and "Kør" not in about
    finished = about["Færdig (dansk tid)"][0]
    assert isinstance(finished, dt.datetime) and finished.tzinfo is None
    assert finished == timezone.localtime(site.default_run.finished_at).replace(
        tzinfo=None, microsecond=finished.microsecond
    )
    # the parameters as the report writes them, not Python's repr
    assert about["Listenorm"][0] == "1.600"
    assert about["Metode for lægedækning"][0] == "min-max-påfyldning (højeste belastning først)"
    assert not any(str(v[0]).startswith("{") for v in about.values() if v)


def test_data_status_per_value_and_reasons_in_the_language(book_of: Any) -> None:
    book = book_of()
    munis = book["Kommuner"]
    assert {c.value for c in _column(munis, "Kapaciteter i dag, kilde")} == {"syntetisk"}
    assert {c.value for c in _column(munis, "Behovsdata")} == {"estimeret"}
    reasons = [c.value for c in _column(book["Placeringer"], "Begrundelse")]
    assert reasons and all(r.startswith(("udvidelse af", "nyt ydernummer")) for r in reasons), (
        reasons[:3]
    )
    en = book_of("en")
    assert _column(en["Placements"], "Reason")[0].value.startswith(("expansion", "new"))


def test_reason_text_reads_the_engines_patterns() -> None:
    from django.utils import translation

    with translation.override("da"):
        assert reason_text(
            "expansion of ydernummer 0101-3, the most loaded practice in København with room "
            "(1850 listed patients per capacity; 2.5 → 3.5 capacities, max 8)"
        ) == (
            "udvidelse af ydernummer 0101-3, den mest belastede praksis i København med plads "
            "(1.850 tilmeldte patienter pr. kapacitet; 2,5 → 3,5 kapaciteter, højst 8)"
        )
        assert reason_text("new ydernummer NEW-825-1 in Læsø: there is no practice there") == (
            "nyt ydernummer NEW-825-1 i Læsø: der er ingen praksis dér"
        )
        assert reason_text("a reason in other words") == "a reason in other words"


def test_every_reason_the_engine_writes_is_read_back() -> None:
    """Each placement sentence of a default run and of one without room or practices matches
    one of the patterns, so the pages show none of them in English under Danish."""
    rows = [
        allocate(denmark_inputs()).placements,
        allocate(
            small_inputs([20000.0, 5000.0], [[1.0, 2.0], []]),
            AllocationParams(
                total=20,
                transition=8,
                coverage=8,
                accessibility=4,
                horizon=2027,
                pipeline=(10, 10),
                max_practice_growth=1,
                recruitment_rate=0.0,
                pipeline_binding=False,
            ),
        ).placements,
    ]
    reasons = {r for frame in rows for r in frame["reason"]}
    codes = {c for frame in rows for c in frame["reason_code"]}
    assert codes == {
        "most_loaded",
        "solo_to_partnership",
        "new_steering",
        "new_no_room",
        "new_no_practice",
    }
    unread = [r for r in reasons if not any(p.fullmatch(r) for p, _write in PATTERNS)]
    assert not unread, unread[:3]
