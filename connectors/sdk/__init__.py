"""The node-type SDK: everything a connector needs, and nothing of the engine's internals.

Import from here::

    from connectors.sdk import NodeType, register, PermanentError
"""

from connectors.sdk.connections import AuthorizationStart, ConnectionKind, ConnectionTestResult
from connectors.sdk.context import ConnectionHandle, NodeContext, StateStore
from connectors.sdk.errors import (
    CredentialError,
    FailureKind,
    NodeError,
    PermanentError,
    RateLimitedError,
    ReviewRequired,
    TransientError,
    WebhookRejected,
)
from connectors.sdk.nodes import (
    EMPTY_CONFIG,
    FanOut,
    NodeType,
    PollingTrigger,
    PollResult,
    Port,
    RetryPolicy,
    Route,
    TriggerEvent,
    TriggerNodeType,
    WebhookRequest,
    WebhookTrigger,
)
from connectors.sdk.registry import AlreadyRegistered, NotRegistered, connection_kinds, node_types, register

__all__ = [
    "EMPTY_CONFIG",
    "AlreadyRegistered",
    "AuthorizationStart",
    "ConnectionHandle",
    "ConnectionKind",
    "ConnectionTestResult",
    "CredentialError",
    "FailureKind",
    "FanOut",
    "NodeContext",
    "NodeError",
    "NodeType",
    "NotRegistered",
    "PermanentError",
    "PollResult",
    "PollingTrigger",
    "Port",
    "RateLimitedError",
    "RetryPolicy",
    "ReviewRequired",
    "Route",
    "StateStore",
    "TransientError",
    "TriggerEvent",
    "TriggerNodeType",
    "WebhookRejected",
    "WebhookRequest",
    "WebhookTrigger",
    "connection_kinds",
    "node_types",
    "register",
]
