"""General practices (ydernumre), their capacities and doctors."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from imports.models import AppliedBatch
from municipalities.models import Municipality
from practices.history import NotedHistoricalRecords

# A practice may close to new patients at 1,600 listed patients per capacity (the national
# agreement, as cited by Danske Patienter; docs/model.md#sources). The synthetic register and
# the open-share projection use this rule.
CLOSING_LIST_SIZE = 1600

# Plausibility bounds of a register record. They catch typing errors (an extra digit, a
# comma read as a thousands separator), not rare practices: Denmark's largest practices have
# around a dozen capacities and lists of some 20,000 patients, and a full list is 1,600 to
# 2,700 patients per capacity. The web form, the API and the import all refuse beyond them,
# with these messages, because they all validate through the model.
MIN_CAPACITIES = Decimal("0.01")
MAX_CAPACITIES = Decimal("30")
CAPACITIES_MESSAGE = _("Between 0.01 and 30 capacities.")
MAX_LISTED_PATIENTS = 60_000
LISTED_PATIENTS_MESSAGE = _("More than 60,000 listed patients is not plausible.")
MAX_PATIENTS_PER_CAPACITY = 5000
# A doctor's working time in capacities. An import shares a practice's capacities equally
# among the doctors it lists, so a list shorter than the capacities gives more than one each;
# beyond two the list is missing doctors.
MIN_FTE = Decimal("0.01")
MAX_FTE = Decimal("2")
FTE_MESSAGE = _("A doctor works between 0.01 and 2 capacities.")
# Doctors in practice are born after 1930 and are at least in their twenties.
MIN_BIRTH_YEAR = 1930
MAX_BIRTH_YEAR = 2010
BIRTH_YEAR_MESSAGE = _("A doctor's birth year is between 1930 and 2010.")


# Why a practice or doctor changed, as each history record stores it
# (``history_change_reason``): every path that writes the register says which it is.
# An import and its revert name their batch (:func:`import_reason`, :func:`revert_reason`).
WEB_EDIT = "web edit"
API_EDIT = "API"
ADMIN_EDIT = "admin"
# The stored state of a practice recorded just before its first recorded change (the
# register existed before its history), so that the first change can show old → new.
BASELINE = "recorded state"
# A change from the change log that the history replaced (web or API edits before it).
CHANGE_LOG = "change log"


def import_reason(batch_id: int) -> str:
    return f"import batch {batch_id}"


def revert_reason(batch_id: int) -> str:
    return f"revert of batch {batch_id}"


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
    listed_patients = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_LISTED_PATIENTS, message=LISTED_PATIENTS_MESSAGE)],
    )
    capacities = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(MIN_CAPACITIES, message=CAPACITIES_MESSAGE),
            MaxValueValidator(MAX_CAPACITIES, message=CAPACITIES_MESSAGE),
        ],
        help_text=_("lægekapaciteter: full-time doctor capacities on this ydernummer"),
    )
    source = models.CharField(max_length=10, choices=RecordSource.choices)
    # Every change from the pages, the API, the admin and imports, with who and why.
    history = NotedHistoricalRecords()

    class Meta:
        ordering = ["ydernummer"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacities__gte=MIN_CAPACITIES, capacities__lte=MAX_CAPACITIES),
                name="practice_capacities_range",
            ),
            models.CheckConstraint(
                condition=models.Q(listed_patients__lte=MAX_LISTED_PATIENTS),
                name="practice_listed_patients_max",
            ),
        ]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return f"{self.ydernummer} {self.name}"

    def clean(self) -> None:
        listed, capacities = self.listed_patients, self.capacities
        if (
            listed is not None
            and capacities
            and capacities > 0
            and listed / float(capacities) > MAX_PATIENTS_PER_CAPACITY
        ):
            raise ValidationError(
                {
                    "listed_patients": _(
                        "More than 5,000 patients per capacity: check the capacities."
                    )
                }
            )

    @property
    def is_synthetic(self) -> bool:
        return self.source == RecordSource.SYNTHETIC


class Doctor(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="doctors")
    birth_year = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(MIN_BIRTH_YEAR, message=BIRTH_YEAR_MESSAGE),
            MaxValueValidator(MAX_BIRTH_YEAR, message=BIRTH_YEAR_MESSAGE),
        ],
    )
    fte = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[
            MinValueValidator(MIN_FTE, message=FTE_MESSAGE),
            MaxValueValidator(MAX_FTE, message=FTE_MESSAGE),
        ],
    )
    source = models.CharField(max_length=10, choices=RecordSource.choices)
    history = NotedHistoricalRecords()

    class Meta:
        ordering = ["practice_id", "birth_year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_year__gte=MIN_BIRTH_YEAR, birth_year__lte=MAX_BIRTH_YEAR),
                name="doctor_birth_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(fte__gte=MIN_FTE, fte__lte=MAX_FTE), name="doctor_fte_range"
            ),
        ]
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")

    def __str__(self) -> str:
        return f"{self.practice_id}: born {self.birth_year} ({self.fte} FTE)"


class RegisterBatch(AppliedBatch):
    """One applied practice register file: who, when, which file, and what it changed."""

    practices_created = models.PositiveIntegerField()
    practices_updated = models.PositiveIntegerField()
    practices_deleted = models.PositiveIntegerField(default=0)
    practices_unchanged = models.PositiveIntegerField()

    class Meta(AppliedBatch.Meta):
        verbose_name = _("practice import batch")
        verbose_name_plural = _("practice import batches")


class RegisterChange(models.Model):
    """One practice an import batch created, changed or removed: its state before and after
    (practice fields and doctors), so that the batch can be reverted exactly."""

    batch = models.ForeignKey(RegisterBatch, on_delete=models.CASCADE, related_name="changes")
    ydernummer = models.CharField(max_length=12)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "ydernummer"]
        verbose_name = _("practice import change")
        verbose_name_plural = _("practice import changes")

    def __str__(self) -> str:
        return f"{self.batch_id} {self.ydernummer}"
