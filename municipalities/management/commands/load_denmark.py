"""Load Denmark's reference data and the synthetic practice register, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from allocation.services import data_lock, ensure_default_scenario, forget_engine_inputs
from municipalities.importing import ImportFailed
from municipalities.reference import DATA_DIR, read_reference
from municipalities.services import apply_reference
from practices.services import DEFAULT_SEED, load_synthetic_register


class Command(BaseCommand):
    help = (
        "Load regions, municipalities, geographies, demand indicators (data/denmark) and a "
        "synthetic practice register. A second run changes nothing and says so."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="seed of the synthetic practice register"
        )
        parser.add_argument(
            "--no-practices", action="store_true", help="leave the practice register as it is"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = read_reference(options["data_dir"])
        except ImportFailed as exc:
            raise CommandError(f"Nothing was loaded; {len(exc.errors)} problem(s):\n{exc}") from exc
        # One writer of the data at a time: an import at the same moment waits for this.
        try:
            with data_lock(holder="load_denmark"):
                counts = apply_reference(data=data)
                if not options["no_practices"]:
                    register = load_synthetic_register(seed=options["seed"])
                    counts["practices"] = register.practices
                    counts["doctors"] = register.doctors
                ensure_default_scenario()
                forget_engine_inputs()  # previews read the loaded data (after the commit)
        except IntegrityError as exc:
            raise CommandError(
                "Nothing was loaded: another change wrote the same records at the same time "
                f"({exc}). Run load_denmark again."
            ) from exc
        changed = False
        for name, count in counts.items():
            self.stdout.write(f"{name:>15}: {count}")
            changed = changed or count.changed
        if changed:
            self.stdout.write(self.style.SUCCESS("Denmark loaded."))
        else:
            self.stdout.write(
                self.style.SUCCESS("Nothing changed: the database already matches the data.")
            )
