"""The embedded mode end to end: ``bootstrap`` + ``serve`` on SQLite, the stub broker and
the in-memory channel layer, driven only through HTTP and a websocket with the printed token."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.sync.client import connect

from tests.fixtures.engine import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "BROKER_URL", "CHANNEL_LAYER_URL"))
    }
    env.update(
        LEDGERLINE_DATA_DIR=str(data_dir),
        LEDGERLINE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        LEDGERLINE_SANDBOX_URL=f"http://127.0.0.1:{free_port()}",
        LEDGERLINE_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("embedded")
    port = free_port()
    env = embedded_env(data_dir, port)
    boot = subprocess.run(
        [sys.executable, "manage.py", "bootstrap", "--username", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    token = re.search(r"API token: (\w+)", boot.stdout)
    assert token, boot.stdout
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{base}/api/node-types/", timeout=1).status_code == 401
        except requests.ConnectionError:
            return False

    try:
        wait_for(up, timeout=60, message="the embedded server to answer")
        yield {"base": base, "port": port, "token": token.group(1), "bootstrap": boot.stdout}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()


def test_bootstrap_prints_the_login_once(embedded_server: dict[str, Any], tmp_path: Path) -> None:
    assert "password:" in embedded_server["bootstrap"]
    assert "Loaded" in embedded_server["bootstrap"]


def test_a_workflow_runs_end_to_end_with_the_printed_token(embedded_server: dict[str, Any]) -> None:
    base, token = embedded_server["base"], embedded_server["token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Token {token}"
    document = {
        "schema": 1,
        "nodes": [
            {"id": "start", "type": "builtin.trigger.manual", "config": {}},
            {"id": "total", "type": "builtin.map", "config": {"expression": '{"total": $sum(lines.amount)}'}},
            {"id": "big", "type": "builtin.branch", "config": {"condition": "total > 100"}},
            {"id": "log_big", "type": "builtin.debug", "config": {"label": "big"}},
            {"id": "log_small", "type": "builtin.debug", "config": {"label": "small"}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "total"},
            {"id": "e2", "source": "total", "target": "big"},
            {"id": "e3", "source": "big", "source_port": "true", "target": "log_big"},
            {"id": "e4", "source": "big", "source_port": "false", "target": "log_small"},
        ],
    }
    created = http.post(f"{base}/api/workflows/", json={"name": "Smoke", "document": document}, timeout=10)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]

    run = http.post(
        f"{base}/api/workflows/{workflow_id}/runs/",
        json={"input": {"lines": [{"amount": 70}, {"amount": 50}]}},
        timeout=10,
    )
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]

    seen: list[dict[str, Any]] = []
    with connect(
        f"ws://127.0.0.1:{embedded_server['port']}/ws/runs/{run_id}/?after=0&token={token}", origin=base
    ) as ws:
        while not seen or not seen[-1]["type"].startswith("run.") or seen[-1]["type"] in {"run.created", "run.started"}:
            seen.append(json.loads(ws.recv(timeout=30)))
    assert seen[-1]["type"] == "run.succeeded"
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))

    detail = http.get(f"{base}/api/runs/{run_id}/", timeout=10).json()
    statuses = {n["node_id"]: n["status"] for n in detail["node_runs"]}
    assert statuses == {
        "start": "succeeded",
        "total": "succeeded",
        "big": "succeeded",
        "log_big": "succeeded",
        "log_small": "skipped",
    }
    outputs = {n["node_id"]: n["output"] for n in detail["node_runs"]}
    assert outputs["total"] == {"out": {"total": 120}}
    assert outputs["big"] == {"true": {"total": 120}}


def test_templates_are_loaded(embedded_server: dict[str, Any]) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Token {embedded_server['token']}"
    names = [t["name"] for t in http.get(f"{embedded_server['base']}/api/templates/", timeout=10).json()["results"]]
    assert "Order triage (built-in nodes)" in names


def test_the_demo_walmart_connection_reaches_its_sandbox(embedded_server: dict[str, Any]) -> None:
    """Walmart's headers have underscores; the sandboxes' own server keeps them (daphne drops them)."""
    http = requests.Session()
    http.headers["Authorization"] = f"Token {embedded_server['token']}"
    connections = http.get(f"{embedded_server['base']}/api/connections/", timeout=10).json()["results"]
    (walmart,) = [c for c in connections if c["kind"] == "walmart"]
    tested = http.post(f"{embedded_server['base']}/api/connections/{walmart['id']}/test/", timeout=30)
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True, tested.json()
