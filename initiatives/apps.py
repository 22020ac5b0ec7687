from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "initiatives"

    def ready(self):
        from initiatives import criteria  # noqa: F401  (registers gate criteria and the charter snapshot)
