"""The simulated clock. Time only moves when someone advances it, so a test sees a frozen
world between two `advance` calls and every run from the same seed sees the same data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: Default end of the generated history ("now" when the sandbox starts). Fixed, so worlds
#: are reproducible; it lies in the past, so a client using its own wall clock never asks
#: for data the sandbox has not generated.
DEFAULT_NOW = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)


class SimClock:
    def __init__(self, now: datetime = DEFAULT_NOW):
        if now.tzinfo is None:
            raise ValueError("SimClock needs an aware datetime")
        self._now = now.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._now += delta
        return self._now
