"""The data revision: raised by the database on every write to an engine table, by any path,
and what the kept engine inputs, hashes and run snapshots rest on."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

import pytest
from django.db import connection, transaction
from django.utils import timezone

from allocation import revision, selectors, services
from allocation.models import DataRevision, RunInputs
from practices.models import Practice


def _touch(table: str) -> None:
    """A write that changes nothing but is a write: one row's primary key set to itself."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(table)} LIMIT 1")
        assert cursor.description is not None
        pk = cursor.description[0][0]
        row = cursor.fetchone()
        assert row is not None, f"{table} is empty in the shared data"
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(pk)} = {quote(pk)} WHERE {quote(pk)} = %s",
            [row[0]],
        )


@pytest.mark.django_db
def test_every_engine_table_has_the_trigger() -> None:
    assert revision.installed_tables() == set(revision.engine_tables())
    assert len(revision.engine_tables()) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("table", revision.engine_tables())
def test_any_write_to_an_engine_table_raises_the_revision(table: str) -> None:
    before = revision.current()
    assert before is not None
    _touch(table)
    after = revision.current()
    assert after is not None and after != before
    # The token is new too, not only the number: see the next test.
    assert after.split(":")[0] != before.split(":")[0]


@pytest.mark.django_db
def test_a_rolled_back_change_never_lends_its_revision_to_another() -> None:
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    with transaction.atomic():
        sid = transaction.savepoint()
        Practice.objects.filter(pk=practice.pk).update(listed_patients=1111)
        rolled_back = revision.current()
        transaction.savepoint_rollback(sid)
    Practice.objects.filter(pk=practice.pk).update(listed_patients=2222)
    assert revision.current() != rolled_back


@pytest.mark.django_db
def test_kept_inputs_follow_a_change_no_service_announced() -> None:
    """An update by queryset (as the admin's bulk actions or raw SQL would): no
    data_changed, no forget; the next read sees the new value all the same."""
    selectors.forget_cached_inputs()
    first = selectors.current_engine_inputs()
    assert selectors.current_engine_inputs() is first
    practice = Practice.objects.order_by("ydernummer").first()
    assert practice is not None
    Practice.objects.filter(pk=practice.pk).update(listed_patients=4321)
    fresh = selectors.current_engine_inputs()
    assert fresh is not first
    row = fresh.practices.set_index("ydernummer").loc[practice.ydernummer]
    assert int(row["listed_patients"]) == 4321
    params = services.ensure_default_scenario().params
    assert selectors.inputs_hash(inputs=fresh, params=params) != selectors.inputs_hash(
        inputs=first, params=params
    )


@pytest.mark.django_db
def test_without_a_revision_row_nothing_is_kept_and_the_next_write_makes_one() -> None:
    DataRevision.objects.all().delete()
    assert revision.current() is None
    selectors.forget_cached_inputs()
    assert selectors.current_engine_inputs() is not selectors.current_engine_inputs()
    _touch(Practice._meta.db_table)
    assert revision.current() is not None
    kept = selectors.current_engine_inputs()
    assert selectors.current_engine_inputs() is kept


@pytest.mark.django_db
def test_the_kept_hash_and_snapshot_are_those_computed_afresh(eager_tasks: Any) -> None:
    selectors.forget_cached_inputs()
    params = services.ensure_default_scenario().params
    kept = selectors.current_engine_inputs()
    fresh = selectors.build_engine_inputs(year=timezone.localdate().year)
    assert selectors.inputs_hash(inputs=kept, params=params) == selectors.inputs_hash(
        inputs=fresh, params=params
    )
    assert selectors.run_snapshot(inputs=kept) == selectors.run_snapshot(inputs=fresh)
    # twice from the kept entry: the same text, no second read of the data
    with patch.object(selectors, "build_engine_inputs") as built:
        assert selectors.run_snapshot(inputs=kept) == selectors.run_snapshot(inputs=kept)
        selectors.inputs_hash(inputs=selectors.current_engine_inputs(), params=params)
    assert built.call_count == 0


@pytest.mark.django_db
def test_a_run_request_on_unchanged_data_reads_the_data_once(eager_tasks: Any) -> None:
    scenario = services.ensure_default_scenario()
    clone = services.clone_scenario(scenario=scenario, owner=None, name="revision test")
    selectors.forget_cached_inputs()
    real = selectors.build_engine_inputs
    with patch.object(selectors, "build_engine_inputs", wraps=real) as built:
        runs = []
        for seed in (1, 2):
            services.update_scenario(
                scenario=clone,
                params={**clone.params, "sensitivity_seed": seed, "sensitivity_draws": 10},
            )
            runs.append(services.request_run(scenario=clone))
    assert built.call_count == 1
    first, second = (RunInputs.objects.get(run=r).frames for r in runs)
    assert first == second and set(first) >= {"municipalities", "practices", "statuses"}
    assert json.loads(json.dumps(first)) == first
