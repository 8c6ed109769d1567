from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from municipalities.models import (
    DemandIndicator,
    ImportBatch,
    Municipality,
    PopulationProjection,
    Region,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("kommunekode", "name", "region", "population", "population_date", "area_km2")
    list_filter = ("region",)
    search_fields = ("name", "kommunekode")
    exclude = ("boundary",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Municipality]:
        # Boundaries are large GeoJSON; the admin never shows them.
        return super().get_queryset(request).defer("boundary")


@admin.register(DemandIndicator)
class DemandIndicatorAdmin(admin.ModelAdmin):
    list_display = ("municipality", "year", "indicator", "value", "status")
    list_filter = ("status", "indicator", "year", "municipality__region")
    search_fields = ("municipality__name",)
    list_select_related = ("municipality",)


@admin.register(PopulationProjection)
class PopulationProjectionAdmin(admin.ModelAdmin):
    list_display = ("municipality", "year", "age_band", "value", "status", "imported")
    list_filter = ("status", "imported", "age_band", "year", "municipality__region")
    search_fields = ("municipality__name",)
    list_select_related = ("municipality",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "file_name",
        "user",
        "rows",
        "values_created",
        "values_updated",
    )
    list_filter = ("user",)
    search_fields = ("file_name", "file_sha256", "note")
    list_select_related = ("user",)
    # A batch is the record of an import that happened; only its note may be edited here.
    readonly_fields = (
        "user",
        "created_at",
        "file_name",
        "file_sha256",
        "rows",
        "values_created",
        "values_updated",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Batches come from import_demand only: one made by hand would record no import.
        return False
