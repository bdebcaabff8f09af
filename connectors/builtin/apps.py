from django.apps import AppConfig


class BuiltinConfig(AppConfig):
    name = "connectors.builtin"
    label = "builtin"
    verbose_name = "Built-in nodes"
