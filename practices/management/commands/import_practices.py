"""Import a real practice register from CSV through the same validated path as the synthetic one."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.services import PRACTICE_IMPORT, data_changed
from municipalities.importing import ImportFailed
from practices.services import REQUIRED_COLUMNS, import_register


class Command(BaseCommand):
    help = (
        "Import practices from a CSV file (comma or semicolon separated, UTF-8) with columns "
        f"{', '.join(REQUIRED_COLUMNS)} and optionally doctor_birth_years "
        "(separated by '|', or ';' in a comma file). "
        "Every row is validated first; with any error nothing changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="remove imported practices that are not in the file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path.name}: cannot read the file: {exc}") from exc
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
        rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
        try:
            result = import_register(rows=rows, file=path.name, replace=options["replace"])
        except ImportFailed as exc:
            raise CommandError(
                f"Nothing was imported; {len(exc.errors)} problem(s):\n{exc}"
            ) from exc
        self.stdout.write(f"practices: {result.practices}\ndoctors: {result.doctors}")
        if result.changed:
            runs = data_changed(source=PRACTICE_IMPORT)
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new register.")
