"""The first administrator, from DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and
DJANGO_SUPERUSER_EMAIL (the variables Django's createsuperuser reads). Nothing to do when
they are not set or the user exists, so the stack's migrate step runs it every time."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import ensure_superuser


class Command(BaseCommand):
    help = "Create the first administrator from DJANGO_SUPERUSER_* unless that user exists."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username:
            self.stdout.write("DJANGO_SUPERUSER_USERNAME is not set: no administrator created.")
            return
        if not password:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD must be set with the username.")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        try:
            created = ensure_superuser(username=username, password=password, email=email)
        except ValidationError as exc:
            raise CommandError("DJANGO_SUPERUSER_PASSWORD: " + " ".join(exc.messages)) from exc
        state = "created" if created else "exists; left as it is"
        self.stdout.write(f"Administrator {username}: {state}.")
