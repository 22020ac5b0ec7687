from django.urls import path

from initiatives import views
from initiatives.portfolio import views as portfolio_views

app_name = "initiatives"
urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("portfolio/export.csv", portfolio_views.portfolio_export, name="portfolio_export"),
    path("initiatives/", views.initiative_list, name="list"),
    path("initiatives/new/", views.initiative_create, name="create"),
    path("initiatives/<slug:slug>/", views.initiative_detail, name="detail"),
    path("initiatives/<slug:slug>/edit/", views.initiative_edit, name="edit"),
    path("initiatives/<slug:slug>/charter/", views.charter_edit, name="charter"),
    path("initiatives/<slug:slug>/roles/", views.role_assign, name="role_assign"),
    path("initiatives/<slug:slug>/roles/<int:assignment_id>/remove/", views.role_remove, name="role_remove"),
    path("initiatives/<slug:slug>/roles/<int:assignment_id>/accept/", views.role_accept, name="role_accept"),
    path("initiatives/<slug:slug>/request-review/", views.review_request, name="review_request"),
    path("initiatives/<slug:slug>/resume/", views.initiative_resume, name="resume"),
]
