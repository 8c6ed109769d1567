"""The roles of Klyngeplan, kept as Django groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLANNER = "planner", _("regional planner")
    NEGOTIATOR = "negotiator", _("negotiator")
    VIEWER = "viewer", _("viewer")
    API_CLIENT = "api-client", _("API client")
