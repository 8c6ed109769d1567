"""Denmark's regions and municipalities, and the demand data recorded for each municipality."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from imports.models import AppliedBatch


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


class AgeBand(models.TextChoices):
    """The engine's age bands; a projection's single ages are summed into them."""

    POP_0_17 = "pop_0_17", _("aged 0-17")
    POP_18_64 = "pop_18_64", _("aged 18-64")
    POP_65_79 = "pop_65_79", _("aged 65-79")
    POP_80_PLUS = "pop_80_plus", _("aged 80+")


class PopulationProjection(models.Model):
    """Projected citizens of a municipality by year and age band.

    Kept apart from DemandIndicator on purpose: the engine reads each indicator's latest
    year as today's value, and a projected year is not today. The shipped rows are estimated
    (the method in ``source``); a planner's import (Statistics Denmark's FRKM) is marked
    ``imported`` and survives reloading the reference data.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="projections"
    )
    year = models.PositiveSmallIntegerField()
    age_band = models.CharField(max_length=20, choices=AgeBand.choices)
    value = models.FloatField(validators=[MinValueValidator(0.0)])
    status = models.CharField(max_length=10, choices=DataStatus.choices)
    source = models.TextField(help_text=_("where the value comes from, or how it was estimated"))
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["municipality_id", "year", "age_band"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "age_band"], name="unique_projection_value"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="projection_nonneg"),
        ]
        verbose_name = _("population projection")
        verbose_name_plural = _("population projections")

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.year} {self.age_band}={self.value:g}"

    @property
    def is_estimated(self) -> bool:
        return self.status == DataStatus.ESTIMATED


class ImportKind(models.TextChoices):
    DEMAND = "demand", _("demand data")
    PROJECTION = "projection", _("population projection")


class ImportBatch(AppliedBatch):
    """One applied demand-data file (or population projection): the audit record of who
    changed which values, and when."""

    kind = models.CharField(max_length=12, choices=ImportKind.choices, default=ImportKind.DEMAND)
    values_created = models.PositiveIntegerField()
    values_updated = models.PositiveIntegerField()
    values_unchanged = models.PositiveIntegerField(default=0)

    class Meta(AppliedBatch.Meta):
        verbose_name = _("demand import batch")
        verbose_name_plural = _("demand import batches")


class DemandChange(models.Model):
    """One value an import batch wrote, with the state it replaced, so that the batch can be
    reverted to exactly what was there (``old_value`` None: the value did not exist)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    indicator = models.CharField(max_length=40, choices=Indicator.choices)
    old_value = models.FloatField(null=True, blank=True)
    old_status = models.CharField(max_length=10, choices=DataStatus.choices, blank=True)
    old_source = models.TextField(blank=True)
    old_imported = models.BooleanField(default=False)
    new_value = models.FloatField()
    new_status = models.CharField(max_length=10, choices=DataStatus.choices)
    new_source = models.TextField()

    class Meta:
        ordering = ["batch_id", "municipality_id", "year", "indicator"]
        verbose_name = _("demand value change")
        verbose_name_plural = _("demand value changes")

    def __str__(self) -> str:
        return (
            f"{self.municipality_id} {self.year} {self.indicator}: "
            f"{self.old_value} → {self.new_value}"
        )
