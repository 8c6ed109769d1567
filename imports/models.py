"""An uploaded file waiting between its preview and its confirmation, and what every
applied import batch records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    DEMAND = "demand", _("demand data")
    PRACTICES = "practices", _("practice register")


class PendingUpload(models.Model):
    """The bytes of an uploaded file, kept in the database (not on a disk another web
    process may not share) for the user who uploaded it, until they confirm or discard it.
    A confirmation names the file's hash, so a different file is never applied."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_uploads"
    )
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pending upload")
        verbose_name_plural = _("pending uploads")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_kind_display()}, {self.user_id})"


class AppliedBatch(models.Model):
    """What every applied import file records: who, when, which file, the warnings they
    confirmed and whether it was reverted. The demand and the practice register imports
    each add their own counts (municipalities.ImportBatch, practices.RegisterBatch).

    Every successful import is recorded, also one that changed nothing, so the history shows
    that a file was checked against the database. A failed import leaves no batch behind.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="%(app_label)s_import_batches",
        verbose_name=_("who"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the file's bytes"))
    rows = models.PositiveIntegerField(help_text=_("data rows in the file"))
    # Confirmed plausibility warnings, as shown to whoever confirmed them.
    warnings_accepted = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reverted by"),
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
