from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_revision_triggers(*, using: str, **kwargs: Any) -> None:
    # After every migrate: a migration that rebuilds a table on SQLite drops its triggers.
    from django.db import connections

    from allocation import revision

    if revision.REVISION_TABLE in connections[using].introspection.table_names():
        revision.install_triggers(using=using)


class AllocationConfig(AppConfig):
    name = "allocation"

    def ready(self) -> None:
        post_migrate.connect(_install_revision_triggers, sender=self)
