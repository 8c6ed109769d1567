"""Content negotiation: an unknown ``?format=`` is 406 Not Acceptable naming the formats
(DRF's default answers 404, as if the resource did not exist)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers: list[Any], format: str) -> list[Any]:
        found = [r for r in renderers if r.format == format]
        if not found:
            known = ", ".join(sorted({r.format for r in renderers if r.format != "api"}))
            raise NotAcceptable(f"Unknown format {format!r}; one of {known}.")
        return found
