"""One active run per scenario and inputs, and one writer of the data at a time (SQLite;
the same with real threads on PostgreSQL in test_faults_integration.py)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from unittest.mock import patch

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from allocation import services
from allocation.models import AllocationRun, DataLock, RunStatus
from tests.allocation.factories import AllocationRunFactory, ScenarioFactory

pytestmark = pytest.mark.usefixtures("denmark")


def test_the_database_refuses_a_second_active_run_with_the_same_inputs() -> None:
    run = AllocationRunFactory.create(status=RunStatus.QUEUED, inputs_hash="h")
    with pytest.raises(IntegrityError), transaction.atomic():
        AllocationRunFactory.create(
            scenario=run.scenario, status=RunStatus.RUNNING, inputs_hash="h"
        )
    # Finished runs do not count: a failed one may be asked for again, and run again.
    AllocationRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    AllocationRunFactory.create(scenario=run.scenario, status=RunStatus.QUEUED, inputs_hash="h")


def test_a_request_that_loses_the_race_gets_the_winners_run() -> None:
    scenario = ScenarioFactory.create()
    real = services._identical
    calls: list[int] = []
    winners: list[int] = []

    def late(**kwargs: object) -> AllocationRun | None:
        # The first look finds nothing; the winner commits its run just after it.
        calls.append(1)
        if len(calls) == 1:
            winners.append(services.request_run(scenario=scenario).pk)
            return None
        return real(**kwargs)  # type: ignore[arg-type]

    with (
        patch.object(services, "dispatch_run", return_value=True),
        patch.object(services, "_identical", late),
    ):
        loser = services.request_run(scenario=scenario)
    assert loser.pk == winners[0]
    assert AllocationRun.objects.filter(scenario=scenario).count() == 1


def _demand_file(tmp_path: Path, name: str, value: str) -> Path:
    path = tmp_path / name
    path.write_text(f"kommunekode;year;chronic\n101;2026;{value}\n", encoding="utf-8")
    return path


def test_imports_take_the_data_lock_and_name_who_holds_it(tmp_path: Path) -> None:
    path = _demand_file(tmp_path, "a.csv", "100000")  # plausible: no warning to confirm
    holders: list[str] = []
    real = services.data_lock

    def watched(*, holder: str):
        holders.append(holder)
        return real(holder=holder)

    with patch("municipalities.management.import_command.data_lock", watched):
        call_command("import_demand", str(path), stdout=StringIO())
    assert holders == ["import_demand a.csv"]
    lock = DataLock.objects.get(name=services.DATA_LOCK)
    assert lock.holder == "import_demand a.csv" and lock.taken_at is not None


def test_the_data_lock_works_on_a_database_flushed_since_its_migration() -> None:
    DataLock.objects.all().delete()
    with services.data_lock(holder="test"):
        assert DataLock.objects.get(name=services.DATA_LOCK).holder == "test"


def test_conflicting_keys_end_in_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    path = _demand_file(tmp_path, "b.csv", "100000")
    clash = IntegrityError('duplicate key value violates unique constraint "one_value_per_year"')
    with (
        patch("municipalities.management.commands.import_demand.import_demand", side_effect=clash),
        pytest.raises(CommandError) as info,
    ):
        call_command("import_demand", str(path), stdout=StringIO())
    message = str(info.value)
    assert message.startswith("b.csv: nothing was imported: another change wrote the same")
    assert "Import the file again" in message
