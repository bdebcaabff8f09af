from django.apps import AppConfig


class WalmartConfig(AppConfig):
    name = "connectors.walmart"
    label = "walmart"
    verbose_name = "Walmart Marketplace"
