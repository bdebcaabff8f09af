"""Shared rate limits, concurrency limits and circuit breakers per connection.

Every worker process sees the same budget: the state lives in Redis in the
scale-out mode (``LEDGERLINE_SHARED_STATE_URL``, by default the channel
layer's Redis) and in memory in the embedded mode, where there is one process.

Nothing here sleeps. When the budget is spent or the breaker is open, the call
is refused at once with :class:`RateLimitedError` and the seconds to wait, and
the engine re-schedules the run for then without holding a worker.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.core.signals import setting_changed

from connectors.sdk.errors import NodeError, RateLimitedError, TransientError


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` calls in any rolling ``period`` seconds (e.g. Xero: 60 per 60 s)."""

    name: str
    limit: int
    period: float


@dataclass(frozen=True)
class BreakerPolicy:
    """Open after ``threshold`` transient failures within ``window`` seconds; probe again after ``cooldown``."""

    threshold: int = 5
    window: float = 60.0
    cooldown: float = 30.0


class SharedState(Protocol):
    def take(self, key: str, limit: int, period: float, now: float) -> float:
        """Record a call if the window has room: 0.0; else the seconds until it has."""

    def block(self, key: str, until: float) -> None: ...

    def blocked_until(self, key: str) -> float: ...

    def acquire(self, key: str, limit: int, lease: float, now: float) -> str | None: ...

    def release(self, key: str, token: str) -> None: ...

    def failures(self, key: str, window: float, now: float, add: bool) -> int: ...

    def reset(self, key: str) -> None: ...


class MemoryState:
    """One process's shared state (the embedded mode)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, list[float]] = {}
        self._blocks: dict[str, float] = {}
        self._leases: dict[str, dict[str, float]] = {}

    def take(self, key: str, limit: int, period: float, now: float) -> float:
        with self._lock:
            calls = [t for t in self._calls.get(key, []) if t > now - period]
            if len(calls) >= limit:
                self._calls[key] = calls
                return calls[-limit] + period - now
            calls.append(now)
            self._calls[key] = calls
            return 0.0

    def block(self, key: str, until: float) -> None:
        with self._lock:
            self._blocks[key] = max(until, self._blocks.get(key, 0.0))

    def blocked_until(self, key: str) -> float:
        return self._blocks.get(key, 0.0)

    def acquire(self, key: str, limit: int, lease: float, now: float) -> str | None:
        with self._lock:
            leases = {t: exp for t, exp in self._leases.get(key, {}).items() if exp > now}
            if len(leases) >= limit:
                self._leases[key] = leases
                return None
            token = uuid.uuid4().hex
            leases[token] = now + lease
            self._leases[key] = leases
            return token

    def release(self, key: str, token: str) -> None:
        with self._lock:
            self._leases.get(key, {}).pop(token, None)

    def failures(self, key: str, window: float, now: float, add: bool) -> int:
        with self._lock:
            recent = [t for t in self._calls.get(key, []) if t > now - window]
            if add:
                recent.append(now)
            self._calls[key] = recent
            return len(recent)

    def reset(self, key: str) -> None:
        with self._lock:
            self._calls.pop(key, None)
            self._blocks.pop(key, None)


#: Sliding-window log in a sorted set: trim, count, then add or say how long to wait.
_TAKE = """
local key, limit, period, now, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + period - now)
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(period * 1000) + 1000)
return '0'
"""

_ACQUIRE = """
local key, limit, lease, now, token = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now + lease, token)
redis.call('PEXPIRE', key, math.ceil(lease * 1000) + 1000)
return 1
"""


class RedisState:
    """Shared state in Redis: every process and host sees the same budget."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url.split("?")[0])
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._acquire = self._redis.register_script(_ACQUIRE)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    def take(self, key: str, limit: int, period: float, now: float) -> float:
        return float(self._take(keys=[self._key(key)], args=[limit, period, now, f"{now}:{uuid.uuid4().hex}"]))

    def block(self, key: str, until: float) -> None:
        ttl = max(1, int((until - time.time()) * 1000))
        current = self.blocked_until(key)
        if until > current:
            self._redis.set(self._key(f"{key}:blocked"), str(until), px=ttl)

    def blocked_until(self, key: str) -> float:
        value: Any = self._redis.get(self._key(f"{key}:blocked"))
        return float(value) if value else 0.0

    def acquire(self, key: str, limit: int, lease: float, now: float) -> str | None:
        token = uuid.uuid4().hex
        return token if self._acquire(keys=[self._key(key)], args=[limit, lease, now, token]) else None

    def release(self, key: str, token: str) -> None:
        self._redis.zrem(self._key(key), token)

    def failures(self, key: str, window: float, now: float, add: bool) -> int:
        redis_key = self._key(key)
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(redis_key, "-inf", now - window)
        if add:
            pipe.zadd(redis_key, {f"{now}:{uuid.uuid4().hex}": now})
            pipe.pexpire(redis_key, int(window * 1000) + 1000)
        pipe.zcard(redis_key)
        return int(pipe.execute()[-1])

    def reset(self, key: str) -> None:
        self._redis.delete(self._key(key), self._key(f"{key}:blocked"))


def shared_redis() -> tuple[str, str] | None:
    """``(url, key prefix)`` when shared state lives in Redis (scale-out); None: in this process."""
    url = settings.LEDGERLINE_SHARED_STATE_URL
    if url.startswith(("redis://", "rediss://")):
        return url, settings.LEDGERLINE_SHARED_STATE_PREFIX
    return None


@lru_cache(maxsize=1)
def shared_state() -> SharedState:
    redis = shared_redis()
    return RedisState(*redis) if redis else MemoryState()


def _reset_state(**_: object) -> None:
    shared_state.cache_clear()


setting_changed.connect(_reset_state)


class Throttle:
    """The limits of one connection: rate windows, concurrent calls and a circuit breaker."""

    def __init__(
        self, connection_id: str, limits: Sequence[Limit], concurrency: int | None, breaker: BreakerPolicy
    ) -> None:
        self.connection_id = connection_id
        self.limits = limits
        self.concurrency = concurrency
        self.breaker = breaker

    def _key(self, part: str) -> str:
        return f"conn:{self.connection_id}:{part}"

    def breaker_state(self, now: float | None = None) -> tuple[str, float]:
        """``("closed" | "open" | "half_open", seconds until a probe is allowed)``."""
        now = time.time() if now is None else now
        until = shared_state().blocked_until(self._key("breaker"))
        if until > now:
            return "open", until - now
        recent = shared_state().failures(self._key("failures"), self.breaker.window, now, add=False)
        # Cooled down but the failures that opened it are recent: the next call is a probe.
        return ("half_open" if recent >= self.breaker.threshold else "closed"), 0.0

    def _admit(self, now: float, scope: str | None) -> None:
        state = shared_state()
        if scope is not None:
            paused = state.blocked_until(self._key(f"limit:{scope}"))
            if paused > now:
                raise RateLimitedError(
                    f"the remote's {scope} budget is spent", code="rate_budget", retry_after=paused - now
                )
        breaker, wait = self.breaker_state(now)
        if breaker == "open":
            raise RateLimitedError(
                f"the connection's circuit breaker is open after repeated failures; next try in {wait:.0f} s",
                code="circuit_open",
                retry_after=wait,
            )
        for limit in self.limits:
            blocked = state.blocked_until(self._key(f"limit:{limit.name}"))
            if blocked > now:
                raise RateLimitedError(
                    f"the remote's {limit.name} limit is spent", code="rate_budget", retry_after=blocked - now
                )
            wait = state.take(self._key(f"limit:{limit.name}"), limit.limit, limit.period, now)
            if wait > 0:
                raise RateLimitedError(
                    f"the {limit.name} budget of {limit.limit} calls per {limit.period:g} s is spent",
                    code="rate_budget",
                    retry_after=wait,
                )

    @contextmanager
    def slot(self, scope: str | None = None) -> Iterator[None]:
        """Hold a call slot for one remote call: breaker, budgets and a concurrency lease.

        ``scope`` names a budget of the remote's own (an endpoint group) that
        :meth:`remote_says` may have paused.

        Transient failures raised inside the block count towards opening the
        breaker; a success closes a half-open breaker.
        """
        now = time.time()
        self._admit(now, scope)
        state = shared_state()
        token = None
        if self.concurrency:
            token = state.acquire(self._key("concurrent"), self.concurrency, 120.0, now)
            if token is None:
                raise RateLimitedError("all concurrent call slots are in use", code="concurrency", retry_after=1.0)
        try:
            yield
        except TransientError:
            self.record_failure()
            raise
        except NodeError:
            raise
        else:
            self.record_success()
        finally:
            if token is not None:
                state.release(self._key("concurrent"), token)

    def headroom(self, now: float | None = None) -> tuple[float, float]:
        """Look without taking: ``(seconds until a call would be admitted, fraction of the tightest budget left)``.

        Lets a caller that can wait (a batch still filling up) hold its call
        instead of spending a call slot on a few elements.
        """
        now = time.time() if now is None else now
        state = shared_state()
        wait, left = 0.0, 1.0
        breaker, breaker_wait = self.breaker_state(now)
        if breaker == "open":
            wait = breaker_wait
        for limit in self.limits:
            key = self._key(f"limit:{limit.name}")
            wait = max(wait, state.blocked_until(key) - now)
            used = state.failures(key, limit.period, now, add=False)  # trims and counts the window's calls
            left = min(left, max(0.0, (limit.limit - used) / limit.limit))
            if used >= limit.limit:
                wait = max(wait, limit.period / limit.limit)
        return max(0.0, wait), left

    def record_failure(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        count = shared_state().failures(self._key("failures"), self.breaker.window, now, add=True)
        if count >= self.breaker.threshold:
            shared_state().block(self._key("breaker"), now + self.breaker.cooldown)

    def record_success(self) -> None:
        """A success ends a streak of failures (and closes a half-open breaker)."""
        if shared_state().failures(self._key("failures"), self.breaker.window, time.time(), add=False):
            shared_state().reset(self._key("failures"))

    def remote_says(self, limit_name: str, *, remaining: int | None, reset_after: float | None) -> None:
        """Adapt to the remote's rate-limit headers: no calls on ``limit_name`` until it resets."""
        if remaining is not None and remaining <= 0:
            shared_state().block(self._key(f"limit:{limit_name}"), time.time() + (reset_after or 60.0))
