from django.apps import AppConfig


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self):
        from kpis import criteria  # noqa: F401  (registers the KPI gate criterion and the KPI-tree snapshot)
