from django.apps import AppConfig


class WalmartConfig(AppConfig):
    name = "connectors.walmart"
    label = "walmart"
    verbose_name = "Walmart Marketplace"

    def ready(self) -> None:
        from connectors.sdk.registry import connection_kinds
        from connectors.walmart.connection import WalmartConnection

        connection_kinds.register(WalmartConnection)
