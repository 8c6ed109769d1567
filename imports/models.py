"""An uploaded file waiting between its preview and its confirmation."""

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
