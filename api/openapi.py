"""The OpenAPI schema at /api/schema/, generated once per process and language.

drf-spectacular builds the document anew for every request: it inspects every view and
serializer (about a third of a second), and writing it as YAML takes nearly as long again.
The document is fixed by the code, the settings, the version asked for and the active
language (descriptions and choice labels are translated), not by the user or the data, so
each language's document and each renderer's bytes of it are kept for the process. A change
of settings (in tests) forgets them. A language or media type outside the known ones is
answered as before, without keeping anything: a client must not fill the memory.
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

_DOCUMENTS: dict[tuple[str, str | None], dict[str, Any]] = {}
_RENDERED: dict[tuple[Any, ...], bytes] = {}


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    _DOCUMENTS.clear()
    _RENDERED.clear()


class _KeptRendering:
    """A renderer that keeps its bytes of a kept document (``schema_key`` in the renderer
    context), for its own media type without parameters."""

    media_type: str

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        schema_key = (renderer_context or {}).get("schema_key")
        if schema_key is None or accepted_media_type != self.media_type:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[misc]
        key = (*schema_key, type(self))
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
    _schema_key: tuple[str, str | None] | None = None

    def _get_schema_response(self, request: Request) -> Response:
        language = translation.get_language()
        if language not in dict(settings.LANGUAGES):
            return super()._get_schema_response(request)
        version = self.api_version or request.version or self._get_version_parameter(request)
        if version is not None:  # any text a client sends: not kept
            return super()._get_schema_response(request)
        key = (language, version)
        if key not in _DOCUMENTS:
            response = super()._get_schema_response(request)
            _DOCUMENTS[key] = response.data
        filename = self._get_filename(request, version)
        self._schema_key = key
        return Response(
            data=_DOCUMENTS[key],
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    def get_renderer_context(self) -> dict[str, Any]:
        context = super().get_renderer_context()
        if self._schema_key is not None:
            context["schema_key"] = self._schema_key
        return context
