from django.contrib import admin

from clusters.models import Area, Geography, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("municipality",)


@admin.register(Geography)
class GeographyAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "provisional")


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("name", "geography", "hospital")
    list_filter = ("geography",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("municipality", "area", "geography", "confidence")
    list_filter = ("geography",)
    list_select_related = ("municipality", "area", "geography")
