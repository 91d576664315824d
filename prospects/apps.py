from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "prospects"
