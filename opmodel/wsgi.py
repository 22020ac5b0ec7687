"""The WSGI application that gunicorn serves (`python -m opmodel web`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opmodel.settings")

application = get_wsgi_application()

# Import every view, serializer and form now, while gunicorn starts the worker, instead of during
# the worker's first request (which took 200 ms longer than the next).
import opmodel.urls  # noqa: E402, F401
