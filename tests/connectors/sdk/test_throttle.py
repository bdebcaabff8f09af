"""Shared budgets and circuit breakers, on the configured shared state (Redis in make test)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from connectors.sdk import PermanentError, RateLimitedError, TransientError
from connectors.sdk.throttle import BreakerPolicy, Limit, MemoryState, Throttle
from tests.fixtures.engine import wait_for


@pytest.fixture(params=["configured", "memory"])
def throttle_factory(request: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    if request.param == "memory":
        state = MemoryState()
        monkeypatch.setattr("connectors.sdk.throttle.shared_state", lambda: state)

    def make(
        limits: tuple[Limit, ...] = (), concurrency: int | None = None, breaker: BreakerPolicy | None = None
    ) -> Throttle:
        return Throttle(
            uuid.uuid4().hex, limits, concurrency, breaker or BreakerPolicy(threshold=3, window=60, cooldown=30)
        )

    return make


def call(throttle: Throttle, error: Exception | None = None) -> None:
    with throttle.slot():
        if error is not None:
            raise error


def test_a_rolling_window_budget_refuses_with_the_wait(throttle_factory: Any) -> None:
    throttle = throttle_factory((Limit("minute", 3, 60.0),))
    for _ in range(3):
        call(throttle)
    with pytest.raises(RateLimitedError) as caught:
        call(throttle)
    assert caught.value.code == "rate_budget"
    assert 59 <= caught.value.retry_after <= 60


def test_many_threads_never_exceed_the_budget(throttle_factory: Any) -> None:
    throttle = throttle_factory((Limit("minute", 25, 60.0),))
    admitted = []

    def worker() -> None:
        for _ in range(10):
            try:
                call(throttle)
                admitted.append(1)
            except RateLimitedError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 25


def test_concurrency_slots(throttle_factory: Any) -> None:
    throttle = throttle_factory(concurrency=1)
    with throttle.slot(), pytest.raises(RateLimitedError, match="concurrent"):
        call(throttle)
    call(throttle)  # released


def test_breaker_opens_after_repeated_transient_failures_and_closes_after_a_good_probe(throttle_factory: Any) -> None:
    throttle = throttle_factory(breaker=BreakerPolicy(threshold=3, window=60, cooldown=0.3))
    for _ in range(3):
        with pytest.raises(TransientError):
            call(throttle, TransientError("503"))
    state, wait = throttle.breaker_state()
    assert state == "open" and 0 < wait <= 0.3
    with pytest.raises(RateLimitedError) as caught:
        call(throttle)
    assert caught.value.code == "circuit_open"
    # After the cool-down the next call is a probe; its success closes the breaker.
    wait_for(lambda: throttle.breaker_state()[0] == "half_open", timeout=5, message="the cool-down to pass")
    call(throttle)
    assert throttle.breaker_state()[0] == "closed"


def test_a_failed_probe_opens_the_breaker_again(throttle_factory: Any) -> None:
    throttle = throttle_factory(breaker=BreakerPolicy(threshold=2, window=60, cooldown=0.2))
    for _ in range(2):
        with pytest.raises(TransientError):
            call(throttle, TransientError("503"))
    wait_for(lambda: throttle.breaker_state()[0] == "half_open", timeout=5, message="the cool-down to pass")
    with pytest.raises(TransientError):
        call(throttle, TransientError("still down"))
    assert throttle.breaker_state()[0] == "open"


def test_permanent_errors_do_not_trip_the_breaker(throttle_factory: Any) -> None:
    throttle = throttle_factory()
    for _ in range(5):
        with pytest.raises(PermanentError):
            call(throttle, PermanentError("bad invoice"))
    assert throttle.breaker_state()[0] == "closed"


def test_remote_headers_pause_every_worker(throttle_factory: Any) -> None:
    throttle = throttle_factory((Limit("day", 5000, 86400.0),))
    throttle.remote_says("day", remaining=0, reset_after=120)
    with pytest.raises(RateLimitedError) as caught:
        call(throttle)
    assert 119 <= caught.value.retry_after <= 120
