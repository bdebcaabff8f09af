"""The webhook ingress: deliveries stored in groups, each answered with its own outcome after the commit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import connection

from connectors.sdk.nodes import WebhookRequest
from engine import ingress
from engine.dispatch import replace_sender
from engine.ingress import Answer, Delivery, GroupWriter, WebhookIngress, store_deliveries
from engine.models import Run, RunEvent, WebhookEndpoint
from engine.webhooks import webhook_secret
from tests.fixtures.engine import wait_for
from tests.support.flows import chain, node

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """What was enqueued to the workers, in order: a run's id, or ``"due"`` for a nudge."""
    runs: list[str] = []
    with replace_sender(lambda kind, argument, delay: runs.append(argument if kind == "run" else kind)):
        yield runs


def hook(make_workflow: Any, *, active: bool = True, name: str = "Flow") -> tuple[str, str]:
    """A webhook workflow's token and secret."""
    workflow = make_workflow(chain(node("hook", "test.webhook"), node("one", "test.count")), name=name, active=active)
    endpoint = WebhookEndpoint.objects.get(workflow=workflow, node_id="hook")
    return endpoint.token, webhook_secret(endpoint)


def delivery(token: str, secret: str, body: Any, **headers: str) -> Delivery:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = WebhookRequest("POST", {"Content-Type": "application/json", "X-Test-Secret": secret, **headers}, {}, raw)
    return Delivery(token, request)


def test_one_group_keeps_each_deliverys_outcome(make_workflow: Any, sent: list[str]) -> None:
    token, secret = hook(make_workflow)
    paused, paused_secret = hook(make_workflow, active=False, name="Paused")
    first = store_deliveries([delivery(token, secret, {"id": 7})])
    first.dispatch()
    (earlier,) = first.answers
    assert earlier.status == 202 and sent == earlier.body["runs"]
    sent.clear()

    stored = store_deliveries(
        [
            delivery(token, secret, {"id": 1}),
            delivery(token, secret, {"id": 2}),
            delivery(token, secret, {"id": 1}),  # the same event twice in one group
            delivery(token, secret, {"id": 7}),  # an event stored by an earlier group
            delivery(token, "wrong", {"id": 3}),
            delivery("no-such-token", secret, {"id": 4}),
            delivery(paused, paused_secret, {"id": 5}),
            delivery(token, secret, b"{not json"),
        ]
    )
    assert sent == []  # enqueued by dispatch(), once the caller has answered
    stored.dispatch()
    answers, messages = stored.answers, stored.messages

    assert [a.status for a in answers] == [202, 202, 202, 202, 401, 404, 409, 400]
    one, two, one_again, seven = (a.body for a in answers[:4])
    assert one["duplicates"] == 0 and two["duplicates"] == 0
    assert one_again == {"runs": one["runs"], "duplicates": 1}
    assert seven == {"runs": earlier.body["runs"], "duplicates": 1}
    assert answers[6].body == {"detail": "the workflow is paused; deliver again later"}
    # Only the new runs exist, each with its first event; the group's two are announced by one nudge.
    created = [one["runs"][0], two["runs"][0]]
    assert sent == ["due"]
    assert Run.objects.count() == 3
    for run_id, key in zip(created, ["1", "2"], strict=True):
        run = Run.objects.get(pk=run_id)
        assert (run.event_key, run.input, run.status, run.last_seq, run.triggered_by) == (
            key,
            {"id": int(key)},
            "pending",
            1,
            "webhook",
        )
        assert list(run.events.values_list("seq", "type", "payload")) == [
            (1, "run.created", {"trigger_node_id": "hook", "version": 1})
        ]
    # The live events to publish are the stored ones, as the websocket streams them.
    from engine.events import serialize_event

    stored = [serialize_event(e) for e in RunEvent.objects.filter(run_id__in=created).order_by("id")]
    assert messages == stored


def test_a_delivery_the_database_refuses_fails_alone(
    make_workflow: Any, sent: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    token, secret = hook(make_workflow)
    # PostgreSQL's jsonb cannot hold U+0000: the group's statement fails, each delivery is stored on its own.
    stored = store_deliveries(
        [
            delivery(token, secret, {"id": 1}),
            delivery(token, secret, {"id": 2, "note": "nul \u0000 here"}, Authorization="Bearer top-secret"),
            delivery(token, secret, {"id": 3}),
        ]
    )
    stored.dispatch()
    answers = stored.answers
    assert [a.status for a in answers] == [202, 500, 202]
    assert sorted(Run.objects.values_list("event_key", flat=True)) == ["1", "3"]
    assert sent == [answers[0].body["runs"][0], answers[2].body["runs"][0]]
    assert token not in caplog.text and secret not in caplog.text and "top-secret" not in caplog.text


def test_deliveries_arriving_while_the_writer_is_busy_are_stored_as_one_group(
    make_workflow: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, secret = hook(make_workflow)
    groups: list[int] = []
    real = ingress.store_deliveries

    def recording(deliveries: Any) -> Any:
        groups.append(len(deliveries))
        return real(deliveries)

    monkeypatch.setattr(ingress, "store_deliveries", recording)
    busy, release = threading.Event(), threading.Event()
    answers: dict[int, Answer] = {}
    committed: list[bool] = []
    done = threading.Event()

    def answer_for(index: int) -> Any:
        def answer(result: Answer) -> None:
            answers[index] = result
            if index == 0:  # the first answer holds the writer up
                busy.set()
                assert release.wait(10)
            if len(answers) == 10:
                done.set()

        return answer

    enqueued: list[str] = []
    writer = GroupWriter()
    try:
        with replace_sender(lambda kind, argument, delay: enqueued.append(argument if kind == "run" else kind)):
            writer.submit(delivery(token, secret, {"id": 0}), answer_for(0))
            assert busy.wait(10)
            # Being answered, its run is committed (this test reads through a connection of its own).
            committed.append(Run.objects.filter(pk=answers[0].body["runs"][0]).exists())
            for index in range(1, 10):
                writer.submit(delivery(token, secret, {"id": 1 + index % 5}), answer_for(index))
            release.set()
            assert done.wait(10)
            # The first group's run by its id; the five new runs of the second by one nudge.
            wait_for(lambda: len(enqueued) == 2, timeout=10, message="the new runs to be enqueued")
    finally:
        writer.stop()
    assert committed == [True]
    assert groups == [1, 9]
    assert {i: a.status for i, a in answers.items()} == dict.fromkeys(range(10), 202)
    by_key: dict[int, list[str]] = {}
    for index in range(1, 10):
        by_key.setdefault(1 + index % 5, []).append(answers[index].body["runs"][0])
    assert all(len(set(ids)) == 1 for ids in by_key.values())  # a repeated event got the first run
    assert sum(answers[i].body["duplicates"] for i in range(1, 10)) == 4
    assert Run.objects.count() == 6 and enqueued == [answers[0].body["runs"][0], "due"]


def _scope(path: str, *, method: str = "POST", host: bytes = b"127.0.0.1", headers: Any = ()) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"src=shop&src=test",
        "headers": [(b"host", host), (b"content-type", b"application/json"), *headers],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


class Inner:
    """The application behind the ingress (Django in production): records what reaches it."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str, bytes]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.paths.append((scope["method"], scope["path"], body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})


async def _post(app: Any, scope: dict[str, Any], *chunks: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    communicator = ApplicationCommunicator(app, scope)
    for index, chunk in enumerate(chunks):
        await communicator.send_input({"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1})
    start = await communicator.receive_output(timeout=10)
    body = await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=5)
    return start["status"], dict(start["headers"]), body["body"]


async def test_the_ingress_answers_once_the_runs_are_committed(make_workflow: Any, sent: list[str]) -> None:
    token, secret = await sync_to_async(hook)(make_workflow)
    inner, writer = Inner(), GroupWriter()
    app = WebhookIngress(inner, group_writer=writer)
    signed = [(b"x-test-secret", secret.encode()), (b"x-test-secret", b"")]  # a repeated header is joined
    try:
        status, headers, body = await _post(
            app, _scope(f"/hooks/{token}/", headers=signed[:1]), b'{"id": ', b'11, "x": 1}'
        )
        assert status == 202 and headers[b"content-type"] == b"application/json"
        assert headers[b"x-content-type-options"] == b"nosniff"
        answer = json.loads(body)
        # Read through this test's own connection: the writer's transaction had committed.
        run = await sync_to_async(Run.objects.get)(pk=answer["runs"][0])
        assert run.input == {"id": 11, "x": 1} and sent == [answer["runs"][0]]
        again = await _post(app, _scope(f"/hooks/{token}/", headers=signed[:1]), b'{"id": 11}')
        assert json.loads(again[2]) == {"runs": answer["runs"], "duplicates": 1}
        refused = await _post(app, _scope(f"/hooks/{token}/", headers=signed), b'{"id": 12}')
        assert refused[0] == 401  # "secret," is not the secret
        assert (await _post(app, _scope("/hooks/nope/", method="PUT"), b"{}"))[0] == 404
    finally:
        await sync_to_async(writer.stop)()
    assert inner.paths == []

    # Everything else, and what Django must judge itself, goes to the application behind.
    passed = [
        _scope(f"/hooks/{token}/", method="GET"),
        _scope(f"/hooks/{token}", headers=signed[:1]),
        _scope(f"/hooks/{token}/extra/", headers=signed[:1]),
        _scope("/api/runs/"),
        _scope(f"/hooks/{token}/", host=b"evil.example", headers=signed[:1]),
    ]
    for scope in passed:
        assert (await _post(app, scope, b'{"id": 13}'))[0] == 299
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    huge = b'{"id": 14, "x": "' + b"a" * limit + b'"}'
    assert (await _post(app, _scope(f"/hooks/{token}/", headers=signed[:1]), huge[:100], huge[100:]))[0] == 299
    assert inner.paths[-1] == ("POST", f"/hooks/{token}/", huge)  # the body read so far is handed on whole
    assert len(inner.paths) == 6
    assert await sync_to_async(Run.objects.count)() == 1


def test_uvicorn_serves_webhooks_and_live_events(make_workflow: Any, user: Any, broker: Any) -> None:
    """The scale-out web server: a delivery answered after its commit, its event on the workflow's websocket."""
    if connection.vendor != "postgresql" or not os.environ.get("CHANNEL_LAYER_URL", "").startswith("redis"):
        pytest.skip("needs PostgreSQL and a Redis channel layer shared with the server (make test sets them)")
    import requests
    from rest_framework.authtoken.models import Token
    from websockets.sync.client import connect

    from engine.events import serialize_event
    from tests.browser.conftest import free_port
    from tests.engine.test_workers import worker_env

    token, secret = hook(make_workflow)
    workflow_id = WebhookEndpoint.objects.get(token=token).workflow_id
    api_token = Token.objects.create(user=user).key
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "uvicorn"), "--host", "127.0.0.1", "--port", str(port)),
            *("--http", "httptools", "--ws", "websockets-sansio", "--lifespan", "off", "ledgerline.asgi:application"),
        ],
        cwd=ROOT,
        env=worker_env(LEDGERLINE_EMBEDDED_WORKER="0", LEDGERLINE_PUBLIC_URL=base),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def up() -> bool:
            assert server.poll() is None, "uvicorn exited"
            try:
                return requests.get(f"{base}/api/node-types/", timeout=2).status_code == 401
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=60, message="uvicorn to answer")
        url = f"ws://127.0.0.1:{port}/ws/workflows/{workflow_id}/?token={api_token}"
        with connect(url, origin=base, open_timeout=10) as ws:  # type: ignore[arg-type]
            answer = requests.post(
                f"{base}/hooks/{token}/", json={"id": 21}, headers={"X-Test-Secret": secret}, timeout=10
            )
            assert answer.status_code == 202
            run_id = answer.json()["runs"][0]
            event = RunEvent.objects.get(run_id=run_id)  # committed before the answer
            assert json.loads(ws.recv(timeout=10)) == serialize_event(event)
        again = requests.post(f"{base}/hooks/{token}/", json={"id": 21}, headers={"X-Test-Secret": secret}, timeout=10)
        assert again.json() == {"runs": [run_id], "duplicates": 1}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
