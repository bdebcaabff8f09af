"""The node-type contract: what a Django app declares to add a node to the palette.

A node type is a class with declarative attributes and one ``execute`` method.
The engine never knows concrete node types: it finds them in
:mod:`connectors.sdk.registry` by their ``type`` id and calls ``execute`` with a
:class:`~connectors.sdk.context.NodeContext` and the node's input item.

What ``execute`` returns decides where data goes next:

* any JSON value: sent on the first output port (usually ``"out"``);
* :class:`Route`: sent only on the named ports; edges from the other ports are
  not taken and the nodes behind them are skipped;
* :class:`FanOut`: each element becomes its own child run that continues from
  this node's successors (one order line, one settlement row ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from connectors.sdk.context import NodeContext
from connectors.sdk.errors import WebhookRejected

#: A JSON Schema that accepts anything; the default for input and output.
ANY_SCHEMA: Mapping[str, Any] = {}
#: The config schema of a node without settings.
EMPTY_CONFIG: Mapping[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True)
class Port:
    """A named connection point on a node.

    ``required`` input ports must be wired for the document to be valid.
    """

    name: str
    title: str = ""
    required: bool = True

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title or self.name, "required": self.required}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried.

    The delay before retry ``n`` (1-based) is ``min(max_delay, base_delay * 2**(n-1))``
    with full jitter applied by the engine.
    """

    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0
    #: Waits for a rate limit or an open circuit breaker do not use up attempts;
    #: after this many the run fails instead of waiting for ever.
    max_waits: int = 500


@dataclass(frozen=True)
class Route:
    """Output sent only on the named ports: ``Route({"true": item})``."""

    ports: Mapping[str, Any]


@dataclass(frozen=True)
class FanOut:
    """Each item continues in its own child run, isolated from its siblings."""

    items: Sequence[Any]
    #: Optional business key per item (same length as ``items``) for the child runs.
    keys: Sequence[str] | None = None


@dataclass(frozen=True)
class TriggerEvent:
    """One event produced by a trigger; one event is one run.

    ``key`` identifies the event at its source (a purchase order id plus its
    last-modified time, a webhook event id ...). The engine never starts two
    runs for the same workflow, trigger node and key.
    """

    key: str
    payload: Any


@dataclass(frozen=True)
class PollResult:
    """What one poll found, and the cursor to resume from next time.

    The engine stores the events and the new cursor in one transaction, so a
    cursor never moves past an event that was not stored.
    """

    events: Sequence[TriggerEvent]
    cursor: Mapping[str, Any]
    #: True when the source has more right now: the engine polls again at once.
    more: bool = False


@dataclass(frozen=True)
class WebhookRequest:
    """An incoming webhook delivery, as the trigger needs to see it."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class NodeType:
    """Base class of every node type.

    Subclasses set the class attributes and implement :meth:`execute`. They are
    instantiated once per process and must keep no per-run state on ``self``.
    """

    #: Stable dotted id, e.g. ``"xero.invoice.create"``. Never change it once published.
    type: ClassVar[str]
    #: Increment when the config or behaviour changes incompatibly.
    version: ClassVar[int] = 1
    title: ClassVar[str]
    #: Palette group: "Triggers", "Logic", "Data", "Walmart", "Xero", ...
    category: ClassVar[str] = "Other"
    #: Name of an icon the canvas knows, or a short emoji/text fallback.
    icon: ClassVar[str] = "box"
    description: ClassVar[str] = ""
    #: JSON Schema of ``config``; the canvas renders the config form from it.
    config_schema: ClassVar[Mapping[str, Any]] = EMPTY_CONFIG
    #: JSON Schema the input item must satisfy (checked before ``execute``).
    input_schema: ClassVar[Mapping[str, Any]] = ANY_SCHEMA
    #: JSON Schema of the output (documentation and downstream mapping hints).
    output_schema: ClassVar[Mapping[str, Any]] = ANY_SCHEMA
    inputs: ClassVar[Sequence[Port]] = (Port("in"),)
    outputs: ClassVar[Sequence[Port]] = (Port("out"),)
    #: Kind of connection required (``"xero"``), or None.
    connection_kind: ClassVar[str | None] = None
    #: True when ``execute`` changes something outside Ledgerline. Such nodes
    #: must make their effect idempotent with ``context.idempotency_key``.
    side_effects: ClassVar[bool] = False
    #: True when many runs' calls may be combined into one remote call through
    #: :meth:`execute_batch` (e.g. 50 invoices in one Xero request).
    batchable: ClassVar[bool] = False
    #: The most calls one :meth:`execute_batch` receives (the engine's limit applies too).
    batch_size: ClassVar[int] = 50
    retry: ClassVar[RetryPolicy] = RetryPolicy()
    #: Names of config fields whose choices come from the options endpoint
    #: (``GET /api/node-types/<type>/options/<name>/``).
    option_sources: ClassVar[Sequence[str]] = ()
    #: An example input for "run with sample data" in the designer.
    sample_input: ClassVar[Any] = None

    def execute(self, context: NodeContext, item: Any) -> Any:
        """Do the node's work for one input item and return its output.

        Raises:
            NodeError: a subclass saying what kind of failure happened.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def execute_batch(self, calls: Sequence[tuple[NodeContext, Any]]) -> list[Any]:
        """Execute many runs' calls at once; one result or ``NodeError`` per call, in order.

        The default executes them one by one. Batchable node types override it
        to send one remote request; an element's failure is returned in its own
        slot (as the exception instance) so it fails only its own run.
        """
        results: list[Any] = []
        for context, item in calls:
            try:
                results.append(self.execute(context, item))
            except Exception as exc:  # noqa: BLE001 - each slot carries its own failure
                results.append(exc)
        return results

    def options(self, name: str, connection: Any | None, config: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Choices for a config field listed in ``option_sources``: ``[{"value", "label"}]``."""
        raise KeyError(name)

    def connection_kind_for(self, config: Mapping[str, Any]) -> str | None:
        """The kind of connection a node with this ``config`` needs: :attr:`connection_kind`, unless
        the node works with several kinds and its config says which (used to fill in templates)."""
        return self.connection_kind

    @classmethod
    def is_trigger(cls) -> bool:
        return False

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The catalogue entry published to the canvas."""
        return {
            "type": cls.type,
            "version": cls.version,
            "title": cls.title,
            "category": cls.category,
            "icon": cls.icon,
            "description": cls.description,
            "config_schema": cls.config_schema,
            "input_schema": cls.input_schema,
            "output_schema": cls.output_schema,
            "inputs": [port.describe() for port in cls.inputs],
            "outputs": [port.describe() for port in cls.outputs],
            "connection_kind": cls.connection_kind,
            "side_effects": cls.side_effects,
            "batchable": cls.batchable,
            "trigger": cls.trigger_kind() if cls.is_trigger() else None,
            "option_sources": list(cls.option_sources),
            "sample_input": cls.sample_input,
        }

    @classmethod
    def trigger_kind(cls) -> str | None:
        return None


class TriggerNodeType(NodeType):
    """A node that starts runs. It has no inputs; its item is the event payload.

    ``kind`` says how events arrive: ``"manual"`` (API/"run now"), ``"webhook"``
    (:meth:`WebhookTrigger.receive`), ``"schedule"`` (cron) or ``"poll"``
    (:meth:`PollingTrigger.poll`).
    """

    kind: ClassVar[str] = "manual"
    category = "Triggers"
    inputs: ClassVar[Sequence[Port]] = ()

    @classmethod
    def is_trigger(cls) -> bool:
        return True

    @classmethod
    def trigger_kind(cls) -> str | None:
        return cls.kind

    def execute(self, context: NodeContext, item: Any) -> Any:
        """By default a trigger passes its event payload on unchanged."""
        return item


class WebhookTrigger(TriggerNodeType):
    """A trigger fed by HTTP deliveries to the workflow's webhook URL."""

    kind = "webhook"

    def receive(self, config: Mapping[str, Any], request: WebhookRequest) -> list[TriggerEvent]:
        """Check a delivery (signature, shape) and return the events in it.

        Raises:
            WebhookRejected: the delivery is refused; nothing is stored.
        """
        raise WebhookRejected("this trigger does not accept deliveries", status=404)


class PollingTrigger(TriggerNodeType):
    """A trigger that asks a remote API for new events on a schedule."""

    kind = "poll"
    #: Seconds between polls unless the config says otherwise (``config["interval"]``).
    default_interval: ClassVar[int] = 60

    def poll(self, context: NodeContext, cursor: Mapping[str, Any] | None) -> PollResult:
        """Fetch events after ``cursor`` (None on the first poll)."""
        raise NotImplementedError


@dataclass
class NodeTypeCatalogueEntry:
    """A registered node type with the app that registered it."""

    node_type: type[NodeType]
    app_label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
