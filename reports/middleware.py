"""Danish first: the language a user picked with the switch (its cookie), else Danish.

Django's LocaleMiddleware, which runs just before this one, follows the browser's
Accept-Language header, so an English browser would open Klyngeplan in English. The
planners' language is Danish, and English is one click away: this middleware activates
the chosen language, or Danish, instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class DanishFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
