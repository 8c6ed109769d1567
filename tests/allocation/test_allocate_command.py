"""`manage.py allocate` on the loaded data: exact totals, nothing written."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from allocation.models import AllocationRun, MunicipalityResult, Scenario

PILLARS = ("transition", "coverage", "accessibility")


@pytest.fixture
def loaded(denmark: None) -> None:
    """Denmark as `load_denmark` leaves it (loaded once for the test database)."""


def run(*args: str) -> str:
    out = StringIO()
    call_command("allocate", *args, stdout=out)
    return out.getvalue()


def test_json_has_exact_totals_and_writes_nothing(loaded: None) -> None:
    scenarios = Scenario.objects.count()
    result = json.loads(run("--scenario", "default", "--json"))

    assert result["totals"] == {
        "transition": 700,
        "coverage": 600,
        "accessibility": 200,
        "total": 1500,
    }
    munis = result["municipalities"]
    assert len(munis) == 98
    for pillar in PILLARS:
        assert sum(m[pillar] for m in munis) == result["totals"][pillar]
        assert all(m[pillar] >= 0 for m in munis)
    assert all(m["total"] == sum(m[p] for p in PILLARS) for m in munis)
    assert set(munis[0]) >= {
        "kommunekode",
        "transition",
        "coverage",
        "accessibility",
        "total",
        "weighted_citizens",
        "supply_at_horizon",
        "load_before",
        "load_after",
    }
    laesoe = next(m for m in munis if m["kommunekode"] == 825)
    assert laesoe["load_before"] is None and laesoe["coverage"] >= 1  # no practice there

    assert result["geography"] == "sundhedsklynger-21"
    assert len(result["areas"]) == 21
    assert sum(a["total"] for a in result["areas"]) == 1500
    assert result["metrics"]["after"]["max_load"] < result["metrics"]["before"]["max_load"]

    # The scenario's parameters, the open share after and the statutory reference per area.
    assert result["params"]["list_relief"] == {
        "transition": 0.0,
        "coverage": 1.0,
        "accessibility": 0.0,
    }
    assert result["params"]["statutory_geography"] == "sundhedsraad-2027"
    assert 0 < result["metrics"]["after"]["open_share"] <= 1
    stock = round(sum(m["supply_today"] for m in munis)) + 1500
    assert sum(a["statutory"] for a in result["areas"]) == stock
    for a in result["areas"]:
        assert a["deviation"] == pytest.approx(a["supply_at_horizon"] + a["total"] - a["statutory"])
    assert result["metrics"]["statutory"]["stock"] == stock
    assert result["metrics"]["statutory"]["areas"] == 17

    assert Scenario.objects.count() == scenarios
    assert not AllocationRun.objects.exists()
    assert not MunicipalityResult.objects.exists()


def test_other_geography_and_readable_table(loaded: None) -> None:
    result = json.loads(run("--json", "--geography", "regioner"))
    assert len(result["areas"]) == 5
    assert sum(a["total"] for a in result["areas"]) == 1500
    table = run("--scenario", "default")
    assert "Totals: transition 700, coverage 600, accessibility 200; total 1,500" in table
    assert "Læsø" in table and "Areas (sundhedsklynger-21):" in table


def test_a_named_scenario_with_other_parameters(loaded: None) -> None:
    Scenario.objects.create(
        name="Mere dækning",
        params={"transition": 500, "coverage": 800, "coverage_method": "deficit"},
    )
    result = json.loads(run("--scenario", "Mere dækning", "--json"))
    assert result["totals"] == {
        "transition": 500,
        "coverage": 800,
        "accessibility": 200,
        "total": 1500,
    }


def test_unknown_scenario_and_geography_are_refused(loaded: None) -> None:
    with pytest.raises(CommandError, match="no scenario 'nope'"):
        run("--scenario", "nope")
    with pytest.raises(CommandError, match="unknown geography 'amter'"):
        run("--geography", "amter")
