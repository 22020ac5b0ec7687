"""The foundation's routes: its pages, in the `governance` namespace, and its API, under /api/v1/."""

from django.urls import path

from governance.foundation import api, views

# Included by governance/urls.py, so the names read `governance:foundation` and so on.
urlpatterns = [
    path("approvals/<int:pk>/evidence.json", views.evidence_json, name="evidence_json"),
    path("approvals/<int:pk>/evidence/", views.evidence_page, name="evidence"),
    path("initiatives/<slug:slug>/foundation/", views.foundation_page, name="foundation"),
    path("initiatives/<slug:slug>/control-model/", views.control_model_page, name="control_model"),
]

# Included by opmodel/urls.py under api/v1/, beside the router.
api_urlpatterns = [
    path("initiatives/<slug:slug>/controls/", api.InitiativeControlsView.as_view(), name="initiative-controls"),
    path(
        "initiatives/<slug:slug>/controls/<slug:control_key>/",
        api.InitiativeControlView.as_view(),
        name="initiative-control",
    ),
    path(
        "initiatives/<slug:slug>/data-sources/", api.InitiativeDataSourcesView.as_view(), name="initiative-data-sources"
    ),
    path(
        "initiatives/<slug:slug>/data-sources/<int:source_id>/",
        api.InitiativeDataSourceView.as_view(),
        name="initiative-data-source",
    ),
    path(
        "initiatives/<slug:slug>/data-sources/<int:source_id>/link/",
        api.InitiativeDataSourceLinkView.as_view(),
        name="initiative-data-source-link",
    ),
    path("initiatives/<slug:slug>/risk/", api.InitiativeRiskView.as_view(), name="initiative-risk"),
    path("gate-reviews/<int:id>/checklist/", api.GateReviewChecklistView.as_view(), name="gate-review-checklist"),
    path("gate-reviews/<int:id>/evidence/", api.GateReviewEvidenceView.as_view(), name="gate-review-evidence"),
]
