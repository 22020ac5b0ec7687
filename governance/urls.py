from django.urls import include, path

from governance import views
from governance.library import views as library_views

app_name = "governance"
urlpatterns = [
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("", include("governance.foundation.urls")),
    path("accounts/tokens/", views.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("library/", library_views.asset_list, name="library"),
    path("library/new/", library_views.asset_create, name="asset_create"),
    path("library/<slug:slug>/", library_views.asset_detail, name="asset_detail"),
    path("library/<slug:slug>/diff/", library_views.asset_diff, name="asset_diff"),
    path("library/<slug:slug>/labels/", library_views.label_move, name="label_move"),
    path("library/<slug:slug>/label-requests/<int:pk>/", library_views.label_decide, name="label_decide"),
    path("notifications/", library_views.notification_list, name="notifications"),
    path("notifications/read/", library_views.notifications_read, name="notifications_read"),
    path("initiatives/<slug:slug>/publish/", library_views.workflow_publish, name="workflow_publish"),
    path("initiatives/<slug:slug>/assets/", library_views.asset_adopt, name="asset_adopt"),
    path("initiatives/<slug:slug>/reuse-review/", library_views.reuse_review_schedule, name="reuse_review"),
]
