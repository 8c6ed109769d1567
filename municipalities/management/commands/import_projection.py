"""Import a population projection (Statistics Denmark's FRKM layout): all rows checked first."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandParser

from allocation.services import PROJECTION_IMPORT
from municipalities.management.import_command import ImportCommand
from municipalities.models import DataStatus, ImportBatch
from municipalities.projection_import import PROJECTION_YEAR_MAX, PROJECTION_YEAR_MIN
from municipalities.services import import_projection


class Command(ImportCommand):
    source = PROJECTION_IMPORT
    keys = "projected values (municipality, year, age band)"
    national = True
    accepts_warnings = False
    imported = "Population projection imported."
    help = (
        "Import a population projection by municipality, age and year from a CSV (';' or ',' "
        "separated, UTF-8, decimal comma accepted in ';' files) or XLSX file in Statistics "
        "Denmark's FRKM layout: columns OMRÅDE (municipality), ALDER (age, age group or "
        "'Alder i alt'), TID (year, "
        f"{PROJECTION_YEAR_MIN}-{PROJECTION_YEAR_MAX}), INDHOLD (count), optionally KØN. "
        "Single ages are summed into the bands 0-17, 18-64, 65-79 and 80+. Every row is "
        "validated first; with any error nothing changes. The projection is national: "
        "--user must be an administrator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--status",
            choices=DataStatus.values,
            default=DataStatus.SOURCED,
            help="how the values came to be (default sourced: Statistics Denmark's own)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def apply(content: bytes, file_name: str, user: User | None) -> tuple[ImportBatch, bool]:
            batch = import_projection(
                content=content,
                file_name=file_name,
                user=user,
                status=options["status"],
                note=options["note"],
            )
            return batch, bool(batch.values_created or batch.values_updated)

        self.run_import(options, apply)
