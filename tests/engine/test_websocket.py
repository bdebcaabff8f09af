"""Live run events over websockets, with replay of what a reconnecting client missed."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from engine.services import start_run
from ledgerline.asgi import application
from tests.fixtures.engine import InlineEngine
from tests.support.flows import chain, manual, node

HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1:8000")]


def communicator(path: str, token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, f"{path}&token={token}" if "?" in path else f"{path}?token={token}", headers=HEADERS
    )


async def receive_all(ws: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
    return [await ws.receive_json_from(timeout=5) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
async def test_reconnecting_client_gets_what_it_missed_then_live_events(user: Any, make_workflow: Any) -> None:
    inline = InlineEngine()
    token = (await sync_to_async(Token.objects.create)(user=user)).key
    workflow = await sync_to_async(make_workflow)(chain(manual(), node("one", "test.count")))

    from engine.dispatch import replace_sender

    with replace_sender(inline.record):
        run, _ = await sync_to_async(start_run)(
            workflow_version=await sync_to_async(workflow.latest_version)(), input={}
        )
        ws = communicator(f"/ws/runs/{run.pk}/?after=0", token)
        connected, _ = await ws.connect()
        assert connected
        backlog = await receive_all(ws, 1)
        assert [(e["seq"], e["type"]) for e in backlog] == [(1, "run.created")]

        await sync_to_async(inline.drive)(run)
        live = await receive_all(ws, 6)
        assert [e["type"] for e in live] == [
            "run.started",
            "node.started",
            "node.succeeded",
            "node.started",
            "node.succeeded",
            "run.succeeded",
        ]
        assert [e["seq"] for e in live] == [2, 3, 4, 5, 6, 7]
        await ws.disconnect()

    again = communicator(f"/ws/runs/{run.pk}/?after=4", token)
    assert (await again.connect())[0]
    replayed = await receive_all(again, 3)
    assert [e["seq"] for e in replayed] == [5, 6, 7]
    assert replayed[-1]["type"] == "run.succeeded" and replayed[-1]["run_id"] == str(run.pk)
    assert await again.receive_nothing(timeout=0.2)
    await again.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_workflow_stream_and_refusals(user: Any, make_workflow: Any) -> None:
    token = (await sync_to_async(Token.objects.create)(user=user)).key
    workflow = await sync_to_async(make_workflow)(chain(manual(), node("one", "test.count")))

    unauthenticated = WebsocketCommunicator(application, f"/ws/workflows/{workflow.pk}/", headers=HEADERS)
    connected, code = await unauthenticated.connect()
    assert (connected, code) == (False, 4403)

    ws = communicator(f"/ws/workflows/{workflow.pk}/", token)
    assert (await ws.connect())[0]
    inline = InlineEngine()
    from engine.dispatch import replace_sender

    with replace_sender(inline.record):
        run, _ = await sync_to_async(start_run)(
            workflow_version=await sync_to_async(workflow.latest_version)(), input={}
        )
        await sync_to_async(inline.drive)(run)
    events = await receive_all(ws, 7)
    assert events[0]["type"] == "run.created" and events[-1]["type"] == "run.succeeded"
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    await ws.disconnect()
