"""Danish first: the language a user picked with the switch (its cookie), else Danish.

Django's LocaleMiddleware, which runs just before this one, follows the browser's
Accept-Language header, so an English browser would open Klyngeplan in English. The
planners' language is Danish, and English is one click away: this middleware activates
the chosen language, or Danish, instead.

The API is for programs, which have no switch to click: under /api/ the client's
Accept-Language header chooses (its first language Klyngeplan speaks), else Danish.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header


class DanishFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            language = _accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def _accepted(header: str) -> str:
    """The first language of an Accept-Language header that the site speaks, else Danish."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)
