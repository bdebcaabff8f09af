from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "connectors.xero"
    label = "xero"
    verbose_name = "Xero"

    def ready(self) -> None:
        from connectors.sdk.registry import connection_kinds
        from connectors.xero.connection import XeroConnection

        connection_kinds.register(XeroConnection)
