from django.apps import AppConfig


class TestNodesConfig(AppConfig):
    name = "tests.support.nodes_app"
    label = "test_nodes"
