from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "connectors.xero"
    label = "xero"
    verbose_name = "Xero"
