from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        from governance import library  # noqa: F401  (registers the reuse-ready gate criteria)
