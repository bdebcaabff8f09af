"""The Walmart sandbox's state: orders, inventory, tokens, limits, faults and counters.

One in-memory store per process, guarded by a lock; ``reset()`` returns it to
its seeded start. Run the sandbox in one process (the embedded server or
``manage.py serve`` on its own port) so every client sees the same state.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectors.sdk.sandbox_kit import Faults

#: Credentials the sandbox accepts on ``POST /v3/token``.
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
TOKEN_SECONDS = 900

#: Default per-endpoint budgets (calls per minute); Walmart does not publish exact numbers.
DEFAULT_LIMITS = {
    "orders.read": 5000,
    "orders.write": 60,
    "inventory": 200,
    "token": 200,
    "returns": 600,
    "price": 100,
    "feeds": 10,
}


@dataclass
class Bucket:
    """A token bucket refilled every minute, like Walmart's per-endpoint allotments."""

    per_minute: int
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.per_minute)

    def take(self) -> tuple[bool, int, float]:
        """``(allowed, tokens left, seconds until one more token)``."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        self.tokens = min(float(self.per_minute), self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True, int(self.tokens), 0.0
        return False, 0, (1 - self.tokens) / rate


@dataclass
class WalmartStore:
    lock: threading.RLock = field(default_factory=threading.RLock)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    inventory: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    buckets: dict[str, Bucket] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    violations: int = 0
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: How long a submitted feed reads RECEIVED before it is PROCESSED.
    feed_processing_ms: int = 0

    def bucket(self, name: str) -> Bucket:
        bucket = self.buckets.get(name)
        if bucket is None or bucket.per_minute != self.limits.get(name, 60):
            bucket = self.buckets[name] = Bucket(self.limits.get(name, 60))
        return bucket

    def reset(self) -> None:
        with self.lock:
            self.orders.clear()
            self.inventory.clear()
            self.tokens.clear()
            self.buckets.clear()
            self.feeds.clear()
            self.returns.clear()
            self.prices.clear()
            self.feed_processing_ms = 0
            self.limits = dict(DEFAULT_LIMITS)
            self.faults = Faults()
            self.calls.clear()
            self.violations = 0


#: The process's sandbox.
STORE = WalmartStore()
