"""The webhook trigger's signatures and event ids, and the HTTP node's guard, errors and retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
import responses

from connectors.sdk import PermanentError, RateLimitedError, TransientError, WebhookRejected, WebhookRequest
from connectors.sdk.registry import node_types
from connectors.sdk.signatures import sign
from connectors.sdk.testing import run_node

HOOK = node_types.get("builtin.trigger.webhook")


def delivery(body: Any, **headers: str) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest(method="POST", headers={"Content-Type": "application/json", **headers}, query={}, body=raw)


def test_signed_deliveries_are_checked() -> None:
    config = {"require_signature": True, "hmac_header": "X-Sig", "signature_prefix": "sha256=", "_secret": "s3"}
    body = json.dumps({"id": "e1"}).encode()
    good = delivery(body, **{"X-Sig": "sha256=" + sign("s3", body)})
    [event] = HOOK.receive(config, good)
    assert event.payload["body"] == {"id": "e1"}
    with pytest.raises(WebhookRejected) as bad:
        HOOK.receive(config, delivery(body, **{"X-Sig": "sha256=" + sign("other", body)}))
    assert bad.value.status == 401
    with pytest.raises(WebhookRejected, match="no signature"):
        HOOK.receive(config, delivery(body))


def test_base64_signatures() -> None:
    body = b'{"a":1}'
    config = {"require_signature": True, "hmac_header": "X-Sig", "hmac_encoding": "base64", "_secret": "k"}
    assert len(HOOK.receive(config, delivery(body, **{"X-Sig": sign("k", body, encoding="base64")}))) == 1


def test_event_keys_from_path_header_or_body_hash() -> None:
    assert HOOK.receive({"event_id_path": "source.eventId"}, delivery({"source": {"eventId": "E-9"}}))[0].key == "E-9"
    assert HOOK.receive({}, delivery({"x": 1}, **{"X-Event-Id": "H-1"}))[0].key == "H-1"
    first = HOOK.receive({}, delivery({"x": 1}))[0].key
    assert first == HOOK.receive({}, delivery({"x": 1}))[0].key and first.startswith("sha256:")
    with pytest.raises(WebhookRejected, match="no event id"):
        HOOK.receive({"event_id_path": "missing"}, delivery({"x": 1}))


def test_non_json_bodies_and_arrays() -> None:
    with pytest.raises(WebhookRejected) as caught:
        HOOK.receive({}, delivery(b"not json"))
    assert caught.value.status == 400
    events = HOOK.receive({"split_array": True, "event_id_path": "id"}, delivery([{"id": "a"}, {"id": "b"}]))
    assert [e.key for e in events] == ["a", "b"]


def test_only_safe_headers_reach_the_run() -> None:
    [event] = HOOK.receive({}, delivery({"x": 1}, Authorization="Bearer secret", Cookie="c=1"))
    assert event.payload["headers"] == {"content-type": "application/json"}


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1/x", id="loopback"),
        pytest.param("http://10.1.2.3/x", id="private"),
        pytest.param("http://169.254.169.254/latest/meta-data", id="metadata"),
        pytest.param("http://[::1]/x", id="ipv6_loopback"),
        pytest.param("http://localhost:8000/x", id="name_resolving_to_loopback"),
        pytest.param("file:///etc/passwd", id="file_scheme"),
    ],
)
def test_internal_targets_are_refused(url: str, settings: Any) -> None:
    settings.LEDGERLINE_HTTP_ALLOWED_PRIVATE = []
    with pytest.raises(PermanentError) as caught:
        run_node("builtin.http.request", {}, config={"method": "GET", "url": url})
    assert caught.value.field == "config.url"


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"echo": json.loads(body)}).encode())

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def local_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_allowed_private_targets_work(local_server: str, settings: Any) -> None:
    settings.LEDGERLINE_HTTP_ALLOWED_PRIVATE = ["127.0.0.0/8"]
    out = run_node(
        "builtin.http.request",
        {"po": 1},
        config={"method": "POST", "url": f"{local_server}/hook", "body_expression": '{"order": po}'},
    )
    assert (out["status"], out["body"]) == (201, {"echo": {"order": 1}})


PUBLIC = "https://api.example.com/orders"


@pytest.fixture
def public_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipaddress

    monkeypatch.setattr(
        "connectors.builtin.network_guard.resolve", lambda host: [ipaddress.ip_address("93.184.216.34")]
    )


@responses.activate
@pytest.mark.parametrize(
    ("status", "headers", "error", "extra"),
    [
        pytest.param(503, {}, TransientError, {}, id="server_error"),
        pytest.param(429, {"Retry-After": "7"}, RateLimitedError, {"retry_after": 7.0}, id="rate_limited"),
        pytest.param(422, {}, PermanentError, {"code": "http_422"}, id="client_error"),
    ],
)
def test_http_failures_are_classified(
    public_dns: None, status: int, headers: dict[str, str], error: type[Exception], extra: dict[str, Any]
) -> None:
    responses.add(responses.POST, PUBLIC, status=status, headers=headers, body="nope")
    with pytest.raises(error) as caught:
        run_node(
            "builtin.http.request",
            {},
            config={"method": "POST", "url": PUBLIC, "headers": [{"name": "Authorization", "value": "Bearer hidden"}]},
        )
    for attr, value in extra.items():
        assert getattr(caught.value, attr) == value
    assert "hidden" not in json.dumps(caught.value.as_dict())  # type: ignore[attr-defined]


@responses.activate
def test_http_timeouts_are_transient(public_dns: None) -> None:
    responses.add(responses.GET, PUBLIC, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="no answer"):
        run_node("builtin.http.request", {}, config={"method": "GET", "url": PUBLIC, "timeout_seconds": 1})
