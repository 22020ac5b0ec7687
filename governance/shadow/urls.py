"""The register's routes: its pages, in the `governance` namespace, and its API, under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from governance.shadow import api, views

# Included by governance/urls.py, so the names read `governance:shadow_ai` and so on.
urlpatterns = [
    path("shadow-ai/", views.shadow_list, name="shadow_ai"),
    path("shadow-ai/new/", views.shadow_create, name="shadow_ai_create"),
    path("shadow-ai/import/", views.shadow_import, name="shadow_ai_import"),
    path("shadow-ai/<int:pk>/", views.shadow_edit, name="shadow_ai_edit"),
    path("shadow-ai/<int:pk>/triage/", views.shadow_triage, name="shadow_ai_triage"),
]

# The same kind of router as the project's (format suffixes, no root view), so the routes are unchanged.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("shadow-ai", api.ShadowAiViewSet, basename="shadow-ai")

api_urlpatterns = [path("", include(router.urls))]
