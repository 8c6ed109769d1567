"""What the import commands share: who imports (checked like the upload pages), reading the
file, one writer at a time, and the same messages for the same refusals.

A command supplies ``apply`` (validate and write, returning the batch and whether anything
changed) and ``report`` (what it says afterwards); the data lock is held around both the
writes and the re-runs they request, so a second import waits and then reads what the first
left.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from accounts.policies import can_import, importable_regions
from allocation.models import AllocationRun
from allocation.services import data_changed, data_lock
from municipalities.importing import ImportFailed, WarningsNotAccepted


class ImportCommand(BaseCommand):
    #: ``allocation.services`` names the data source in the re-runs it requests.
    source: str = ""
    #: What two imports at once can both write (named when the database refuses the second).
    keys: str = ""
    #: Whether a planner may import (their region's rows) or only an administrator.
    national = False
    accepts_warnings = True
    #: Said when a values file (demand, projection) changed something.
    imported = "Imported."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", metavar="USERNAME", help="who imports (checked)")
        parser.add_argument("--note", default="", help="a note kept with the import batch")
        if self.accepts_warnings:
            parser.add_argument(
                "--accept-warnings",
                action="store_true",
                help="apply the file despite plausibility warnings (they are kept with the batch)",
            )

    def importing_user(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        if self.national and importable_regions(user) is not None:
            raise CommandError(
                f"{user.username} may not import this file: it holds national data, which "
                "an administrator imports."
            )
        if not can_import(user):
            raise CommandError(
                f"{user.username} may not import data (a planner of a region, or an "
                "administrator, may)."
            )
        return user

    def run_import(
        self,
        options: dict[str, Any],
        apply: Callable[[bytes, str, User | None], tuple[Any, bool]],
        report: Callable[[Any, list[AllocationRun] | None], None] | None = None,
    ) -> None:
        path: Path = options["file"]
        user = self.importing_user(options["user"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path.name}: cannot read the file: {exc}") from exc
        try:
            # The holder names the command and its file, for whoever finds the lock held.
            command = type(self).__module__.rsplit(".", 1)[-1]
            with data_lock(holder=f"{command} {path.name}"):
                batch, changed = apply(content, path.name, user)
                runs = data_changed(source=self.source, batch=batch, user=user) if changed else None
        except WarningsNotAccepted as exc:
            raise CommandError(
                f"Nothing was imported; {exc.total} warning(s) to confirm with "
                f"--accept-warnings:\n{exc}"
            ) from exc
        except ImportFailed as exc:
            raise CommandError(f"Nothing was imported; {exc.total} problem(s):\n{exc}") from exc
        except IntegrityError as exc:
            raise CommandError(
                f"{path.name}: nothing was imported: another change wrote the same "
                f"{self.keys} at the same time ({exc}). Import the file again: it is then "
                "checked against what the other change left."
            ) from exc
        (report or self.report_values)(batch, runs)

    def report_values(self, batch: Any, runs: list[AllocationRun] | None) -> None:
        """What a demand or projection import says afterwards (both count values)."""
        self.stdout.write(
            f"{batch.file_name}: {batch.rows} row(s); {batch.values_created} value(s) "
            f"created, {batch.values_updated} updated (import batch {batch.pk})."
        )
        if runs is None:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the database already holds these values.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(self.imported))
            self.stdout.write(f"{len(runs)} shared scenario(s) re-run on the new data.")
