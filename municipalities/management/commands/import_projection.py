"""Import a population projection (Statistics Denmark's FRKM layout): all rows checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.services import PROJECTION_IMPORT, data_changed
from municipalities.importing import ImportFailed
from municipalities.models import DataStatus
from municipalities.projection_import import PROJECTION_YEAR_MAX, PROJECTION_YEAR_MIN
from municipalities.services import import_projection


class Command(BaseCommand):
    help = (
        "Import a population projection by municipality, age and year from a CSV (';' or ',' "
        "separated, UTF-8, decimal comma accepted in ';' files) or XLSX file in Statistics "
        "Denmark's FRKM layout: columns OMRÅDE (municipality), ALDER (age, age group or "
        "'Alder i alt'), TID (year, "
        f"{PROJECTION_YEAR_MIN}-{PROJECTION_YEAR_MAX}), INDHOLD (count), optionally KØN. "
        "Single ages are summed into the bands 0-17, 18-64, 65-79 and 80+. Every row is "
        "validated first; with any error nothing changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", metavar="USERNAME", help="who the import is recorded for")
        parser.add_argument("--note", default="", help="a note kept with the import batch")
        parser.add_argument(
            "--status",
            choices=DataStatus.values,
            default=DataStatus.SOURCED,
            help="how the values came to be (default sourced: Statistics Denmark's own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = None
        if options["user"]:
            try:
                user = User.objects.get(username=options["user"])
            except User.DoesNotExist as exc:
                raise CommandError(f"There is no user {options['user']!r}.") from exc
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path.name}: cannot read the file: {exc}") from exc
        try:
            batch = import_projection(
                content=content,
                file_name=path.name,
                user=user,
                status=options["status"],
                note=options["note"],
            )
        except ImportFailed as exc:
            raise CommandError(
                f"Nothing was imported; {len(exc.errors)} problem(s):\n{exc}"
            ) from exc
        self.stdout.write(
            f"{batch.file_name}: {batch.rows} row(s); {batch.values_created} value(s) created, "
            f"{batch.values_updated} updated (import batch {batch.pk})."
        )
        if batch.values_created or batch.values_updated:
            self.stdout.write(self.style.SUCCESS("Population projection imported."))
            runs = data_changed(source=PROJECTION_IMPORT, batch=batch, user=user)
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new data.")
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the database already holds these values.")
            )
