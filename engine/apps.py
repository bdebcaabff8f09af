from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.module_loading import autodiscover_modules


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = "Engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every installed app may define node types in a ``nodes`` module (or package).
        autodiscover_modules("nodes")
        from engine import checks  # noqa: F401  (registers the system checks)
        from engine.db import fast_timestamps

        connection_created.connect(fast_timestamps, dispatch_uid="engine.db.fast_timestamps")
