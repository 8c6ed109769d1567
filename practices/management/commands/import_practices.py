"""Import a real practice register (CSV or XLSX) through the same validated path as the pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandParser

from allocation.models import AllocationRun
from allocation.services import PRACTICE_IMPORT
from municipalities.management.import_command import ImportCommand
from practices.models import RegisterBatch
from practices.services import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, import_register_file


class Command(ImportCommand):
    source = PRACTICE_IMPORT
    keys = "practices (ydernumre)"
    help = (
        "Import practices from a CSV (comma or semicolon separated, UTF-8) or XLSX file "
        f"with columns {', '.join(REQUIRED_COLUMNS)} and optionally "
        f"{', '.join(OPTIONAL_COLUMNS)} (separated by '|', or ';' in a comma file). "
        "Every row is validated first; with any error nothing changes, and with a "
        "plausibility warning nothing changes unless --accept-warnings. --user imports as "
        "that user: a planner for their own region only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="remove imported practices that are not in the file (of the user's region)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def apply(content: bytes, file_name: str, user: User | None) -> tuple[RegisterBatch, bool]:
            batch = import_register_file(
                content=content,
                file_name=file_name,
                user=user,
                replace=options["replace"],
                accept_warnings=options["accept_warnings"],
                note=options["note"],
            )
            return batch, batch.changes.exists()

        def report(batch: RegisterBatch, runs: list[AllocationRun] | None) -> None:
            self.stdout.write(
                f"{batch.file_name}: {batch.rows} row(s); {batch.practices_created} practice(s) "
                f"created, {batch.practices_updated} updated, {batch.practices_deleted} "
                f"removed, {batch.practices_unchanged} unchanged (import batch {batch.pk})."
            )
            if runs is None:
                self.stdout.write(self.style.SUCCESS("Nothing changed."))
            else:
                self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new register.")

        self.run_import(options, apply, report)
