from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from governance.api import GateReviewViewSet
from governance.foundation import api as foundation_api
from governance.library import urls as library_urls
from initiatives.api import InitiativeViewSet
from kpis.api import KpiViewSet, MeasurementIngestView
from opmodel.api import unrouted

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("gate-reviews", GateReviewViewSet, basename="gate-review")
router.register("kpis", KpiViewSet, basename="kpi")

urlpatterns = [
    path("", include("initiatives.urls")),
    path("", include("governance.urls")),
    path("", include("kpis.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/measurements/", MeasurementIngestView.as_view(), name="measurements-ingest"),
    path("api/v1/", include(library_urls.api_urlpatterns)),
    path(
        "api/v1/initiatives/<slug:slug>/controls/",
        foundation_api.InitiativeControlsView.as_view(),
        name="initiative-controls",
    ),
    path(
        "api/v1/initiatives/<slug:slug>/controls/<slug:control_key>/",
        foundation_api.InitiativeControlView.as_view(),
        name="initiative-control",
    ),
    path(
        "api/v1/initiatives/<slug:slug>/data-sources/",
        foundation_api.InitiativeDataSourcesView.as_view(),
        name="initiative-data-sources",
    ),
    path(
        "api/v1/initiatives/<slug:slug>/data-sources/<int:source_id>/",
        foundation_api.InitiativeDataSourceView.as_view(),
        name="initiative-data-source",
    ),
    path(
        "api/v1/initiatives/<slug:slug>/data-sources/<int:source_id>/link/",
        foundation_api.InitiativeDataSourceLinkView.as_view(),
        name="initiative-data-source-link",
    ),
    path("api/v1/initiatives/<slug:slug>/risk/", foundation_api.InitiativeRiskView.as_view(), name="initiative-risk"),
    path(
        "api/v1/gate-reviews/<int:id>/checklist/",
        foundation_api.GateReviewChecklistView.as_view(),
        name="gate-review-checklist",
    ),
    path(
        "api/v1/gate-reviews/<int:id>/evidence/",
        foundation_api.GateReviewEvidenceView.as_view(),
        name="gate-review-evidence",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: any other /api/ path is a problem+json 404, with DEBUG on too (handler404 is not used then).
    path("api/", unrouted, name="api-unrouted-root"),
    path("api/<path:rest>", unrouted, name="api-unrouted"),
]

handler404 = "opmodel.api.not_found"
handler500 = "opmodel.api.server_error"
