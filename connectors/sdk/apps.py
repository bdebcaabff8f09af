from django.apps import AppConfig


class SdkConfig(AppConfig):
    name = "connectors.sdk"
    label = "connections"
    verbose_name = "Connections"
    default_auto_field = "django.db.models.BigAutoField"
