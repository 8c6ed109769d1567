"""Planning geographies: each one a partition of the 98 municipalities into areas."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

DEFAULT_GEOGRAPHY = "sundhedsklynger-21"


class Geography(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    provisional = models.BooleanField(
        default=False, help_text=_("membership not confirmed by an official source")
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("geography")
        verbose_name_plural = _("geographies")

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    geography = models.ForeignKey(Geography, on_delete=models.CASCADE, related_name="areas")
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    hospital = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["geography_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["geography", "slug"], name="unique_area_slug")
        ]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A municipality's area within one geography.

    The geography is stored beside the area so that the database itself refuses a
    municipality in two areas of the same geography.
    """

    geography = models.ForeignKey(Geography, on_delete=models.CASCADE, related_name="memberships")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="memberships"
    )
    confidence = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["geography_id", "area_id", "municipality_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["geography", "municipality"], name="one_area_per_geography"
            )
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.municipality_id} → {self.area_id}"
