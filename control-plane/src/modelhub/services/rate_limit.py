"""Sliding-window counters for failed logins, per client IP and per account.

In memory, per control-plane process: enough for the single-process hub; a cluster
deployment puts a shared limiter (or Traefik's RateLimit middleware) in front.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float] | None:
        """The key's events inside the window; a key with none left is forgotten."""
        events = self._events.get(key)
        if events is None:
            return None
        cutoff = self._clock() - self.window
        while events and events[0] <= cutoff:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        events = self._recent(key)
        if events is None or len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.window - self._clock()) + 1)

    def hit(self, key: str) -> None:
        events = self._recent(key)
        if events is None:
            events = self._events[key] = deque()
        events.append(self._clock())

    def forget_one(self, key: str) -> None:
        """Take back the latest event of ``key`` (an attempt that turned out fine)."""
        events = self._events.get(key)
        if events:
            events.pop()

    def reset(self, key: str) -> None:
        self._events.pop(key, None)
