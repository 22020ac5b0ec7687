from django.urls import path

from kpis import views

app_name = "kpis"
urlpatterns = [
    path("initiatives/<slug:slug>/tree/objective/", views.objective_set, name="objective_set"),
    path("initiatives/<slug:slug>/tree/drivers/", views.driver_add, name="driver_add"),
    path("initiatives/<slug:slug>/tree/drivers/<int:driver_id>/remove/", views.driver_remove, name="driver_remove"),
    path("initiatives/<slug:slug>/tree/template/", views.template_apply, name="template_apply"),
    path("initiatives/<slug:slug>/kpis/new/", views.kpi_create, name="create"),
    path("initiatives/<slug:slug>/measurements/upload/", views.measurements_upload, name="upload"),
    path("initiatives/<slug:slug>/after-action-review/", views.after_action_review, name="after_action_review"),
    path("kpis/<str:key>/", views.kpi_detail, name="detail"),
    path("kpis/<str:key>/edit/", views.kpi_edit, name="edit"),
    path("kpis/<str:key>/move/", views.kpi_move, name="move"),
    path("kpis/<str:key>/remove/", views.kpi_remove, name="remove"),
]
