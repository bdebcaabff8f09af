from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "connectors.rules"
    label = "rules"
    verbose_name = "Business rules"
