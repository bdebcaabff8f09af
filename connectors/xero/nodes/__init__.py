"""Xero node types; importing this package registers them (the engine autodiscovers it)."""

from connectors.xero.nodes import (  # noqa: F401
    create_invoice,
    create_payment,
    credit_note,
    find_invoice,
    find_or_create_contact,
    items_poll,
    refund_credit,
)
