"""The data revision: a counter that the database raises itself on every write to a table
the engine reads.

A process keeps the engine inputs it read (and their hash and snapshot) until the revision
moves, so a run request or a preview on unchanged data does not read and hash Denmark
again. The database raises the counter by trigger, in the writer's own transaction, for
whatever writes: the imports, a practice edit, the admin, ``load_denmark``, raw SQL, a
test restoring its data. Another process therefore sees the new revision exactly when it
sees the new data (at the commit), whatever cache it has or lacks.

The revision is ``"<token>:<number>"``, and every raise draws a new token: a raise that
was rolled back (a preview of an import, a test's transaction) and a later raise to the
same number are different revisions, and so is the row Django's flush deletes and the next
write makes again. The triggers are (re)installed after every ``migrate`` (``apps.py``):
SQLite drops a table's triggers when a migration rebuilds the table.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections

REVISION_TABLE = "allocation_datarevision"
TRIGGER = "klyngeplan_data_revision"
EVENTS = ("INSERT", "UPDATE", "DELETE")
# A fresh random token, in each database's own SQL.
TOKEN = {"postgresql": "md5(random()::text)", "sqlite": "lower(hex(randomblob(8)))"}
# (app label, model) of every table build_engine_inputs and input_statuses read.
ENGINE_MODELS = (
    ("municipalities", "Municipality"),
    ("municipalities", "DemandIndicator"),
    ("municipalities", "PopulationProjection"),
    ("practices", "Practice"),
    ("practices", "Doctor"),
    ("clusters", "Geography"),
    ("clusters", "Area"),
    ("clusters", "Membership"),
)


def engine_tables() -> list[str]:
    return [apps.get_model(label, name)._meta.db_table for label, name in ENGINE_MODELS]


def _bump(token: str) -> str:
    # An upsert: after a flush the row is gone, and the first write makes it again. A new
    # token each time: a rolled-back raise and a later one never give the same revision.
    return (
        f"INSERT INTO {REVISION_TABLE} (id, token, number) VALUES (1, {token}, 1) "
        f"ON CONFLICT (id) DO UPDATE SET token = {token}, number = {REVISION_TABLE}.number + 1"
    )


def _sqlite_trigger(table: str, event: str) -> str:
    return f"{TRIGGER}_{table}_{event.lower()}"


def install_triggers(*, using: str = "default") -> None:
    """Create (or replace) the triggers on every engine table, and raise the revision.
    Idempotent."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {_bump(TOKEN['postgresql'])}; RETURN NULL; END $$"
            )
            for table in engine_tables():
                # Once per statement: an import of thousands of rows raises it once.
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {TRIGGER} "
                    f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
                )
        elif connection.vendor == "sqlite":
            for table in engine_tables():
                for event in EVENTS:
                    # SQLite has row triggers only (a raise per row, a few µs each), and no
                    # CREATE OR REPLACE: dropped and made again, so a changed body lands.
                    name = _sqlite_trigger(table, event)
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} "
                        f"AFTER {event} ON {table} FOR EACH ROW BEGIN "
                        f"{_bump(TOKEN['sqlite'])}; END"
                    )
        else:  # pragma: no cover - the project runs on PostgreSQL and SQLite only
            raise NotImplementedError(f"no data revision triggers for {connection.vendor}")
        # A new revision: what a migration wrote while a table had no trigger is not missed.
        cursor.execute(_bump(TOKEN[connection.vendor]))


def drop_triggers(*, using: str = "default") -> None:
    """Remove the triggers (the migration that made the revision table, undone)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for table in engine_tables():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
            else:
                for event in EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {_sqlite_trigger(table, event)}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")


def installed_tables(*, using: str = "default") -> set[str]:
    """The engine tables whose every write raises the revision now (the tests check it)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table, count(DISTINCT event_manipulation) "
                "FROM information_schema.triggers WHERE trigger_name = %s "
                "GROUP BY event_object_table",
                [TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, count(*) FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE %s GROUP BY tbl_name",
                [f"{TRIGGER}_%"],
            )
        # information_schema lists INSERT, UPDATE and DELETE (not TRUNCATE).
        return {table for table, events in cursor.fetchall() if events >= len(EVENTS)}


def current(*, using: str = "default") -> str | None:
    """The revision of the engine's data now; None if the row is missing (a database just
    emptied, or not migrated): then nothing is reused."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT token, number FROM {REVISION_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return f"{row[0]}:{row[1]}" if row else None
