from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from governance.api import GateReviewViewSet
from governance.foundation import urls as foundation_urls
from governance.library import urls as library_urls
from governance.shadow import urls as shadow_urls
from governance.sso import urls as sso_urls
from governance.sso import views as sso_views
from initiatives.api import InitiativeViewSet
from kpis.api import AfterActionReviewView, KpiViewSet, MeasurementIngestView
from opmodel import ops
from opmodel.api import unrouted

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("gate-reviews", GateReviewViewSet, basename="gate-review")
router.register("kpis", KpiViewSet, basename="kpi")

urlpatterns = [
    # /healthz, /readyz, /metrics: for orchestrators, without login. opmodel.ops.OpsEndpointsMiddleware
    # answers them before the Host check; listed here for reverse() and the URL walk in the tests.
    *(path(route, view, name=route) for route, view in ops.ENDPOINTS.items()),
    path("", include("initiatives.urls")),
    path("", include("governance.urls")),
    path("", include("kpis.urls")),
    path("accounts/login/", sso_views.Login.as_view(), name="login"),
    path("accounts/logout/", sso_views.Logout.as_view(), name="logout"),
    path("accounts/oidc/", include(sso_urls.urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/measurements/", MeasurementIngestView.as_view(), name="measurements-ingest"),
    path(
        "api/v1/initiatives/<slug:slug>/after-action-review/",
        AfterActionReviewView.as_view(),
        name="after-action-review",
    ),
    path("api/v1/", include(library_urls.api_urlpatterns)),
    path("api/v1/", include(foundation_urls.api_urlpatterns)),
    path("api/v1/", include(shadow_urls.api_urlpatterns)),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Last: any other /api/ path is a problem+json 404, with DEBUG on too (handler404 is not used then).
    # (?s) so that a path holding a newline is caught too; <path:> stops at one.
    re_path(r"^api/(?P<rest>(?s:.*))$", unrouted, name="api-unrouted"),
]

handler404 = "opmodel.api.not_found"
handler500 = "opmodel.api.server_error"
