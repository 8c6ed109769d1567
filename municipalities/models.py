"""Denmark's regions and municipalities, and the demand data recorded for each municipality."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataStatus(models.TextChoices):
    """How a figure came to be: the same three words as data/denmark/SOURCES.md uses."""

    SOURCED = "sourced", _("sourced")
    DERIVED = "derived", _("derived")
    ESTIMATED = "estimated", _("estimated")


class Region(models.Model):
    code = models.PositiveSmallIntegerField(primary_key=True)  # 1081-1085
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"Region {self.name}"


class Municipality(models.Model):
    kommunekode = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")
    population = models.PositiveIntegerField()
    population_date = models.DateField()
    area_km2 = models.DecimalField(max_digits=8, decimal_places=1)
    boundary = models.JSONField(null=True, blank=True, help_text=_("GeoJSON geometry"))

    class Meta:
        ordering = ["kommunekode"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return f"{self.kommunekode} {self.name}"


class Indicator(models.TextChoices):
    """Demand indicators per municipality and reference year.

    The first block feeds the allocation engine (age bands and pillar drivers); the second is
    socioeconomic context from data/denmark/demand_indicators.csv.
    """

    POP_0_17 = "pop_0_17", _("citizens aged 0-17")
    POP_18_64 = "pop_18_64", _("citizens aged 18-64")
    POP_65_79 = "pop_65_79", _("citizens aged 65-79")
    POP_80_PLUS = "pop_80_plus", _("citizens aged 80+")
    CHRONIC = "chronic", _("citizens with a chronic disease")
    MULTIMORBID = "multimorbid", _("multimorbid citizens (two or more chronic diseases)")
    NURSING_HOME_PLACES = "nursing_home_places", _("nursing-home places")
    RESIDENTIAL_RESIDENTS = "residential_residents", _("residential-facility residents")
    PSYCHIATRIC = "psychiatric", _("citizens with psychiatric illness")
    VULNERABLE = "vulnerable", _("socially vulnerable citizens")
    FAR_FROM_PRACTICE = "far_from_practice", _("citizens far from an open practice")
    AVG_DISPOSABLE_INCOME = "avg_disposable_income_dkk", _("average disposable income (DKK)")
    UNEMPLOYMENT_PCT = "unemployment_pct", _("unemployment (%)")
    HIGHER_EDUCATION_PCT = "higher_education_pct", _("higher education (%)")
    IMMIGRANT_DESCENDANT_PCT = "immigrant_descendant_pct", _("immigrants and descendants (%)")
    ONE_PERSON_HOUSEHOLDS_PCT = "one_person_households_pct", _("one-person households (%)")
    SOCIAL_ASSISTANCE_RECIPIENTS = "social_assistance_recipients", _("social assistance recipients")
    SOCIAL_ASSISTANCE_PER_1000 = (
        "social_assistance_per_1000",
        _("social assistance recipients per 1,000"),
    )
    SHORTAGE_PLO_2019 = "laegedaekningstruet_plo_2019", _("GP shortage area (PLO 2019)")


ENGINE_INDICATORS: tuple[str, ...] = (
    Indicator.POP_0_17,
    Indicator.POP_18_64,
    Indicator.POP_65_79,
    Indicator.POP_80_PLUS,
    Indicator.CHRONIC,
    Indicator.MULTIMORBID,
    Indicator.NURSING_HOME_PLACES,
    Indicator.RESIDENTIAL_RESIDENTS,
    Indicator.PSYCHIATRIC,
    Indicator.VULNERABLE,
    Indicator.FAR_FROM_PRACTICE,
)


class DemandIndicator(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="indicators"
    )
    year = models.PositiveSmallIntegerField()
    indicator = models.CharField(max_length=40, choices=Indicator.choices)
    value = models.FloatField()
    status = models.CharField(max_length=10, choices=DataStatus.choices)
    source = models.TextField(help_text=_("where the value comes from, or how it was estimated"))
    # Set by import_demand: a planner's value, which reloading the reference data must keep.
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["municipality_id", "year", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "indicator"], name="unique_indicator_value"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="indicator_nonneg"),
        ]
        verbose_name = _("demand indicator")
        verbose_name_plural = _("demand indicators")

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.year} {self.indicator}={self.value:g}"

    @property
    def is_estimated(self) -> bool:
        return self.status == DataStatus.ESTIMATED


class ImportBatch(models.Model):
    """One applied demand-data file: the audit record of who changed which values, and when.

    Every successful import is recorded, also one that changed nothing, so the history shows
    that a file was checked against the database. A failed import leaves no batch behind.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="demand_import_batches",
        verbose_name=_("who"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the file's bytes"))
    rows = models.PositiveIntegerField(help_text=_("data rows in the file"))
    values_created = models.PositiveIntegerField()
    values_updated = models.PositiveIntegerField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("demand import batch")
        verbose_name_plural = _("demand import batches")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
