from django.urls import include, path

from governance import views
from governance.foundation import views as foundation_views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/checklist/", foundation_views.checklist_answer, name="checklist_answer"),
    path("approvals/<int:pk>/evidence.json", foundation_views.evidence_json, name="evidence_json"),
    path("approvals/<int:pk>/evidence/", foundation_views.evidence_page, name="evidence"),
    path("initiatives/<slug:slug>/foundation/", foundation_views.foundation_page, name="foundation"),
    path("initiatives/<slug:slug>/control-model/", foundation_views.control_model_page, name="control_model"),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("", include("governance.library.urls")),
]
