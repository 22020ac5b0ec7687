from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
