"""CPU time: of the processes a benchmark started, of the machine's services, of the whole machine.

Read from ``/proc``, so a figure taken on a busy machine says what else used the cores.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time one process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def service_cpu_seconds(command: str) -> float:
    """CPU time of every process named ``command`` (the machine's PostgreSQL, Redis), exited children included.

    A PostgreSQL backend lives as long as its connection; what ended ones used
    is in their parent's (the postmaster's) children times.
    """
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            if name != command:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, all processes) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    """CPU seconds used so far: per started command, by this process, and by the whole machine."""

    by_name: dict[str, float]
    own: float
    machine: float

    @classmethod
    def take(cls, procs: Any) -> CpuSnapshot:
        """Now: ``procs`` is the :class:`bench.harness.Processes` whose commands are counted."""
        times = os.times()
        services = {"PostgreSQL": service_cpu_seconds("postgres"), "Redis": service_cpu_seconds("redis-server")}
        return cls({**procs.cpu_by_name(), **services}, times.user + times.system, machine_busy_seconds())

    def minus(self, earlier: CpuSnapshot) -> CpuSnapshot:
        names = set(self.by_name) | set(earlier.by_name)
        return CpuSnapshot(
            {n: self.by_name.get(n, 0.0) - earlier.by_name.get(n, 0.0) for n in names},
            self.own - earlier.own,
            self.machine - earlier.machine,
        )

    def per_item_ms(self, items: int) -> dict[str, float]:
        """Milliseconds of CPU per item: each command, the services, the benchmark itself, anything else."""
        if items <= 0:
            return {}
        shares = {**self.by_name, "benchmark (load generator)": self.own}
        shares["anything else on the machine"] = max(0.0, self.machine - sum(shares.values()))
        shares["whole machine"] = self.machine
        return {name: seconds * 1000 / items for name, seconds in sorted(shares.items())}


def _fixed_work() -> int:
    """A fixed pure-Python workload (about a millisecond on a fast core): the yardstick of :class:`SpeedProbe`."""
    total = 0
    for i in range(20_000):
        total += i % 7
    return total + len(json.dumps([{"n": i, "s": str(i)} for i in range(200)]))


#: The row that reports a :class:`SpeedProbe`.
SPEED_MEASURE = "machine speed: fixed workload CPU, median (µs; lower is faster)"


class SpeedProbe:
    """Times :func:`_fixed_work` every ``every`` seconds, by its own thread's CPU time, while a benchmark runs.

    The cores of a shared host do not run at one speed: on this machine the
    same workload took from 33 to 70 ms within one minute while nothing else
    ran. CPU time per item grows with it, so each figure comes with the speed
    it was taken at (lower is faster).
    """

    def __init__(self, every: float = 0.5) -> None:
        self.samples_us: list[float] = []
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="speed-probe")

    def __enter__(self) -> SpeedProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            started = time.thread_time_ns()
            _fixed_work()
            self.samples_us.append((time.thread_time_ns() - started) / 1000)

    def summary(self) -> str:
        """``median (fastest to slowest, N samples)`` in µs, or ``-`` without samples."""
        if not self.samples_us:
            return "-"
        ordered = sorted(self.samples_us)
        median = ordered[len(ordered) // 2]
        return f"{median:.0f} ({ordered[0]:.0f} to {ordered[-1]:.0f}, {len(ordered)} samples)"
