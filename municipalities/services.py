"""Writes for regions, municipalities, geographies and demand data."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from clusters.models import Area, Geography, Membership
from municipalities.demand_import import parse_demand
from municipalities.models import DemandIndicator, ImportBatch, Municipality, Region
from municipalities.reference import GEOGRAPHIES, ReferenceData
from municipalities.selectors import forget_estimated_indicators
from municipalities.sync import SyncCount, sync_table


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
    imported = set(
        DemandIndicator.objects.filter(imported=True).values_list(
            "municipality_id", "year", "indicator"
        )
    )
    result["indicators"] = sync_table(
        DemandIndicator.objects.filter(imported=False),
        key=("municipality_id", "year", "indicator"),
        desired={
            (i.kommunekode, i.year, i.indicator): {
                "value": i.value,
                "status": i.status,
                "source": i.source,
            }
            for i in data.indicators
            # A value a planner imported wins over the reference data's estimate.
            if (i.kommunekode, i.year, i.indicator) not in imported
        },
        # Imported demand data for other years or indicators stays; the reference data only
        # owns the rows it brings.
        delete_missing=False,
    )
    # What the pages call estimated is read from the indicators' status (cached).
    transaction.on_commit(forget_estimated_indicators)
    return result


@transaction.atomic
def import_demand(
    *, content: bytes, file_name: str, user: User | None, note: str = ""
) -> ImportBatch:
    """Validate a demand-data file, then write all its values and record the batch.

    Raises :class:`~municipalities.importing.ImportFailed` with every problem before anything
    is written. Values the file leaves empty, and every other row, stay as they are. A file
    that changes nothing is recorded too (with zero counts): the history then shows it was
    checked. Whoever imports tells the allocation that the data changed (``data_changed``).
    """
    known = set(Municipality.objects.values_list("kommunekode", flat=True))
    parsed = parse_demand(content, file_name=file_name, known_codes=known)
    desired = {
        (v.kommunekode, v.year, v.indicator): {
            "value": v.value,
            "status": v.status,
            "source": v.source,
            "imported": True,
        }
        for v in parsed.values
    }
    # Only the rows the file can touch are read; the cross product of its codes, years and
    # indicators may hold a few more, which sync_table leaves alone (delete_missing=False).
    count = sync_table(
        DemandIndicator.objects.filter(
            municipality_id__in={v.kommunekode for v in parsed.values},
            year__in={v.year for v in parsed.values},
            indicator__in={v.indicator for v in parsed.values},
        ),
        key=("municipality_id", "year", "indicator"),
        desired=desired,
        delete_missing=False,
    )
    batch = ImportBatch.objects.create(
        user=user,
        file_name=file_name,
        file_sha256=parsed.sha256,
        rows=parsed.rows,
        values_created=count.created,
        values_updated=count.updated,
        note=note,
    )
    if count.changed:
        transaction.on_commit(forget_estimated_indicators)
    return batch
