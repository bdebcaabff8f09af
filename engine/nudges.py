""" "Runs are due" messages: how a new or woken run reaches a worker without a message of its own.

A message naming one run costs a broker round trip and a claim per run; under
load most of them would find their run already advanced by a worker taking
runs together. So a run that is due now is announced by a *nudge*: a message
that claims whatever runs are due (:func:`engine.leases.claim_due`) and
advances them together. At most ``NUDGE_SLOTS`` nudges wait in the queue at
any time: a run that finds every slot taken is covered by a nudge that has
not started yet (each frees its slot as it starts, before it claims).

A slot expires on its own after a few seconds, so a nudge lost with its
worker never blocks the next ones; the scheduler's sweep is the last resort.
Slots live in Redis in scale-out and in this process in the embedded mode
(whose worker is in-process), like the other shared state
(:func:`connectors.sdk.throttle.shared_redis`).
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings

from connectors.sdk.throttle import shared_redis

#: A slot taken by a nudge that never started frees itself after this long.
SLOT_TTL_SECONDS = 5.0


class _Slots(Protocol):
    def take(self, slots: int, ttl: float) -> int: ...

    def free(self, slot: int) -> None: ...

    def free_all(self) -> None: ...


class _MemorySlots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken: dict[int, float] = {}

    def take(self, slots: int, ttl: float) -> int:
        now = time.monotonic()
        with self._lock:
            for slot in range(slots):
                if self._taken.get(slot, 0.0) <= now:
                    self._taken[slot] = now + ttl
                    return slot
        return -1

    def free(self, slot: int) -> None:
        with self._lock:
            self._taken.pop(slot, None)

    def free_all(self) -> None:
        with self._lock:
            self._taken.clear()


class _RedisSlots:
    """The first free slot key, taken with ``SET NX PX`` in one script (one round trip)."""

    _TAKE = (
        "for i = 0, tonumber(ARGV[1]) - 1 do "
        "if redis.call('set', KEYS[1] .. i, '1', 'NX', 'PX', ARGV[2]) then return i end "
        "end return -1"
    )

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url.split("?")[0])
        self._prefix = f"{prefix}:nudge:"
        self._take: Any = self._redis.register_script(self._TAKE)

    def take(self, slots: int, ttl: float) -> int:
        return int(self._take(keys=[self._prefix], args=[slots, max(1, int(ttl * 1000))]))

    def free(self, slot: int) -> None:
        self._redis.delete(f"{self._prefix}{slot}")

    def free_all(self) -> None:
        keys = list(self._redis.scan_iter(match=f"{self._prefix}*"))
        if keys:
            self._redis.delete(*keys)


@lru_cache(maxsize=1)
def _slots() -> _Slots:
    redis = shared_redis()
    return _RedisSlots(*redis) if redis else _MemorySlots()


def take_slot() -> int:
    """A free nudge slot (taken now), or -1 when every slot has a nudge waiting."""
    return _slots().take(int(settings.LEDGERLINE_ENGINE.get("NUDGE_SLOTS", 16)), SLOT_TTL_SECONDS)


def free_slot(slot: int) -> None:
    """A nudge has started: the next due run needs a new one."""
    if slot >= 0:
        _slots().free(slot)


def free_all() -> None:
    """Forget every taken slot (when the broker's queues were emptied: their nudges are gone)."""
    _slots().free_all()
