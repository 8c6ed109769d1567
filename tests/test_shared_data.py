"""The shared test data: snapshots put back what a test committed, and nothing else."""

from __future__ import annotations

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from allocation.models import Scenario
from clusters.models import Membership
from municipalities.models import DemandIndicator, Municipality
from practices.models import Doctor, Practice
from tests import shared_data
from tests.allocation.factories import ScenarioFactory
from tests.checksums import checksums

SHARED = (Municipality, DemandIndicator, Membership, Practice, Doctor, Scenario, ContentType)


def test_restore_rewrites_only_the_tables_a_test_changed(committed_db: None) -> None:
    before = checksums(*SHARED, User)
    snapshot = shared_data.take()
    Municipality.objects.filter(pk=101).update(population=1)
    Doctor.objects.filter(pk=Doctor.objects.order_by("pk").values("pk")[:1]).delete()
    ScenarioFactory.create()  # a scenario and its owner

    changed = shared_data.restore(snapshot)

    assert set(changed) == {
        Municipality._meta.db_table,
        Doctor._meta.db_table,
        Doctor.history.model._meta.db_table,  # the delete is recorded in the history
        Scenario._meta.db_table,
        User._meta.db_table,
    }
    assert checksums(*SHARED, User) == before
    assert shared_data.restore(snapshot) == []


def test_restore_after_a_flush_brings_back_denmark_with_its_ids(committed_db: None) -> None:
    before = checksums(*SHARED, Permission)
    snapshot = shared_data.take()
    call_command("flush", interactive=False, verbosity=0)  # as Django ends a transactional test
    assert not Municipality.objects.exists()
    ContentType.objects.get_for_model(Municipality)  # cached with the id the flush gave it

    shared_data.restore(snapshot)

    assert Municipality.objects.count() == 98
    assert checksums(*SHARED, Permission) == before
    # On PostgreSQL the content types a flush re-creates get new ids: the cache must not
    # keep them.
    stored = ContentType.objects.filter(model="municipality").values_list("pk", flat=True)
    assert ContentType.objects.get_for_model(Municipality).pk == stored.get()
    # The flush set the id sequences back to 1 (PostgreSQL); the next row still gets an id
    # of its own, not one of the rows written back.
    last = DemandIndicator.objects.order_by("pk").last()
    assert last is not None
    new = DemandIndicator.objects.create(
        municipality_id=last.municipality_id,
        year=1990,
        indicator=last.indicator,
        value=1.0,
        status=last.status,
        source="a row after a flush",
    )
    assert new.pk > last.pk
