"""The web app in a real browser: the ASGI server (HTTP and websockets) and a Dramatiq worker
process on the test database, the templates and the sandboxes' demo data loaded as ``make run``
loads them, and Debian's Chromium driven by Playwright.

One server and one worker serve the whole package (starting them takes seconds); each test gets
a fresh browser context, logged in as the admin. What the tests commit is flushed at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection, connections

from tests.fixtures.engine import wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUNDLE_INDEX = ROOT / "frontend" / "static" / "frontend" / "index.html"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "browser-tests-password-1"
#: Playwright's expect() and actions wait up to this long (milliseconds).
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_bundle() -> None:
    """The built web app: build it when the sources and node_modules are there, else skip."""
    if BUNDLE_INDEX.exists():
        return
    if not (ROOT / "frontend" / "node_modules").is_dir() or shutil.which("npm") is None:
        pytest.skip("the web app is not built and cannot be: run `make frontend` (npm ci && npm run build)")
    subprocess.run(["npm", "run", "build", "--silent"], cwd=ROOT / "frontend", check=True, timeout=300)


def _server_env(base: str, port: int, sandbox_url: str) -> dict[str, str]:
    from tests.engine.test_workers import worker_env

    return worker_env(
        LEDGERLINE_PUBLIC_URL=base,
        LEDGERLINE_SANDBOX_URL=sandbox_url,
        LEDGERLINE_CSRF_TRUSTED_ORIGINS=f"{base},http://localhost:{port}",
        LEDGERLINE_EMBEDDED_WORKER="0",
    )


def http_answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return False
    return True


def _kill(process: subprocess.Popen[bytes]) -> None:
    # The whole group: dramatiq's worker processes outlive a killed parent.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _load_demo(base: str, sandbox_url: str) -> None:
    """What ``make run`` loads (templates, demo workflows, demo connections, the admin), with the
    demo Xero connection authorised through the sandbox's consent page."""
    from django.core.management import call_command
    from django.test import override_settings

    from connectors.sdk.handles import StoredConnection
    from connectors.sdk.models import Connection
    from tests.connectors.xero.conftest import authorise

    with override_settings(LEDGERLINE_PUBLIC_URL=base, LEDGERLINE_SANDBOX_URL=sandbox_url):
        call_command("bootstrap", "--username", ADMIN_USER, "--password", ADMIN_PASSWORD, "--quiet")
    for xero in Connection.objects.filter(kind="xero"):
        authorise(StoredConnection(xero))
        StoredConnection(xero).set_status(Connection.Status.CONNECTED)


def _ensure_test_database(django_db_blocker: Any) -> Any:
    """pytest-django creates the test database only when a selected test asks for ``db``; the browser
    tests share it with the server instead, so when they run alone they create it here (and drop it)."""
    if str(connection.settings_dict["NAME"]).startswith("test_"):
        return None
    from django.test.utils import setup_databases

    with django_db_blocker.unblock():
        return setup_databases(verbosity=0, interactive=False, aliases={"default"})


@pytest.fixture(scope="package")
def live_app(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the ASGI server (daphne) plus a worker process, on the test database."""
    if settings.BROKER_URL.startswith("stub:"):
        pytest.skip("the browser tests need BROKER_URL=redis://… and PostgreSQL (make test sets them)")
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("the browser tests need a server database shared with the server (make test: PostgreSQL)")
    _ensure_bundle()
    own_database = _ensure_test_database(django_db_blocker)
    import dramatiq

    import engine.tasks  # noqa: F401  (declares the actors on the broker)

    broker = dramatiq.get_broker()
    broker.flush_all()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox_url = f"http://127.0.0.1:{free_port()}"
    env = _server_env(base, port, sandbox_url)
    logs = tmp_path_factory.mktemp("live_app")
    started: list[subprocess.Popen[bytes]] = []
    try:
        with django_db_blocker.unblock():
            for args, name in (
                ([sys.executable, "-m", "tests.browser.asgi_server", "--port", str(port)], "server"),
                (
                    [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4"],
                    "worker",
                ),
            ):
                with (logs / f"{name}.log").open("wb") as log:
                    started.append(
                        subprocess.Popen(
                            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                        )
                    )

            def up() -> bool:
                if started[0].poll() is not None:
                    raise AssertionError(f"the server exited: {(logs / 'server.log').read_text()[-2000:]}")
                try:
                    return requests.get(f"{base}/api/node-types/", timeout=2).status_code == 401
                except requests.ConnectionError:
                    return False

            wait_for(up, timeout=90, message="the ASGI server to answer")
            wait_for(lambda: http_answers(f"{sandbox_url}/sandbox/xero/"), timeout=30, message="the sandbox server")
            _load_demo(base, sandbox_url)
        yield base
    finally:
        for process in started:
            _kill(process)
        broker.flush_all()
        with django_db_blocker.unblock():
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
            if own_database is not None:
                from django.test.utils import teardown_databases

                connections.close_all()
                teardown_databases(own_database, verbosity=0)


@pytest.fixture(scope="package")
def artifacts_dir() -> Path:
    """Screenshots and traces of the browser tests (test-artifacts/ is ignored by git)."""
    path = ROOT / "test-artifacts" / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="package")
def chromium(admin_token: str) -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (no browser downloads)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="package")
def admin_token(live_app: str, django_db_blocker: Any) -> str:
    """The admin's API token. Read before the browser starts: Playwright's event loop then runs in
    this thread, and Django refuses database calls from a thread with a running loop."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    with django_db_blocker.unblock():
        token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=ADMIN_USER))
    return str(token.key)


@pytest.fixture
def api_session(admin_token: str) -> requests.Session:
    """A ``requests`` session logged into the API as the admin (token auth)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {admin_token}"
    return session


@pytest.fixture
def browser_page(live_app: str, chromium: Any, artifacts_dir: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A Playwright page on the app at 1366x768, logged in as the admin; a screenshot is kept on failure."""
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_app, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    try:
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    except AssertionError as exc:
        raise AssertionError(f"logging in failed at {page.url}: {page.content()[:1500]}") from exc
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=str(artifacts_dir / f"failed-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
