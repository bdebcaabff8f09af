"""Setting values at dotted paths (``address.city``) on copies of items."""

from __future__ import annotations

import copy
from typing import Any


def set_path(item: Any, path: str, value: Any) -> Any:
    """A copy of ``item`` (an object) with ``value`` at the dotted ``path``; intermediate objects are created."""
    result = copy.deepcopy(item) if isinstance(item, dict) else {}
    target = result
    parts = [part for part in path.split(".") if part]
    for part in parts[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
    if parts:
        target[parts[-1]] = value
    return result
