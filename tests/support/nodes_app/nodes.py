"""Test node types. Each records its executions in a file, so every process's executions count."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from connectors.sdk import (
    ConnectionKind,
    FanOut,
    NodeType,
    PermanentError,
    PollingTrigger,
    PollResult,
    Port,
    RateLimitedError,
    RetryPolicy,
    TransientError,
    TriggerEvent,
    WebhookRejected,
    WebhookRequest,
    WebhookTrigger,
    connection_kinds,
    register,
)
from connectors.sdk.throttle import Limit


def _record(path: str | None, line: str) -> None:
    if path:
        with Path(path).open("a") as handle:
            handle.write(line + "\n")


@register
class CountNode(NodeType):
    """Passes the item on, appending ``<node id> <attempt>`` to ``config.log_file``."""

    type = "test.count"
    title = "Count executions"
    category = "Test"
    config_schema = {"type": "object", "properties": {"log_file": {"type": "string"}}}

    def execute(self, context: Any, item: Any) -> Any:
        _record(context.config.get("log_file"), f"{context.node_id} {context.attempt}")
        return item


@register
class GateNode(NodeType):
    """Blocks until ``config.open_file`` exists (at most ``timeout`` seconds), then passes the item on."""

    type = "test.gate"
    title = "Gate"
    category = "Test"
    #: It waits on something outside the run, like a remote call does.
    side_effects = True
    config_schema = {
        "type": "object",
        "required": ["open_file"],
        "properties": {
            "open_file": {"type": "string"},
            "started_file": {"type": "string"},
            "timeout": {"type": "number"},
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        _record(context.config.get("started_file"), f"{context.node_id} {context.attempt}")
        deadline = time.monotonic() + float(context.config.get("timeout", 60))
        while not Path(context.config["open_file"]).exists():
            if time.monotonic() > deadline:
                raise TransientError("the gate stayed closed")
            time.sleep(0.05)
        return item


@register
class FlakyNode(NodeType):
    """Fails with ``config.failure`` on the first ``config.failures`` attempts, then succeeds."""

    type = "test.flaky"
    title = "Flaky"
    category = "Test"
    retry = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=1.0)
    config_schema = {
        "type": "object",
        "properties": {
            "failures": {"type": "integer", "minimum": 0},
            "failure": {"enum": ["transient", "rate_limited", "permanent"]},
            "retry_after": {"type": "number"},
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        if context.attempt <= int(context.config.get("failures", 0)):
            failure = context.config.get("failure", "transient")
            if failure == "rate_limited":
                raise RateLimitedError("slow down", retry_after=context.config.get("retry_after"))
            if failure == "permanent":
                raise PermanentError("the item is wrong", field="input.sku", details={"sku": "unknown"})
            raise TransientError(f"attempt {context.attempt} failed")
        return {"attempt": context.attempt, "item": item}


@register
class TwoInputNode(NodeType):
    """Returns what it received on its two input ports."""

    type = "test.join"
    title = "Join"
    category = "Test"
    inputs = (Port("left"), Port("right", required=False))

    def execute(self, context: Any, item: Any) -> Any:
        return item


@register
class FilePollTrigger(PollingTrigger):
    """Emits the events listed in ``config.source`` (a JSON file) after the cursor's position."""

    type = "test.poll"
    title = "Poll a file"
    config_schema = {
        "type": "object",
        "required": ["source"],
        "properties": {"source": {"type": "string"}, "page": {"type": "integer"}, "interval": {"type": "integer"}},
    }

    def poll(self, context: Any, cursor: Any) -> PollResult:
        events = json.loads(Path(context.config["source"]).read_text())
        position = (cursor or {}).get("position", 0)
        page = events[position : position + int(context.config.get("page", 100))]
        if any(event.get("explode") for event in page):
            raise TransientError("the source is down")
        new_position = position + len(page)
        return PollResult(
            events=[TriggerEvent(key=event["id"], payload=event) for event in page],
            cursor={"position": new_position},
            more=new_position < len(events),
        )


@register
class EchoWebhook(WebhookTrigger):
    """Accepts JSON bodies with an ``id``; refuses a wrong ``X-Test-Secret``."""

    type = "test.webhook"
    title = "Test webhook"

    def receive(self, config: Any, request: WebhookRequest) -> list[TriggerEvent]:
        if request.header("X-Test-Secret") != config["_secret"]:
            raise WebhookRejected("bad secret", status=401)
        body = json.loads(request.body)
        return [TriggerEvent(key=str(body["id"]), payload=body)]


@register
class SplitNode(NodeType):
    """Fans out ``item["items"]``, keyed by each element's ``id``."""

    type = "test.split"
    title = "Split"
    category = "Test"

    def execute(self, context: Any, item: Any) -> Any:
        return FanOut(items=item["items"], keys=[str(element["id"]) for element in item["items"]])


@register
class LedgerNode(NodeType):
    """Creates ``item["ref"]`` in a file-backed "remote" once, through the effect ledger.

    ``config.crash_after_call`` raises after the remote call and before recording,
    like a worker dying between the two.
    """

    type = "test.ledger"
    title = "Ledger effect"
    category = "Test"
    side_effects = True
    config_schema = {
        "type": "object",
        "required": ["remote"],
        "properties": {
            "remote": {"type": "string"},
            "crash_after_call": {"type": "boolean"},
            "reject": {"type": "string", "description": "a ref the remote refuses"},
        },
    }

    def execute(self, context: Any, item: Any) -> Any:
        if item["ref"] == context.config.get("reject"):
            raise PermanentError(f"the remote refuses {item['ref']!r}", field="input.ref")
        remote = Path(context.config["remote"])
        effect = context.effect("record", item["ref"])
        if effect.previous is not None:
            return effect.previous
        existing = [line for line in remote.read_text().splitlines() if line == item["ref"]] if remote.exists() else []
        if effect.uncertain and existing:
            found = {"ref": item["ref"], "reconciled": True}
            effect.record(found, remote_id=item["ref"])
            return found
        with remote.open("a") as handle:
            handle.write(item["ref"] + "\n")
        if context.config.get("crash_after_call") and context.attempt == 1:
            raise TransientError("worker died after the remote call")
        created = {"ref": item["ref"], "reconciled": False}
        effect.record(created, remote_id=item["ref"])
        return created


@register
class BatchRecordNode(NodeType):
    """Batchable: appends one line per batch (its size) to ``config.calls_file``; refuses ``item["bad"]``."""

    type = "test.batch"
    title = "Batch record"
    category = "Test"
    side_effects = True
    batchable = True
    batch_size = 3
    config_schema = {
        "type": "object",
        "required": ["calls_file"],
        "properties": {
            "calls_file": {"type": "string"},
            "fail_all": {"type": "boolean"},
            "rate_limited_until_file": {"type": "string", "description": "429 for the whole batch until it exists"},
        },
    }

    def execute_batch(self, calls: Any) -> list[Any]:
        config = calls[0][0].config
        _record(config["calls_file"], str(len(calls)))
        if config.get("fail_all") and calls[0][0].attempt == 1:
            raise TransientError("the remote is down")
        if config.get("rate_limited_until_file"):
            marker = Path(config["rate_limited_until_file"])
            if not marker.exists():
                marker.touch()
                raise RateLimitedError("the remote's budget is spent", retry_after=1.0)
        results: list[Any] = []
        for context, item in calls:
            if item.get("bad"):
                results.append(PermanentError(f"{item['ref']} is invalid", field="input.ref"))
            else:
                results.append({"ref": item["ref"], "run": context.run_id})
        return results


class LimitedKind(ConnectionKind):
    """A connection kind allowing two calls a minute."""

    kind = "test.limited"
    title = "Limited"
    rate_limits = (Limit("minute", 2, 60.0),)


connection_kinds.register(LimitedKind)


@register
class LimitedCallNode(NodeType):
    """Makes one "remote call" through the connection's shared call slot."""

    type = "test.limited_call"
    title = "Limited call"
    category = "Test"
    connection_kind = "test.limited"
    config_schema = {"type": "object", "properties": {"connection": {"type": "string", "format": "connection"}}}

    def execute(self, context: Any, item: Any) -> Any:
        with context.connection().call_slot():
            return {"called": True}
