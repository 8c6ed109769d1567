from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from practices.models import Doctor, Practice


class DoctorInline(admin.TabularInline):
    model = Doctor
    extra = 0


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = (
        "ydernummer",
        "name",
        "municipality",
        "form",
        "capacities",
        "listed_patients",
        "open_to_new_patients",
        "source_label",
    )
    list_filter = ("source", "form", "open_to_new_patients", "municipality__region")
    search_fields = ("ydernummer", "name", "municipality__name")
    list_select_related = ("municipality",)
    inlines = [DoctorInline]

    @admin.display(description=_("source"), ordering="source")
    def source_label(self, obj: Practice) -> str:
        # Synthetic records must never pass for real ones.
        return "SYNTHETIC" if obj.is_synthetic else str(obj.get_source_display())


@admin.register(Doctor)
class DoctorAdmin(admin.ModelAdmin):
    list_display = ("practice", "birth_year", "fte", "source")
    list_filter = ("source",)
