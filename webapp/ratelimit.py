"""A per-client request budget for the JSON API: at most N requests per minute from one address."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """Fixed one-minute windows per client key; thread-safe, memory bounded by pruning idle clients."""

    def __init__(self, per_minute: int, window_s: float = 60.0, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> float | None:
        """Count one request; returns None if allowed, else the seconds until the client may retry."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_s:
                start, count = now, 0
            if count >= self.per_minute:
                return max(1.0, math.ceil(self.window_s - (now - start)))
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 10_000:
                self._prune(now)
        return None

    def _prune(self, now: float) -> None:
        stale = [k for k, (start, _) in self._windows.items() if now - start >= self.window_s]
        for key in stale:
            del self._windows[key]
