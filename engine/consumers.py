"""Websocket streams of run events, with replay of what a reconnecting client missed."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from engine.events import serialize_event, workflow_group
from engine.models import Run, RunEvent
from orgs.services import organization_for

#: Events sent at most on (re)connect; a client further behind reads the events API.
BACKLOG_LIMIT = 2000


class _EventStream(AsyncJsonWebsocketConsumer):
    """Accept, join the group, then send the stored backlog after the client's cursor.

    Joining the group before reading the backlog means no event falls between
    the two; an event that arrives both ways is de-duplicated by the client
    (by ``id``) and by this consumer (by its cursor).
    """

    group: str
    cursor: int

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await self.allowed(user):
            await self.close(code=4403)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.cursor = int((query.get("after") or ["0"])[0])
        except ValueError:
            self.cursor = 0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for event in await self.backlog():
            await self.forward(event)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def run_event(self, message: dict[str, Any]) -> None:
        await self.forward(message["event"])

    async def run_events(self, message: dict[str, Any]) -> None:
        """Several events of one commit (or of commits published together), in order."""
        for event in message["events"]:
            await self.forward(event)

    async def forward(self, event: dict[str, Any]) -> None:
        position = self.position(event)
        if position <= self.cursor:
            return
        self.cursor = position
        await self.send_json(event)

    def position(self, event: dict[str, Any]) -> int:
        raise NotImplementedError

    async def allowed(self, user: Any) -> bool:
        raise NotImplementedError

    async def backlog(self) -> list[dict[str, Any]]:
        raise NotImplementedError


class RunEventsConsumer(_EventStream):
    """``ws/runs/<run_id>/?after=<seq>``

    Listens on its run's workflow group and keeps its run's events: events
    are published once per workflow, not once more per run, so a commit of
    many runs costs one send however many runs it carries, and the cost of
    filtering falls on the streams somebody is watching.
    """

    async def connect(self) -> None:
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        self.group = ""
        await super().connect()

    async def forward(self, event: dict[str, Any]) -> None:
        if event["run_id"] == self.run_id:
            await super().forward(event)

    def position(self, event: dict[str, Any]) -> int:
        return int(event["seq"])

    @database_sync_to_async
    def allowed(self, user: Any) -> bool:
        workflow_id = (
            Run.objects.filter(pk=self.run_id, workflow__organization=organization_for(user))
            .values_list("workflow_id", flat=True)
            .first()
        )
        if workflow_id is None:
            return False
        self.group = workflow_group(workflow_id)
        return True

    @database_sync_to_async
    def backlog(self) -> list[dict[str, Any]]:
        events = RunEvent.objects.filter(run_id=self.run_id, seq__gt=self.cursor).order_by("seq")[:BACKLOG_LIMIT]
        return [serialize_event(event) for event in events]


class WorkflowEventsConsumer(_EventStream):
    """``ws/workflows/<workflow_id>/?after=<event id>``: every run of one workflow."""

    async def connect(self) -> None:
        self.workflow_id = str(self.scope["url_route"]["kwargs"]["workflow_id"])
        self.group = workflow_group(self.workflow_id)
        await super().connect()

    def position(self, event: dict[str, Any]) -> int:
        return int(event["id"])

    @database_sync_to_async
    def allowed(self, user: Any) -> bool:
        model = Run._meta.get_field("workflow").related_model
        return bool(model.objects.filter(pk=self.workflow_id, organization=organization_for(user)).exists())  # type: ignore[union-attr]

    @database_sync_to_async
    def backlog(self) -> list[dict[str, Any]]:
        if self.cursor == 0:
            return []  # a fresh client wants what happens from now on
        events = RunEvent.objects.filter(workflow_id=self.workflow_id, id__gt=self.cursor).order_by("id")[
            :BACKLOG_LIMIT
        ]
        return [serialize_event(event) for event in events]
