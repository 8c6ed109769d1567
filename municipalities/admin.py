from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from municipalities.models import DemandIndicator, Municipality, Region


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
