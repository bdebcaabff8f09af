"""Runs through real Dramatiq workers on the configured broker (Redis in ``make test``).

These tests need a real broker: with the stub broker of the embedded mode they
are skipped (the embedded mode has its own smoke test).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from engine.core.states import FINAL_RUN_STATES, RunStatus
from engine.models import NodeRun, Run
from engine.scheduler import resume_stalled_runs
from engine.services import start_run
from tests.fixtures.engine import wait_for, wait_for_run
from tests.support.flows import chain, manual, node

ROOT = Path(__file__).resolve().parents[2]
needs_real_broker = pytest.mark.skipif(
    settings.BROKER_URL.startswith("stub:"), reason="needs BROKER_URL=redis://… (make test sets it)"
)


@needs_real_broker
def test_a_run_completes_through_an_in_process_worker(worker: Any, make_workflow: Any, tmp_path: Path) -> None:
    workflow = make_workflow(chain(manual(), node("one", "test.count"), node("flaky", "test.flaky", failures=1)))
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"po": "A1"})
    finished = wait_for_run(run.pk)
    assert finished.status == RunStatus.SUCCEEDED
    assert NodeRun.objects.get(run=run, node_id="flaky").attempts == 2


def worker_env(**extra: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@pytest.fixture
def spawn_worker(transactional_db: Any, broker: Any) -> Iterator[Any]:
    """Start ``manage.py rundramatiq`` processes on the test database; all are killed at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("separate worker processes need a server database (make test uses PostgreSQL)")
    started: list[subprocess.Popen[bytes]] = []

    def spawn(**extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2", "--skip-logging"],
            cwd=ROOT,
            env=worker_env(**extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield spawn
    for process in started:
        # The whole group: dramatiq's worker processes outlive a killed parent.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@needs_real_broker
def test_a_run_completes_through_a_separate_worker_process(
    spawn_worker: Any, make_workflow: Any, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    workflow = make_workflow(
        chain(manual(), node("one", "test.count", log_file=str(log)), node("two", "test.count", log_file=str(log)))
    )
    spawn_worker()
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"po": "B2"})
    finished = wait_for_run(run.pk, timeout=60)
    assert finished.status == RunStatus.SUCCEEDED
    assert log.read_text().splitlines() == ["one 1", "two 1"]


@needs_real_broker
@override_settings(LEDGERLINE_ENGINE={"RUN_LEASE_SECONDS": 3, "MAX_RUN_CRASHES": 5, "SCHEDULER_TICK_SECONDS": 1})
def test_a_run_resumes_after_its_worker_process_is_killed(
    spawn_worker: Any, make_workflow: Any, tmp_path: Path
) -> None:
    """SIGKILL the worker while a node runs; another worker finishes the run, nothing completed runs twice."""
    log, started, gate = tmp_path / "log", tmp_path / "started", tmp_path / "open"
    workflow = make_workflow(
        chain(
            manual(),
            node("before", "test.count", log_file=str(log)),
            node("gate", "test.gate", open_file=str(gate), started_file=str(started), timeout=120),
            node("after", "test.count", log_file=str(log)),
        )
    )
    first = spawn_worker(LEDGERLINE_RUN_LEASE_SECONDS="3")
    run, _ = start_run(workflow_version=workflow.latest_version(), input={"po": "C3"})
    wait_for(lambda: started.exists(), timeout=60, message="the gate node to start")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)

    gate.write_text("")
    spawn_worker(LEDGERLINE_RUN_LEASE_SECONDS="3")

    # The dead worker's lease expires; the broker's redelivery or the scheduler's sweep
    # (whichever comes first) hands the run to the new worker.
    def resumed() -> bool:
        resume_stalled_runs(timezone.now())
        return Run.objects.get(pk=run.pk).status in FINAL_RUN_STATES

    wait_for(resumed, timeout=90, message="another worker to finish the run")
    finished = Run.objects.get(pk=run.pk)

    assert finished.status == RunStatus.SUCCEEDED
    assert finished.crash_count == 1
    assert log.read_text().splitlines() == ["before 1", "after 1"]
    assert started.read_text().splitlines() == ["gate 1", "gate 2"]
    assert {nr.node_id: nr.attempts for nr in Run.objects.get(pk=run.pk).node_runs.all()} == {
        "start": 1,
        "before": 1,
        "gate": 2,
        "after": 1,
    }
