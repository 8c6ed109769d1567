"""Import a real practice register from CSV through the same validated path as the synthetic one."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from allocation.services import PRACTICE_IMPORT, data_changed, data_lock
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
        # One writer at a time; the re-runs are requested inside the lock, on this register.
        try:
            with data_lock(holder=f"import_practices {path.name}"):
                result = import_register(rows=rows, file=path.name, replace=options["replace"])
                runs = data_changed(source=PRACTICE_IMPORT) if result.changed else None
        except ImportFailed as exc:
            raise CommandError(
                f"Nothing was imported; {len(exc.errors)} problem(s):\n{exc}"
            ) from exc
        except IntegrityError as exc:
            raise CommandError(
                f"{path.name}: nothing was imported: another change wrote the same practices "
                f"(ydernumre) at the same time ({exc}). Import the file again: it is then "
                "checked against what the other change left."
            ) from exc
        self.stdout.write(f"practices: {result.practices}\ndoctors: {result.doctors}")
        if runs is not None:
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new register.")
