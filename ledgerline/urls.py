"""URL map: API, websocket-less HTTP routes, sandboxes and the web app."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def _is_package(name: str) -> bool:
    spec = find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def sandbox_urlpatterns() -> list[URLPattern | URLResolver]:
    """Mount ``<connector>.sandbox.urls`` of every installed connector at ``/sandbox/<label>/``."""
    patterns: list[URLPattern | URLResolver] = []
    for config in apps.get_app_configs():
        module = f"{config.name}.sandbox.urls"
        if config.name.startswith("connectors.") and _is_package(f"{config.name}.sandbox") and find_spec(module):
            patterns.append(path(f"sandbox/{config.label}/", include(import_module(module))))
    return patterns


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *sandbox_urlpatterns(),
]

for _module in ("engine.urls", "designer.urls", "monitoring.urls", "connectors.rules.urls", "frontend.urls"):
    if find_spec(_module):
        urlpatterns.append(path("", include(_module)))

if not find_spec("frontend.urls"):
    # Without the web app, the interactive API documentation is the front door.
    urlpatterns.append(path("", RedirectView.as_view(url="/api/docs/", permanent=False)))
