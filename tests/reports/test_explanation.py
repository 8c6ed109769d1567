"""The municipality explanation is one typed object, assembled by a selector."""

from __future__ import annotations

from typing import Any

from allocation.models import MunicipalityResult, Placement
from allocation.selectors import IndexPillar, MunicipalityExplanation, municipality_explanation
from municipalities.selectors import municipality_get
from practices.selectors import practice_list
from tests.reports.conftest import Site


def test_thisted_explained(site: Site, db: Any) -> None:
    thisted = municipality_get(kommunekode=787)
    assert thisted is not None
    known = {p.ydernummer for p in practice_list(municipality=787)}
    e = municipality_explanation(
        run=site.default_run,
        kommunekode=787,
        indicators=thisted.latest_indicators,  # type: ignore[attr-defined]
        known=known,
    )
    assert isinstance(e, MunicipalityExplanation)
    stored = MunicipalityResult.objects.get(run=site.default_run, municipality_id=787)
    assert (e.transition.capacities, e.coverage.capacities, e.accessibility.capacities) == (
        stored.transition,
        stored.coverage,
        stored.accessibility,
    )
    assert e.total == stored.total and e.load_after == stored.load_after
    assert all(isinstance(p, IndexPillar) and p.drivers for p in e.index_pillars)
    # Each driver carries the data status of the value the run used.
    statuses = {d.key: d.status for p in e.index_pillars for d in p.drivers}
    assert statuses["chronic"] == thisted.latest_indicators["chronic"].status  # type: ignore[attr-defined]
    assert "estimated" in statuses.values()
    placed = sum(len(v) for v in e.placements_by_practice.values())
    assert placed == Placement.objects.filter(run=site.default_run, municipality_id=787).count()
    assert set(e.new_ydernumre) == set(e.placements_by_practice) - known
    assert (
        municipality_explanation(run=site.default_run, kommunekode=999, indicators={}, known=set())
        is None
    )
