"""Sign-on's routes, under /accounts/oidc/ (opmodel/urls.py); the log-in page keeps Django's name, `login`.
The names are mozilla-django-oidc's, which its backend reverses."""

from django.urls import path

from governance.sso import views

urlpatterns = [
    path("authenticate/", views.Start.as_view(), name="oidc_authentication_init"),
    path("callback/", views.Callback.as_view(), name="oidc_authentication_callback"),
]
