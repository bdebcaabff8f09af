"""Xero node types; importing this package registers them (the engine autodiscovers it)."""

from connectors.xero.nodes import create_invoice, create_payment, find_or_create_contact  # noqa: F401
