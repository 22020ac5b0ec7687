import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")

app = Celery("opmodel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
