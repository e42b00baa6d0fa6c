"""Look-backs measured from the last successful sync as well as from now.

Records that change after the fact (refunds, voids, late arrivals) are caught by re-reading a
recent window on every sync. A window anchored only to now (`now - lag`) loses every change
made during a gap longer than the window's slack: at the last sync, records older than
`last sync - lag` had settled; the ones placed after it could change during the gap, and
`now - lag` no longer reaches back to them. So the window starts at
`min(last successful sync, now) - lag`, however long the gap.

The last sync's instant lives in the resource's dlt state, which dlt commits in the same load
as the rows it describes: a run that fails loads neither, and the next one re-reads from the
sync before. Record the vendor's clock from *before* the run's first read (`Horizon.mark`):
anything that changed after that instant is inside the next run's window.

Look-backs built on a dlt `incremental` cursor with `lag` need none of this: their window
starts at the newest record loaded minus the lag, which is never after the last sync.
"""
from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .timeutil import parse_utc

#: the resource-state key holding the vendor time a sync's reads started at
SYNCED_AT = "synced_at"


def lookback_start(last_sync: datetime | None, now: datetime | None, lag: timedelta) -> datetime:
    """`min(last_sync, now) - lag`: the start of a look-back window that re-reads whatever may
    have changed since the last successful sync. Either instant may be unknown (None), not both."""
    anchors = [t for t in (last_sync, now) if t is not None]
    if not anchors:
        raise ValueError("a look-back needs the last sync's time or now")
    return min(anchors) - lag


@dataclass
class Horizon:
    """The instant the last successful sync of a resource read the vendor at, kept in the
    resource's dlt state (None in a backfill: it must not touch the state)."""

    state: MutableMapping | None
    key: str = SYNCED_AT

    @property
    def last_sync(self) -> datetime | None:
        """When the last successful sync started reading (None on a first sync, in a backfill,
        or in a state written before the horizon was kept)."""
        return parse_utc(self.state.get(self.key)) if self.state is not None else None

    def window_start(self, now: datetime | None, lag: timedelta) -> datetime:
        return lookback_start(self.last_sync, now, lag)

    def mark(self, read_from: datetime) -> None:
        """Record that this run read everything as of `read_from` (the vendor's clock before
        its first read). Call it where the state is saved: it commits with the run's rows."""
        if self.state is not None:
            self.state[self.key] = read_from.isoformat()
