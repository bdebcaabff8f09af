"""Registries of node types and connection kinds.

Apps register their classes from ``AppConfig.ready()`` (the engine app also
autodiscovers a ``nodes`` module in every installed app). Registering the same
id twice is an error, and so is asking for an id nobody registered: both say
which id and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

from connectors.sdk.nodes import NodeType

if TYPE_CHECKING:
    from connectors.sdk.connections import ConnectionKind


class AlreadyRegistered(ValueError):
    """A second class tried to claim an id that is taken."""


class NotRegistered(LookupError):
    """No class is registered under the requested id."""


T = TypeVar("T")


class Registry(Generic[T]):
    """Classes keyed by a stable string id, each instantiated once."""

    def __init__(self, what: str, id_attr: str) -> None:
        self._what = what
        self._id_attr = id_attr
        self._classes: dict[str, type[T]] = {}
        self._instances: dict[str, T] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Register ``cls``; usable as a class decorator."""
        key = getattr(cls, self._id_attr, None)
        if not isinstance(key, str) or not key:
            raise ValueError(f"{cls.__qualname__} has no {self._id_attr!r}: set it to a stable dotted id")
        existing = self._classes.get(key)
        if existing is not None and existing is not cls:
            raise AlreadyRegistered(
                f"{self._what} {key!r} is already registered by {existing.__module__}.{existing.__qualname__}; "
                f"choose another id for {cls.__module__}.{cls.__qualname__}"
            )
        self._classes[key] = cls
        return cls

    def unregister(self, key: str) -> None:
        self._classes.pop(key, None)
        self._instances.pop(key, None)

    def get_class(self, key: str) -> type[T]:
        try:
            return self._classes[key]
        except KeyError:
            raise NotRegistered(
                f"unknown {self._what} {key!r}: is the app that provides it in INSTALLED_APPS?"
            ) from None

    def get(self, key: str) -> T:
        """The shared instance for ``key``."""
        instance = self._instances.get(key)
        if instance is None:
            instance = self.get_class(key)()
            self._instances[key] = instance
        return instance

    def __contains__(self, key: object) -> bool:
        return key in self._classes

    def all(self) -> list[type[T]]:
        """Every registered class, sorted by id."""
        return [self._classes[key] for key in sorted(self._classes)]

    @contextmanager
    def register_temporarily(self, cls: type[T]) -> Iterator[type[T]]:
        """Register ``cls`` for the duration of a ``with`` block (for tests)."""
        self.register(cls)
        try:
            yield cls
        finally:
            self.unregister(getattr(cls, self._id_attr))


#: Every node type known to this process.
node_types: Registry[NodeType] = Registry("node type", "type")
#: Every connection kind (walmart, xero, ...) known to this process.
connection_kinds: Registry[ConnectionKind] = Registry("connection kind", "kind")


def register(cls: type[NodeType]) -> type[NodeType]:
    """Class decorator: add a node type to :data:`node_types`."""
    return node_types.register(cls)
