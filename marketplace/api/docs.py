"""The OpenAPI schema and its interactive docs, served from local assets."""

import json

from django.utils.cache import patch_cache_control
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def _prefers_json(accept: str) -> bool:
    """Whether the client's most preferred named type (highest q, then first listed) is a JSON one."""
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = next((param[2:] for param in params if param.startswith("q=")), "1")
        try:
            ranked.append((-float(quality), position, media.lower()))
        except ValueError:
            continue
    named = [media for quality, _, media in sorted(ranked) if quality < 0 and "*" not in media]
    return bool(named) and named[0].endswith("json")


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, which does not list itself: JSON to a client that prefers JSON (`Accept`) or asks
    with `?format=json`, YAML otherwise."""

    def perform_content_negotiation(self, request, force=False):
        # DRF takes the first renderer any listed type matches, so "application/json, application/yaml" got YAML.
        accept = request.headers.get("Accept", "")
        if "format" not in request.query_params:
            if _prefers_json(accept):
                renderer = next(r() for r in self.renderer_classes if r.media_type == "application/json")
                return renderer, renderer.media_type
            if not accept.strip():  # an empty header names no type: the default, not a 406
                renderer = self.renderer_classes[0]()
                return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The same for everyone until the next release: proxies may keep it a few minutes (ETag revalidates).
        patch_cache_control(response, public=True, max_age=300)
        return response


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local assets; its validator badge is off, as it would load from validator.swagger.io.

    The split view serves its start-up script from this URL (`?script`) rather than inline, and the page's own few
    styles come from a file: the Content-Security-Policy runs no inline script or style.
    """

    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        is_script = "settings" in response.data
        if is_script and isinstance(spectacular_settings.SWAGGER_UI_SETTINGS, dict):  # a string is JavaScript
            response.data["settings"] = json.dumps({**spectacular_settings.SWAGGER_UI_SETTINGS, "validatorUrl": None})
        return response
