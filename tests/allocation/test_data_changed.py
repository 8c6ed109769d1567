"""Whoever changes the engine's data tells the allocation: every shared scenario is re-run
(a practice edit on the web or through the API, the practice and demand imports)."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from allocation.models import AllocationRun, Trigger, Visibility
from practices.models import Practice
from tests.allocation.factories import ScenarioFactory
from tests.api.conftest import HOVEDSTADEN, make_user, token_client

pytestmark = pytest.mark.usefixtures("denmark")


def _data_runs() -> set[int]:
    return set(
        AllocationRun.objects.filter(triggered_by=Trigger.DATA_CHANGE).values_list(
            "scenario_id", flat=True
        )
    )


def _practice() -> Practice:
    practice = Practice.objects.filter(municipality__region_id=HOVEDSTADEN).first()
    assert practice is not None
    return practice


def test_a_practice_edit_on_the_web_reruns_shared_scenarios() -> None:
    shared = ScenarioFactory.create(visibility=Visibility.SHARED)
    private = ScenarioFactory.create(visibility=Visibility.PRIVATE)
    practice = _practice()
    planner = make_user("pw", "planner", region=HOVEDSTADEN)
    client = Client()
    client.force_login(planner)
    data = {
        "name": practice.name,
        "form": practice.form,
        "listed_patients": practice.listed_patients + 7,
        "capacities": str(practice.capacities).replace(".", ","),
        "open_to_new_patients": "on" if practice.open_to_new_patients else "",
    }
    # An edit that changes nothing re-runs nothing.
    unchanged = {**data, "listed_patients": practice.listed_patients}
    assert client.post(f"/practices/{practice.ydernummer}/", unchanged).status_code == 302
    assert _data_runs() == set()
    assert client.post(f"/practices/{practice.ydernummer}/", data).status_code == 302
    assert shared.pk in _data_runs() and private.pk not in _data_runs()
    run = AllocationRun.objects.get(scenario=shared, triggered_by=Trigger.DATA_CHANGE)
    assert run.requested_by == planner


def test_a_practice_edit_through_the_api_reruns_shared_scenarios() -> None:
    shared = ScenarioFactory.create(visibility=Visibility.SHARED)
    practice = _practice()
    client = token_client(make_user("pa", "planner", region=HOVEDSTADEN))
    url = f"/api/v1/practices/{practice.ydernummer}/"
    assert client.patch(url, {"name": practice.name}, format="json").status_code == 200
    assert _data_runs() == set()
    response = client.patch(url, {"listed_patients": practice.listed_patients + 1}, format="json")
    assert response.status_code == 200
    assert shared.pk in _data_runs()


def test_a_practice_import_reruns_shared_scenarios(tmp_path: Path) -> None:
    shared = ScenarioFactory.create(visibility=Visibility.SHARED)
    path = tmp_path / "register.csv"
    path.write_text(
        "ydernummer;name;kommunekode;form;open_to_new_patients;listed_patients;capacities\n"
        "990001;Ny praksis;101;solo;ja;1500;1\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_practices", str(path), stdout=out)
    assert shared.pk in _data_runs() and "re-run" in out.getvalue()
    again = AllocationRun.objects.count()
    call_command("import_practices", str(path), stdout=StringIO())
    assert AllocationRun.objects.count() == again  # nothing changed, nothing re-run


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("app", ["municipalities", "practices", "clusters"])
def test_the_data_apps_do_not_call_up_into_the_allocation(app: str) -> None:
    """Their models, services and selectors stand below the allocation; only their
    management commands (interfaces, like the views) tell it that the data changed."""
    root = Path(settings.BASE_DIR) / app
    for path in root.glob("*.py"):
        upward = {m for m in _imports(path) if m.split(".")[0] in ("allocation", "reports")}
        assert not upward, f"{path.name} imports {sorted(upward)}"
