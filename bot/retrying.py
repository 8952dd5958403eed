"""The one retry policy: exponential backoff with jitter, `Retry-After` honoured, inside a deadline.

Harness calls (bot.harness.client) and posts to Slack (bot.slack.connection) both ask a `Backoff` how long
to wait before the next try, or whether to give up. This module imports nothing from bot/.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final

DEADLINE_MARGIN: Final = 0.5
"""Seconds a retry must leave before the deadline, for the try itself."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """How many times to retry, and how long to wait before each retry."""

    retries: int
    """Retries after the first try."""
    base: float
    """Seconds before the first retry, doubled for each next one, with jitter (half to all of it)."""
    max_retry_after: float
    """The longest `Retry-After` honoured."""
    cap_retry_after: bool = False
    """Past `max_retry_after`: wait that long anyway (True), or give up (False: the server asks for more
    than the caller can wait)."""

    def delay(
        self, retry: int, retry_after: float | None = None, *, remaining: float | None = None
    ) -> float | None:
        """Seconds to wait before retry number `retry` (1 for the first), or None to give up.

        `retry_after`: what the server asked for; `remaining`: seconds left before the caller's deadline.
        """
        if retry > self.retries:
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after and not self.cap_retry_after:
                return None
            wait = min(retry_after, self.max_retry_after)
        else:
            wait = self.base * 2.0 ** (retry - 1) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not crypto)
        if remaining is not None and wait >= remaining - DEADLINE_MARGIN:
            return None
        return wait


def retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
