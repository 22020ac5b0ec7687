from django.urls import include, path

from governance import views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/checklist/", views.checklist_answer, name="checklist_answer"),
    path("", include("governance.foundation.urls")),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("", include("governance.library.urls")),
    path("", include("governance.shadow.urls")),
]
