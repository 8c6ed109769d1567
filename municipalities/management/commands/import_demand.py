"""Import demand indicators from a CSV or XLSX file: every row is checked before any is written."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from allocation.services import DEMAND_IMPORT
from municipalities.demand_import import INDICATOR_COLUMNS, YEAR_MAX, YEAR_MIN
from municipalities.management.import_command import ImportCommand
from municipalities.models import ImportBatch
from municipalities.services import import_demand


class Command(ImportCommand):
    source = DEMAND_IMPORT
    keys = "values (municipality, year, indicator)"
    imported = "Demand data imported."
    help = (
        "Import demand indicators from a CSV (';' or ',' separated, UTF-8, decimal comma "
        "accepted in ';' files) or XLSX file (first sheet) with columns kommunekode, year "
        f"({YEAR_MIN}-{YEAR_MAX}), one or more indicators ({', '.join(INDICATOR_COLUMNS)}) "
        "and optionally status (sourced/derived/estimated) and source. An empty cell leaves "
        "the stored value as it is. Every row is validated first; with any error nothing "
        "changes, and with a plausibility warning nothing changes unless --accept-warnings. "
        "--user imports as that user: a planner for their own region only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        def apply(content: bytes, file_name: str, user: User | None) -> tuple[ImportBatch, bool]:
            batch = import_demand(
                content=content,
                file_name=file_name,
                user=user,
                note=options["note"],
                accept_warnings=options["accept_warnings"],
            )
            return batch, bool(batch.values_created or batch.values_updated)

        self.run_import(options, apply)
