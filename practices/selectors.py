"""Reads for the practice register."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from practices.models import Practice


def practice_list(
    *,
    municipality: int | None = None,
    region: int | None = None,
    area: str | None = None,
    geography: str | None = None,
    open_to_new_patients: bool | None = None,
    form: str | None = None,
    source: str | None = None,
) -> QuerySet[Practice]:
    """Practices with their municipality, region and number of doctors; one query per page.

    ``area`` is an area slug within ``geography``.
    """
    qs = (
        Practice.objects.select_related("municipality")
        .only(
            "ydernummer",
            "name",
            "form",
            "open_to_new_patients",
            "listed_patients",
            "capacities",
            "source",
            "municipality",
            "municipality__kommunekode",
            "municipality__name",
            "municipality__region_id",
        )
        .annotate(doctor_count=Count("doctors"))
        .order_by("ydernummer")
    )
    if municipality is not None:
        qs = qs.filter(municipality_id=municipality)
    if region is not None:
        qs = qs.filter(municipality__region_id=region)
    if area is not None:
        qs = qs.filter(
            municipality__memberships__geography__slug=geography,
            municipality__memberships__area__slug=area,
        )
    if open_to_new_patients is not None:
        qs = qs.filter(open_to_new_patients=open_to_new_patients)
    if form is not None:
        qs = qs.filter(form=form)
    if source is not None:
        qs = qs.filter(source=source)
    return qs


def practice_get(*, ydernummer: str) -> Practice | None:
    return practice_list().filter(ydernummer=ydernummer).first()
