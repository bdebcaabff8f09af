"""The lean hot path: events published together, fewer round trips, the webhook ack path."""

from __future__ import annotations

import asyncio
from typing import Any

from engine import events


class RecordingLayer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


def event(event_id: int, run: str, seq: int, workflow: str = "w") -> dict[str, Any]:
    return {"id": event_id, "seq": seq, "run_id": run, "workflow_id": workflow, "type": "node.succeeded"}


def test_events_committed_together_go_as_one_send_per_group_in_order() -> None:
    layer = RecordingLayer()
    messages = [event(3, "a", 2), event(1, "a", 1), event(2, "b", 1)]
    asyncio.run(events._send_all(layer, messages))
    by_group = dict(layer.sent)
    assert len(layer.sent) == 3  # run a, run b, the workflow: not one send per event and group
    assert by_group["run.a"] == {"type": "run.events", "events": [event(1, "a", 1), event(3, "a", 2)]}
    assert by_group["run.b"] == {"type": "run.event", "event": event(2, "b", 1)}
    assert [e["id"] for e in by_group["workflow.w"]["events"]] == [1, 2, 3]
