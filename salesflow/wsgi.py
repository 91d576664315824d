"""WSGI entry point (gunicorn salesflow.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from salesflow.core.middleware import utf8_only_wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings.base")

application = utf8_only_wsgi(get_wsgi_application())
