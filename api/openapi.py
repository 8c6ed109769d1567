"""The OpenAPI schema at /api/schema/, generated once per process and language.

drf-spectacular builds the document anew for every request: it inspects every view and
serializer (about a third of a second), and writing it as YAML takes nearly as long again.
The document is fixed by the code, the settings and the active language (descriptions and
choice labels are translated), not by the user or the data, so each language's document and
each renderer's bytes of it are kept for the process. A change of settings (in tests)
forgets them. A request for a ``version``, a language outside LANGUAGES or a media type with
parameters is answered as before, without keeping anything: a client must not fill the
memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

_DOCUMENTS: dict[str, dict[str, Any]] = {}  # by language
_RENDERED: dict[tuple[str, type], bytes] = {}  # by language and renderer


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    _DOCUMENTS.clear()
    _RENDERED.clear()


class _KeptRendering:
    """A renderer that keeps its bytes of a kept document (the language in the renderer
    context's ``schema_language``), for its own media type without parameters."""

    media_type: str

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        language = (renderer_context or {}).get("schema_language")
        if language is None or accepted_media_type != self.media_type:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[misc]
        key = (language, type(self))
        rendered = _RENDERED.get(key)
        if rendered is None:
            rendered = super().render(data, accepted_media_type, renderer_context)  # type: ignore[misc]
            _RENDERED[key] = rendered
        return rendered


class YamlRenderer(_KeptRendering, OpenApiYamlRenderer):
    pass


class YamlRenderer2(_KeptRendering, OpenApiYamlRenderer2):
    pass


class JsonRenderer(_KeptRendering, OpenApiJsonRenderer):
    pass


class JsonRenderer2(_KeptRendering, OpenApiJsonRenderer2):
    pass


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, with the document and its renderings kept."""

    renderer_classes = [YamlRenderer, YamlRenderer2, JsonRenderer, JsonRenderer2]
    _schema_language: str | None = None  # of the kept document served

    def _get_schema_response(self, request: Request) -> Response:
        language = translation.get_language()
        if language not in dict(settings.LANGUAGES):
            return super()._get_schema_response(request)
        version = self.api_version or request.version or self._get_version_parameter(request)
        if version is not None:  # any text a client sends: not kept
            return super()._get_schema_response(request)
        if language not in _DOCUMENTS:
            _DOCUMENTS[language] = super()._get_schema_response(request).data
        filename = self._get_filename(request, version)
        self._schema_language = language
        return Response(
            data=_DOCUMENTS[language],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    def get_renderer_context(self) -> dict[str, Any]:
        context = super().get_renderer_context()
        if self._schema_language is not None:
            context["schema_language"] = self._schema_language
        return context
