"""Make sure the default scenario exists and has a run, so the overview opens on its map.

`make run` calls this after loading the data. Without REDIS_URL the run executes here, in
process; with a worker it is queued and the overview shows its progress. Running it again
is cheap: an identical run (same inputs hash) is returned instead of a new one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from allocation.services import ensure_default_scenario, request_run


class Command(BaseCommand):
    help = "Create the default scenario if needed and request a run of it on the current data."

    def handle(self, *args: Any, **options: Any) -> None:
        scenario = ensure_default_scenario()
        run = request_run(scenario=scenario)
        run.refresh_from_db()
        self.stdout.write(f"{scenario.name}: run #{run.pk} {run.status}")
