"""Content negotiation: an unknown ``?format=`` is a 400 naming the formats (DRF's default
answers 404, as if the resource did not exist). A client's ``Accept`` header that no
renderer offers stays 406 Not Acceptable."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers: list[Any], format: str) -> list[Any]:
        found = [r for r in renderers if r.format == format]
        if not found:
            known = ", ".join(sorted({r.format for r in renderers if r.format != "api"}))
            message = _("Unknown format %(format)r; one of %(known)s.")
            raise ValidationError({"format": [message % {"format": format, "known": known}]})
        return found
