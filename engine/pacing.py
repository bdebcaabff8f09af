"""When to send a batch: rate-limit-aware pacing of cross-run batches.

A remote call is the scarce thing (Xero: 60 a minute), not the elements in it
(up to 50 per call). So a batch goes out when it is full; a partial batch of a
rate-limited connection keeps collecting for up to ``BATCH_MAX_WAIT_MS`` (the
batch window for connections without limits) so the budget is spent on full
batches. While no call could be admitted at all, nothing is claimed: the flush
comes back when the limiter says the next slot is free, and the calls parked
meanwhile travel together.

Flush messages for one batch key are deduplicated: at most one is scheduled
per due time, so thousands of parked calls do not turn into thousands of
messages re-scheduling themselves.

One flush per batch key at a time (:func:`flush_lock`: a Redis lock in
scale-out, a process lock in the embedded mode, whose worker is in-process):
two flushes deciding and claiming at once would split a backlog of 60 into
50 + 10 instead of sending 50 and letting the other 10 fill up.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction

from connectors.sdk.throttle import shared_redis
from engine.dispatch import enqueue_flush


@dataclass(frozen=True)
class Backlog:
    """What a flush knows about the calls parked under one batch key."""

    pending: int
    oldest_age: float  # seconds since the oldest pending call was parked
    batch_max: int


def flush_delay(backlog: Backlog, *, window: float, max_wait: float, budget_wait: float, rate_limited: bool) -> float:
    """Seconds to wait before sending the next batch (0: send now; -1: nothing to send).

    ``budget_wait`` comes from the connection's limiter
    (:meth:`connectors.sdk.throttle.Throttle.headroom`): the seconds until a call
    would be admitted. ``rate_limited``: the connection has a call budget at all.
    """
    if backlog.pending <= 0:
        return -1.0
    if budget_wait > 0:
        return budget_wait  # no call could go out now: keep collecting until the slot frees
    if backlog.pending >= backlog.batch_max:
        return 0.0
    due = max(window, max_wait) if rate_limited else window
    return max(0.0, due - backlog.oldest_age)


class _Marks(Protocol):
    def get(self, key: str) -> float | None: ...

    def set(self, key: str, due: float, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...


class _MemoryMarks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[str, tuple[float, float]] = {}

    def get(self, key: str) -> float | None:
        with self._lock:
            due, expires = self._due.get(key, (0.0, 0.0))
            return due if expires > time.time() else None

    def set(self, key: str, due: float, ttl: float) -> None:
        with self._lock:
            self._due[key] = (due, time.time() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._due.pop(key, None)


class _RedisMarks:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url.split("?")[0])
        self._prefix = f"{prefix}:flush:"

    def get(self, key: str) -> float | None:
        value: Any = self._redis.get(self._prefix + key)
        return float(value) if value else None

    def set(self, key: str, due: float, ttl: float) -> None:
        self._redis.set(self._prefix + key, str(due), px=max(1, int(ttl * 1000)))

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class _Locks(Protocol):
    def acquire(self, key: str, owner: str, ttl: float) -> bool: ...

    def release(self, key: str, owner: str) -> None: ...


class _MemoryLocks:
    """Per-key locks of this process: the embedded mode's flushes all run in it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def acquire(self, key: str, owner: str, ttl: float) -> bool:
        with self._lock:
            holder, expires = self._held.get(key, ("", 0.0))
            if holder and expires > time.monotonic():
                return False
            self._held[key] = (owner, time.monotonic() + ttl)
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            if self._held.get(key, ("", 0.0))[0] == owner:
                del self._held[key]


class _RedisLocks:
    """``SET NX PX`` locks shared by every worker; only the owner's release deletes one."""

    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url.split("?")[0])
        self._prefix = f"{prefix}:flush-lock:"
        self._release = self._redis.register_script(self._RELEASE)

    def acquire(self, key: str, owner: str, ttl: float) -> bool:
        return bool(self._redis.set(self._prefix + key, owner, nx=True, px=max(1, int(ttl * 1000))))

    def release(self, key: str, owner: str) -> None:
        self._release(keys=[self._prefix + key], args=[owner])


@lru_cache(maxsize=1)
def _locks() -> _Locks:
    redis = shared_redis()
    return _RedisLocks(*redis) if redis else _MemoryLocks()


@contextlib.contextmanager
def flush_lock(key: str) -> Iterator[bool]:
    """Hold the flush lock of ``key`` for the block; yields False (and holds nothing) when another has it.

    The lock expires after the run lease (a flush whose worker died must not
    block its key for longer than it blocks a run); a flush that outlives it
    is merely no longer alone, which costs batch size, never correctness: the
    claim of each call is atomic.
    """
    owner = uuid.uuid4().hex
    ttl = float(settings.LEDGERLINE_ENGINE["RUN_LEASE_SECONDS"])
    held = _locks().acquire(key, owner, ttl)
    try:
        yield held
    finally:
        if held:
            _locks().release(key, owner)


@lru_cache(maxsize=1)
def _marks() -> _Marks:
    redis = shared_redis()
    return _RedisMarks(*redis) if redis else _MemoryMarks()


def schedule_flush(key: str, delay: float) -> None:
    """Schedule a flush of ``key`` in ``delay`` seconds unless one is already due by then.

    Decided after the current transaction commits: a flush that starts after
    this check sees the parked call, and one that started before it removed its
    mark first, so this check sends a new message. A mark whose message was
    lost expires a few seconds after its due time.
    """
    transaction.on_commit(lambda: send_unless_due(key, delay))


def send_unless_due(key: str, delay: float) -> bool:
    """Send a flush message for ``key`` in ``delay`` seconds unless one is due by then; whether it sent."""
    now = time.time()
    due = now + max(0.0, delay)
    current = _marks().get(key)
    if current is not None and current <= due + 0.01:
        return False
    _marks().set(key, due, ttl=max(0.0, delay) + 5.0)
    enqueue_flush(key, delay_seconds=max(0.0, delay), on_commit=False)
    return True


def flush_started(key: str) -> None:
    """The message that was due for ``key`` is spent: the next schedule needs a new message."""
    _marks().delete(key)


#: The mark of a key whose flush message is sending: due since the epoch, so every schedule finds
#: a flush "due by then" and sends nothing; that flush schedules the next itself when it is done.
_RUNNING = 0.0


def flush_running(key: str) -> None:
    """A flush message of ``key`` holds its lock: parked calls need no message until it is done.

    The mark lasts as long as the lock: a holder that dies takes both with it,
    and the next park (or the scheduler's sweep) sends a message again.
    """
    _marks().set(key, _RUNNING, ttl=float(settings.LEDGERLINE_ENGINE["RUN_LEASE_SECONDS"]))


def flush_is_running(key: str) -> bool:
    """Whether a flush message of ``key`` is sending and will schedule the next itself."""
    return _marks().get(key) == _RUNNING


def budget_of(context: Any) -> tuple[float, bool]:
    """``(seconds until a call is admitted, whether the connection has a call budget)`` of a batch.

    Node types without a connection (or whose connection cannot be loaded: the
    batch itself will report that) are never held back.
    """
    try:
        throttle = context.connection().throttle()
    except Exception:  # noqa: BLE001 - the send reports a missing connection per run
        return 0.0, False
    wait, _ = throttle.headroom()
    return wait, bool(throttle.limits)


def window_seconds() -> float:
    return float(settings.LEDGERLINE_ENGINE["BATCH_WINDOW_MS"]) / 1000


def max_wait_seconds() -> float:
    return float(settings.LEDGERLINE_ENGINE.get("BATCH_MAX_WAIT_MS", 3000)) / 1000
