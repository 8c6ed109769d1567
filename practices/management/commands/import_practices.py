"""Import a real practice register (CSV or XLSX) through the same validated path as the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.policies import can_import
from allocation.services import PRACTICE_IMPORT, data_changed
from municipalities.importing import ImportFailed, WarningsNotAccepted
from practices.services import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, import_register_file


class Command(BaseCommand):
    help = (
        "Import practices from a CSV (comma or semicolon separated, UTF-8) or XLSX file "
        f"with columns {', '.join(REQUIRED_COLUMNS)} and optionally "
        f"{', '.join(OPTIONAL_COLUMNS)} (separated by '|', or ';' in a comma file). "
        "Every row is validated first; with any error nothing changes, and with a "
        "plausibility warning nothing changes unless --accept-warnings. --user imports as "
        "that user: a planner for their own region only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="remove imported practices that are not in the file (of the user's region)",
        )
        parser.add_argument("--user", metavar="USERNAME", help="who imports (checked)")
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
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user {options['user']!r}.")
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
            batch = import_register_file(
                content=content,
                file_name=path.name,
                user=user,
                replace=options["replace"],
                accept_warnings=options["accept_warnings"],
                note=options["note"],
            )
        except WarningsNotAccepted as exc:
            raise CommandError(
                f"Nothing was imported; {exc.total} warning(s) to confirm with "
                f"--accept-warnings:\n{exc}"
            ) from exc
        except ImportFailed as exc:
            raise CommandError(f"Nothing was imported; {exc.total} problem(s):\n{exc}") from exc
        self.stdout.write(
            f"{batch.file_name}: {batch.rows} row(s); {batch.practices_created} practice(s) "
            f"created, {batch.practices_updated} updated, {batch.practices_deleted} removed, "
            f"{batch.practices_unchanged} unchanged (import batch {batch.pk})."
        )
        if batch.changes.exists():
            runs = data_changed(source=PRACTICE_IMPORT, batch=batch, user=user)
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new register.")
        else:
            self.stdout.write(self.style.SUCCESS("Nothing changed."))
