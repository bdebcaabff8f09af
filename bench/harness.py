"""What every benchmark shares: its own database, the processes it starts, RSS samples, tables, RESULTS.md.

Everything a benchmark starts goes through :class:`Processes`, which starts each
command in its own process group and stops exactly those groups by PID (on a
normal end, an exception or Ctrl-C). Nothing else on the machine is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.cpu import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "RESULTS.md"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
#: The Redis databases the benchmarks use (broker; channel layer and shared limits). Both are
#: emptied when a benchmark starts: never point them at a Redis that holds anything else.
REDIS_BROKER = os.environ.get("LEDGERLINE_BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
REDIS_LAYER = os.environ.get("LEDGERLINE_BENCH_LAYER_URL", "redis://127.0.0.1:6379/9")
#: Each benchmark creates and drops its own database, ``<prefix>_<target>``.
DB_PREFIX = os.environ.get("LEDGERLINE_BENCH_DB_PREFIX", "ledgerline_bench")


def database_name(target: str) -> str:
    return f"{DB_PREFIX}_{target}"


def database_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


@contextlib.contextmanager
def database(name: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database ``name`` for one benchmark, dropped afterwards."""
    args = ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=True, capture_output=True)
    subprocess.run(["createdb", *args, name], check=True, capture_output=True)
    try:
        yield database_url(name)
    finally:
        if not keep:
            subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=False, capture_output=True)


def flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


def service_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a scale-out process on the benchmark's own database and Redis numbers."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        BROKER_URL=REDIS_BROKER,
        CHANNEL_LAYER_URL=REDIS_LAYER,
        LEDGERLINE_SHARED_STATE_URL=REDIS_LAYER,
        LEDGERLINE_SHARED_STATE_PREFIX="ledgerline-bench",
        LEDGERLINE_BROKER_NAMESPACE="ledgerline-bench",
        LEDGERLINE_DATA_DIR=str(data_dir),
        LEDGERLINE_HTTP_ALLOWED_PRIVATE="127.0.0.1",
        LEDGERLINE_EXTRA_APPS="tests.support.nodes_app",
        DJANGO_SETTINGS_MODULE="ledgerline.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def use_env(env: dict[str, str]) -> None:
    """Configure Django in this process on ``env`` (call once, before any Django import)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# -- processes ----------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    peak_rss_mb: float = 0.0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


class Processes:
    """Starts commands in their own process groups and stops exactly those, by PID.

    Use as a context manager: on leaving (normally, on an exception or on
    SIGINT/SIGTERM) every started group gets SIGTERM, then SIGKILL after a grace.
    A sampler thread records the peak RSS of every started process and of each
    of its children (worker processes fork).
    """

    def __init__(self, log_dir: Path, sample_every: float = 0.5) -> None:
        self.log_dir = log_dir
        self.started: list[Started] = []
        self.peaks: dict[str, float] = {}
        #: The CPU seconds last seen per process (pid → (started name, seconds)).
        self._cpu: dict[int, tuple[str, float]] = {}
        self._sample_every = sample_every
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample_loop, daemon=True)
        self._previous_handlers: dict[int, Any] = {}

    def __enter__(self) -> Processes:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.sample()
        self.stop_all()
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Started:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                list(argv), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def check_alive(self) -> None:
        for started in self.started:
            if started.process.poll() is not None:
                tail = started.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{started.name} (pid {started.process.pid}) exited early:\n{tail}")

    def sample(self) -> None:
        for started in self.started:
            if started.process.poll() is not None:
                continue
            for index, pid in enumerate(descendants(started.process.pid)):
                label = started.name if index == 0 else f"{started.name}/{pid}"
                mb = rss_mb(pid)
                used = cpu_seconds(pid)
                if used:
                    self._cpu[pid] = (started.name, used)
                self.peaks[label] = max(self.peaks.get(label, 0.0), mb)
                started.peak_rss_mb = max(started.peak_rss_mb, mb)

    def cpu_by_name(self) -> dict[str, float]:
        """CPU seconds used so far by each started command, its forks included."""
        self.sample()
        totals: dict[str, float] = {}
        for name, used in self._cpu.values():
            totals[name] = totals.get(name, 0.0) + used
        return totals

    def total_rss_mb(self, names: Sequence[str] | None = None) -> float:
        """Current RSS of the named started processes and all their children together."""
        chosen = [s for s in self.started if names is None or s.name in names]
        return sum(rss_mb(pid) for s in chosen for pid in descendants(s.process.pid))

    def _sample_loop(self) -> None:
        while not self._stop.wait(self._sample_every):
            self.sample()

    def stop(self, started: Started, grace: float = 8.0) -> None:
        process = started.process
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the group we created: the process and its forks
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def retire(self, name: str) -> None:
        """Stop the commands started as ``name`` and forget them: no longer checked, no longer counted.

        Their peak RSS stays in :attr:`peaks`; CPU snapshots taken afterwards no longer include them.
        """
        for started in [s for s in self.started if s.name == name]:
            self.stop(started)
            self.started.remove(started)
        self._cpu = {pid: entry for pid, entry in self._cpu.items() if entry[0] != name}

    def stop_all(self) -> None:
        for started in reversed(self.started):
            self.stop(started)


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except OSError:
        return False


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- reporting ----------------------------------------------------------------------------


@dataclass
class Report:
    """A benchmark's figures: a title, rows of (measure, value, target, met), notes."""

    title: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append((measure, value, target, "" if met is None else ("yes" if met else "NO")))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def machine() -> str:
    memory = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // (1024 * 1024)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.uname().nodename}, {os.cpu_count()} cores, {memory} GiB, load average at the end {load}"


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    # Any change but this file's own entries (each run appends one) makes the figures the
    # working tree's, not the commit's.
    dirty = git("status", "--porcelain", "--", ".", ":(exclude)bench/RESULTS.md")
    return git("rev-parse", "--short", "HEAD") + ("+" if dirty else "")


def command_line() -> str:
    return ".venv/bin/python -m bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def publish(report: Report, *, record: bool) -> None:
    """Print the report as a table and, with ``record``, append it to bench/RESULTS.md."""
    text = table(["measure", "value", "target", "met"], report.rows)
    print(f"\n{report.title}\n{text}")
    for note in report.notes:
        print(f"- {note}")
    if not record:
        return
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = "".join(f"- {note}\n" for note in report.notes)
    entry = (
        f"\n### {report.title}: {when}\n\n"
        f"machine: {machine()}; commit: {commit()}\n\n"
        f"    {command_line()}\n\n{text}\n\n{notes}"
    )
    with RESULTS.open("a") as results:
        results.write(entry)


# -- the scale-out stack ------------------------------------------------------------------


def start_web(procs: Processes, env: dict[str, str], port: int) -> Started:
    """One uvicorn (the scale-out web server) serving the API, webhooks and sandboxes; returns once it answers."""
    uvicorn = str(Path(PYTHON).parent / "uvicorn")
    argv = [uvicorn, "--host", "127.0.0.1", "--port", str(port), "--http", "httptools", "--ws", "websockets-sansio"]
    argv += ["--lifespan", "off", "--no-access-log", "ledgerline.asgi:application"]
    started = procs.start("web", argv, env)
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/api/schema/"), timeout=90, what="the web server")
    return started


def start_workers(
    procs: Processes,
    env: dict[str, str],
    processes: int,
    threads: int,
    *,
    batch_processes: int = 0,
    prefix: str = "",
) -> Started:
    """``manage.py rundramatiq`` with ``processes`` worker processes of ``threads`` threads each.

    With ``batch_processes``, that many more processes serve only the batch queue
    (flushes), so a flush never waits for the interpreter behind threads that
    advance runs; the others then serve only the runs' queue. They are started as
    ``{prefix}workers`` and ``{prefix}flushers``.
    """
    argv = [PYTHON, "manage.py", "rundramatiq", "--processes", str(processes), "--threads", str(threads)]
    if batch_processes:
        flushers = [PYTHON, "manage.py", "rundramatiq", "--processes", str(batch_processes), "--threads", "2"]
        procs.start(f"{prefix}flushers", [*flushers, "--skip-logging", "--queues", "engine_batches"], env)
        argv += ["--queues", "engine"]
    started = procs.start(f"{prefix}workers", [*argv, "--skip-logging"], env)
    # The worker processes import Django and declare their actors; they consume from Redis,
    # so messages sent before they are up simply wait in the queue.
    wait_until(lambda: len(descendants(started.process.pid)) > processes, timeout=60, what="the worker processes")
    return started
