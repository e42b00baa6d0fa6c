"""A rolling-window request limiter, as vendors document theirs
(e.g. Infigo: 50 requests per rolling 10 seconds per token)."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float        # seconds until the oldest request in the window leaves it


class RollingWindowLimiter:
    def __init__(self, limit: int, window_s: float, clock=time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque] = {}

    def hit(self, key: str) -> Decision:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            reset = self.window_s - (now - hits[0])
            return Decision(False, self.limit, 0, max(reset, 0.001))
        hits.append(now)
        reset = self.window_s - (now - hits[0])
        return Decision(True, self.limit, self.limit - len(hits), reset)
