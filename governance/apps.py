from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        # Register the foundation and reuse gate criteria.
        from governance.foundation import criteria as foundation  # noqa: F401
        from governance.library import criteria as library  # noqa: F401
