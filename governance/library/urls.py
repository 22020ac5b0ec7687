"""The library's routes: its pages (names in the `governance` namespace) and its API under /api/v1/.

`urlpatterns` is included from governance/urls.py, so its names stay `governance:library` and so on;
opmodel/urls.py includes `api_urlpatterns` under `api/v1/`, before the API's catch-all.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from governance.library import api, views

urlpatterns = [
    path("library/", views.asset_list, name="library"),
    path("library/new/", views.asset_create, name="asset_create"),
    path("library/<slug:slug>/", views.asset_detail, name="asset_detail"),
    path("library/<slug:slug>/diff/", views.asset_diff, name="asset_diff"),
    path("library/<slug:slug>/labels/", views.label_move, name="label_move"),
    path("library/<slug:slug>/label-requests/<int:pk>/", views.label_decide, name="label_decide"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("initiatives/<slug:slug>/publish/", views.workflow_publish, name="workflow_publish"),
    path("initiatives/<slug:slug>/assets/", views.asset_adopt, name="asset_adopt"),
    path("initiatives/<slug:slug>/reuse-review/", views.reuse_review_schedule, name="reuse_review"),
    path("initiatives/<slug:slug>/reuse-review/outcome/", views.reuse_review_outcome, name="reuse_review_outcome"),
]

# The same kind of router as the project's (format suffixes, no root view), so the routes are unchanged.
router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("assets", api.AssetViewSet, basename="asset")
router.register("label-requests", api.LabelRequestViewSet, basename="label-request")

api_urlpatterns = [
    path("initiatives/<slug:slug>/assets/", api.InitiativeAssetsView.as_view(), name="initiative-assets"),
    path(
        "initiatives/<slug:slug>/reuse-review/", api.InitiativeReuseReviewView.as_view(), name="initiative-reuse-review"
    ),
    path("", include(router.urls)),
]
