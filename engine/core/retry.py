"""When to try a failed node again."""

from __future__ import annotations

import random

from connectors.sdk.nodes import RetryPolicy


def retry_delay(policy: RetryPolicy, attempt: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait before the attempt after ``attempt``, or None when out of attempts.

    Exponential backoff with "equal jitter": half the backoff is fixed, half is
    random, so retries of many runs spread out but never come back too early.
    A remote's ``Retry-After`` wins when it is given.
    """
    if attempt >= policy.max_attempts:
        return None
    if retry_after is not None:
        return max(0.0, float(retry_after))
    backoff = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return backoff / 2 + random.uniform(0, backoff / 2)
