"""Writes for regions, municipalities, geographies and demand data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.policies import importable_regions
from clusters.models import Area, Geography, Membership
from municipalities.demand_changes import plan_demand
from municipalities.importing import ImportFailed, RevertRefused, RowError
from municipalities.models import (
    DataStatus,
    DemandChange,
    DemandIndicator,
    ImportBatch,
    ImportKind,
    Municipality,
    PopulationProjection,
    Region,
)
from municipalities.projection_import import parse_projection
from municipalities.reference import GEOGRAPHIES, ReferenceData
from municipalities.selectors import forget_estimated_indicators
from municipalities.sync import SyncCount, sync_table


def _sync_reference_values(model: Any, *, kind: str, rows: Iterable[Any]) -> SyncCount:
    """Sync the reference data's values of ``model`` (keyed by municipality, year and
    ``kind``), leaving the imported rows as they are."""
    key = ("municipality_id", "year", kind)
    imported = set(model.objects.filter(imported=True).values_list(*key))
    return sync_table(
        model.objects.filter(imported=False),
        key=key,
        desired={
            (r.kommunekode, r.year, getattr(r, kind)): {
                "value": r.value,
                "status": r.status,
                "source": r.source,
            }
            for r in rows
            if (r.kommunekode, r.year, getattr(r, kind)) not in imported
        },
        delete_missing=False,
    )


@transaction.atomic
def apply_reference(*, data: ReferenceData) -> dict[str, SyncCount]:
    """Bring regions, municipalities, geographies and indicators to ``data``'s state."""
    result: dict[str, SyncCount] = {}
    regions = {m.region_code: {"name": m.region_name} for m in data.municipalities}
    result["regions"] = sync_table(Region.objects.all(), key=("code",), desired=regions)
    result["municipalities"] = sync_table(
        Municipality.objects.all(),
        key=("kommunekode",),
        desired={
            m.kommunekode: {
                "name": m.name,
                "region_id": m.region_code,
                "population": m.population,
                "population_date": m.population_date,
                "area_km2": round(m.area_km2, 1),
                "boundary": m.boundary,
            }
            for m in data.municipalities
        },
    )
    result["geographies"] = sync_table(
        Geography.objects.all(),
        key=("slug",),
        desired={slug: dict(meta) for slug, meta in GEOGRAPHIES.items()},
    )
    geo_ids = dict(Geography.objects.values_list("slug", "id"))
    result["areas"] = sync_table(
        Area.objects.all(),
        key=("geography_id", "slug"),
        desired={
            (geo_ids[a.geography], a.slug): {"name": a.name, "hospital": a.hospital}
            for a in data.areas
        },
    )
    area_ids = {(g, s): pk for g, s, pk in Area.objects.values_list("geography_id", "slug", "id")}
    result["memberships"] = sync_table(
        Membership.objects.all(),
        key=("geography_id", "municipality_id"),
        desired={
            (geo_ids[geo], code): {
                "area_id": area_ids[(geo_ids[geo], slug)],
                "confidence": confidence,
            }
            for (geo, code), (slug, confidence) in data.memberships.items()
        },
    )
    # Imported demand data and projections (a planner's, Statistics Denmark's own) win over
    # the reference data's estimates, and stay for years and keys the reference lacks.
    result["indicators"] = _sync_reference_values(
        DemandIndicator, kind="indicator", rows=data.indicators
    )
    result["projections"] = _sync_reference_values(
        PopulationProjection, kind="age_band", rows=data.projections
    )
    # What the pages call estimated is read from the indicators' status (cached).
    transaction.on_commit(forget_estimated_indicators)
    return result


@transaction.atomic
def import_demand(
    *,
    content: bytes,
    file_name: str,
    user: User | None,
    note: str = "",
    accept_warnings: bool = False,
    expected_sha256: str | None = None,
) -> ImportBatch:
    """Validate a demand-data file, then write all its values and record the batch.

    The file is checked as its preview shows it (:func:`municipalities.demand_changes.
    plan_demand`): an error raises :class:`~municipalities.importing.ImportFailed`, and a
    plausibility warning :class:`~municipalities.importing.WarningsNotAccepted` unless
    ``accept_warnings``, before anything is written. ``user`` may import for their own
    region only (``None``: a shell command without a user, which may import anything).
    ``expected_sha256`` refuses a file other than the one previewed. Values the file leaves
    empty, and every other row, stay as they are. Every value written is recorded with the
    state it replaced (:class:`DemandChange`), so that :func:`revert_demand_batch` can restore
    it. A file that changes nothing is recorded too (with zero counts): the history then
    shows it was checked. Whoever imports tells the allocation that the data changed
    (``data_changed``).
    """
    plan = plan_demand(content=content, file_name=file_name, user=user)
    if expected_sha256 is not None and plan.preview.sha256 != expected_sha256:
        raise ImportFailed(
            [RowError(file_name, None, "file", gettext("the file differs from the one previewed"))]
        )
    plan.preview.raise_unless_applicable(accept_warnings=accept_warnings)
    desired = {
        (v.kommunekode, v.year, v.indicator): {
            "value": v.value,
            "status": v.status,
            "source": v.source,
            "imported": True,
        }
        for v in plan.values
    }
    # Only the rows the file can touch are read; the cross product of its codes, years and
    # indicators may hold a few more, which sync_table leaves alone (delete_missing=False).
    count = sync_table(
        DemandIndicator.objects.filter(
            municipality_id__in={v.kommunekode for v in plan.values},
            year__in={v.year for v in plan.values},
            indicator__in={v.indicator for v in plan.values},
        ),
        key=("municipality_id", "year", "indicator"),
        desired=desired,
        delete_missing=False,
    )
    batch = ImportBatch.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        file_name=file_name,
        file_sha256=plan.preview.sha256,
        rows=plan.preview.rows,
        values_created=count.created,
        values_updated=count.updated,
        values_unchanged=plan.preview.unchanged,
        warnings_accepted=[str(w) for w in plan.preview.warnings],
        note=note,
    )
    changes = []
    for v in plan.values:
        old = plan.before.get((v.kommunekode, v.year, v.indicator))
        if old is not None and (old.value, old.status, old.source, old.imported) == (
            v.value,
            v.status,
            v.source,
            True,
        ):
            continue
        changes.append(
            DemandChange(
                batch=batch,
                municipality_id=v.kommunekode,
                year=v.year,
                indicator=v.indicator,
                old_value=None if old is None else old.value,
                old_status="" if old is None else old.status,
                old_source="" if old is None else old.source,
                old_imported=False if old is None else old.imported,
                new_value=v.value,
                new_status=v.status,
                new_source=v.source,
            )
        )
    DemandChange.objects.bulk_create(changes, batch_size=1000)
    if count.changed:
        transaction.on_commit(forget_estimated_indicators)
    return batch


@transaction.atomic
def import_projection(
    *,
    content: bytes,
    file_name: str,
    user: User | None,
    status: str = DataStatus.SOURCED,
    note: str = "",
) -> ImportBatch:
    """Validate a population projection file (FRKM layout), then write all its values.

    Raises :class:`~municipalities.importing.ImportFailed` with every problem before anything
    is written. The file's values replace the estimate for the municipalities, years and bands
    it gives, marked imported; other years keep what they have. The caller tells the
    allocation that the data changed (``allocation.services.data_changed``).
    """
    municipalities = dict(Municipality.objects.values_list("kommunekode", "name"))
    parsed = parse_projection(content, file_name=file_name, municipalities=municipalities)
    source = f"imported from {file_name} (SHA-256 {parsed.sha256[:12]})"
    desired = {
        (v.kommunekode, v.year, v.band): {
            "value": v.value,
            "status": status,
            "source": source,
            "imported": True,
        }
        for v in parsed.values
    }
    count = sync_table(
        PopulationProjection.objects.filter(year__in={v.year for v in parsed.values}),
        key=("municipality_id", "year", "age_band"),
        desired=desired,
        delete_missing=False,
    )
    batch = ImportBatch.objects.create(
        user=user,
        kind=ImportKind.PROJECTION,
        file_name=file_name,
        file_sha256=parsed.sha256,
        rows=parsed.rows,
        values_created=count.created,
        values_updated=count.updated,
        note=note,
    )
    return batch


@transaction.atomic
def revert_demand_batch(*, batch: ImportBatch, user: User | None) -> int:
    """Restore every value ``batch`` wrote to the state it replaced; the number restored.

    Refused (:class:`RevertRefused`) when the batch was reverted already, when ``user`` may
    not import for one of its municipalities, or when a later change has overwritten one of
    its values (reverting would then undo that change too; revert the later batch first).
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.reverted_at is not None:
        raise RevertRefused(
            gettext("it was reverted on %(when)s") % {"when": f"{batch.reverted_at:%Y-%m-%d %H:%M}"}
        )
    changes = list(batch.changes.select_related("municipality"))
    allowed = importable_regions(user)
    if allowed is not None:
        outside = sorted(
            {str(c.municipality) for c in changes if c.municipality.region_id not in allowed}
        )
        if outside:
            raise RevertRefused(
                gettext("outside your region: %(what)s") % {"what": ", ".join(outside)}
            )
    current = {
        (d.municipality_id, d.year, d.indicator): d
        for d in DemandIndicator.objects.filter(
            municipality_id__in={c.municipality_id for c in changes},
            year__in={c.year for c in changes},
            indicator__in={c.indicator for c in changes},
        )
    }
    conflicts = []
    for c in changes:
        now = current.get((c.municipality_id, c.year, c.indicator))
        if now is None or (now.value, now.status, now.source) != (
            c.new_value,
            c.new_status,
            c.new_source,
        ):
            conflicts.append(f"{c.municipality} {c.year} {c.indicator}")
    if conflicts:
        raise RevertRefused(
            gettext("changed since this batch (revert the later change first): ")
            + ", ".join(conflicts[:20])
            + (f" and {len(conflicts) - 20} more" if len(conflicts) > 20 else "")
        )
    remove = [
        current[(c.municipality_id, c.year, c.indicator)].pk for c in changes if c.old_value is None
    ]
    restore = []
    for c in changes:
        if c.old_value is None:
            continue
        row = current[(c.municipality_id, c.year, c.indicator)]
        row.value, row.status, row.source, row.imported = (
            c.old_value,
            c.old_status,
            c.old_source,
            c.old_imported,
        )
        restore.append(row)
    DemandIndicator.objects.filter(pk__in=remove).delete()
    DemandIndicator.objects.bulk_update(
        restore, ["value", "status", "source", "imported"], batch_size=500
    )
    batch.reverted_at = timezone.now()
    batch.reverted_by = user if user is not None and user.is_authenticated else None
    batch.save(update_fields=["reverted_at", "reverted_by"])
    transaction.on_commit(forget_estimated_indicators)
    return len(changes)
