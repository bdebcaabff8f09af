"""Walmart node types; importing this package registers them (the engine autodiscovers it)."""

from connectors.walmart.nodes import (  # noqa: F401
    acknowledge_order,
    get_order,
    orders_poll,
    ship_order,
    update_inventory,
)
