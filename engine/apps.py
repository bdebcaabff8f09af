from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every installed app may define node types in a ``nodes`` module (or package).
        autodiscover_modules("nodes")
        from engine import checks  # noqa: F401  (registers the system checks)
