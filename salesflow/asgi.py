"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from salesflow.core.middleware import utf8_only_asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesflow.settings.base")

application = utf8_only_asgi(get_asgi_application())
