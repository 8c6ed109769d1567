"""Import demand indicators from a CSV or XLSX file: every row is checked before any is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.policies import can_import
from allocation.services import DEMAND_IMPORT, data_changed
from municipalities.demand_import import INDICATOR_COLUMNS, YEAR_MAX, YEAR_MIN
from municipalities.importing import ImportFailed, WarningsNotAccepted
from municipalities.services import import_demand


class Command(BaseCommand):
    help = (
        "Import demand indicators from a CSV (';' or ',' separated, UTF-8, decimal comma "
        "accepted in ';' files) or XLSX file (first sheet) with columns kommunekode, year "
        f"({YEAR_MIN}-{YEAR_MAX}), one or more indicators ({', '.join(INDICATOR_COLUMNS)}) "
        "and optionally status (sourced/derived/estimated) and source. An empty cell leaves "
        "the stored value as it is. Every row is validated first; with any error nothing "
        "changes, and with a plausibility warning nothing changes unless --accept-warnings. "
        "--user imports as that user: a planner for their own region only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", metavar="USERNAME", help="who the import is recorded for")
        parser.add_argument("--note", default="", help="a note kept with the import batch")
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="apply the file despite plausibility warnings (they are kept with the batch)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = None
        if options["user"]:
            try:
                user = User.objects.get(username=options["user"])
            except User.DoesNotExist as exc:
                raise CommandError(f"There is no user {options['user']!r}.") from exc
            if not can_import(user):
                raise CommandError(
                    f"{user.username} may not import data (a planner of a region, or an "
                    "administrator, may)."
                )
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path.name}: cannot read the file: {exc}") from exc
        try:
            batch = import_demand(
                content=content,
                file_name=path.name,
                user=user,
                note=options["note"],
                accept_warnings=options["accept_warnings"],
            )
        except WarningsNotAccepted as exc:
            raise CommandError(
                f"Nothing was imported; {exc.total} warning(s) to confirm with "
                f"--accept-warnings:\n{exc}"
            ) from exc
        except ImportFailed as exc:
            raise CommandError(f"Nothing was imported; {exc.total} problem(s):\n{exc}") from exc
        self.stdout.write(
            f"{batch.file_name}: {batch.rows} row(s); {batch.values_created} value(s) created, "
            f"{batch.values_updated} updated (import batch {batch.pk})."
        )
        if batch.values_created or batch.values_updated:
            self.stdout.write(self.style.SUCCESS("Demand data imported."))
            runs = data_changed(source=DEMAND_IMPORT, batch=batch, user=user)
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new data.")
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the database already holds these values.")
            )
