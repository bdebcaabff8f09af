"""Walmart node types; importing this package registers them (the engine autodiscovers it)."""

from connectors.walmart.nodes import (  # noqa: F401
    acknowledge_order,
    bulk_inventory,
    cancel_lines,
    get_inventory,
    get_order,
    order_document,
    order_webhook,
    orders_poll,
    refund_lines,
    returns_poll,
    ship_order,
    sync_inventory,
    update_inventory,
    update_price,
)
