"""Built-in node types; importing this package registers them (the engine autodiscovers it)."""

from connectors.builtin.nodes import (  # noqa: F401
    branch,
    debug,
    filter,
    http_request,
    lookup,
    manual_trigger,
    map,
    merge,
    schedule_trigger,
    split,
    switch,
    webhook_trigger,
)
