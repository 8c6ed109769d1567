"""General practices (ydernumre), their capacities and doctors."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality

# A practice may close to new patients at 1,600 listed patients per capacity (the national
# agreement, as cited by Danske Patienter; docs/model.md#sources). The synthetic register and
# the open-share projection use this rule.
CLOSING_LIST_SIZE = 1600


class RecordSource(models.TextChoices):
    SYNTHETIC = "synthetic", _("synthetic")
    IMPORTED = "imported", _("imported")


class PracticeForm(models.TextChoices):
    SOLO = "solo", _("solo practice")
    PARTNERSHIP = "partnership", _("partnership practice")
    COLLABORATIVE = "collaborative", _("collaborative practice")
    REGION_CLINIC = "region_clinic", _("region-run clinic")


class Practice(models.Model):
    ydernummer = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="practices"
    )
    form = models.CharField(max_length=20, choices=PracticeForm.choices)
    open_to_new_patients = models.BooleanField()
    listed_patients = models.PositiveIntegerField()
    capacities = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("lægekapaciteter: full-time doctor capacities on this ydernummer"),
    )
    source = models.CharField(max_length=10, choices=RecordSource.choices)

    class Meta:
        ordering = ["ydernummer"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacities__gt=0), name="capacities_pos")
        ]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return f"{self.ydernummer} {self.name}"

    @property
    def is_synthetic(self) -> bool:
        return self.source == RecordSource.SYNTHETIC


class Doctor(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="doctors")
    birth_year = models.PositiveSmallIntegerField()
    fte = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("1.00"))
    source = models.CharField(max_length=10, choices=RecordSource.choices)

    class Meta:
        ordering = ["practice_id", "birth_year"]
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")

    def __str__(self) -> str:
        return f"{self.practice_id}: born {self.birth_year} ({self.fte} FTE)"


class PracticeChange(models.Model):
    """One edit of a practice through the web app: who, when, and what changed (old → new)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="practice_changes",
        verbose_name=_("who"),
    )
    changed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("when"))
    changes = models.JSONField(help_text=_("field -> [old, new]"), verbose_name=_("what"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("practice change")
        verbose_name_plural = _("practice changes")

    def __str__(self) -> str:
        return f"{self.practice_id} {self.changed_at:%Y-%m-%d %H:%M}: {', '.join(self.changes)}"
