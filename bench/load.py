"""A bounded, paced HTTP load generator (threads, one keep-alive connection each, 127.0.0.1 only)."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def post_json_load(url: str, body: Callable[[int], object], *, rate: float, seconds: float, threads: int) -> LoadResult:
    """POST ``body(i)`` to ``url`` at ``rate`` requests/s for ``seconds`` (open loop, paced by a schedule).

    Latency is measured from the request's scheduled time, so a server that falls
    behind shows it in the figures instead of slowing the generator down.
    """
    parts = urlsplit(url)
    assert parts.hostname in {"127.0.0.1", "localhost"}, "load only against this machine"
    total = int(rate * seconds)
    result = LoadResult()
    lock = threading.Lock()
    next_index = [0]
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                break
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            payload = json.dumps(body(index)).encode()
            try:
                conn.request("POST", parts.path, payload, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                with lock:
                    result.errors += 1
                continue
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                result.sent += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.latencies_ms.append(elapsed)
        conn.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result
