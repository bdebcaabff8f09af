"""Business-rule node types (generic: any connector's data); importing registers them."""

from connectors.rules.nodes import accounting, contacts, currency, mapping, validate  # noqa: F401
