"""Skip records already loaded when a window is scanned again.

APIs without a "changed since" filter force a re-scan of a recent window (the lookback) on
every run. `ChangeFilter` remembers, in the resource's dlt state, the version of each record
seen inside that window, so an unchanged record is not loaded again and the second of two
back-to-back runs loads nothing. The state holds only records inside the horizon.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import dlt
import orjson

from .errors import VendorDataError


class ChangeFilter:
    def __init__(self, state: dict | None, horizon_start: datetime | None):
        """`state` is `dlt.current.resource_state()` (None disables the filter, e.g. in a
        backfill, which must not touch the incremental state); records whose window time is
        before `horizon_start` are forgotten."""
        self._seen: dict | None = None if state is None else state.setdefault("seen_versions", {})
        self._horizon = horizon_start.isoformat() if horizon_start else None
        if self._seen is not None and self._horizon:
            for key in [k for k, (_, at) in self._seen.items() if at < self._horizon]:
                del self._seen[key]

    def is_new(self, key: str, version: str, at: datetime) -> bool:
        """True (and remembered) when `key` was not loaded before in this `version`."""
        if self._seen is None:
            return True
        previous = self._seen.get(key)
        if previous is not None and previous[0] == version:
            return False
        self._seen[key] = (version, at.isoformat())
        return True

    def newest(self) -> datetime | None:
        """The newest window time among the records remembered: a record an earlier run loaded
        inside the horizon, so a re-read of the window must find it (or a record after it)."""
        if not self._seen:
            return None
        return datetime.fromisoformat(max(at for _, at in self._seen.values()))

    def forget_before(self, horizon: datetime) -> None:
        """Drop records older than `horizon` now, rather than at the next run: after a long
        first scan only the part the next run re-reads needs remembering."""
        if self._seen is not None:
            cut = horizon.isoformat()
            for key in [k for k, (_, at) in self._seen.items() if at < cut]:
                del self._seen[key]


#: a complete snapshot may shrink by at most this share of the last one in one run: beyond,
#: it is more likely a vendor glitch (an empty or cut list) than real deletions, and loading it
#: would mark those records deleted. `[vendorsync] max_snapshot_drop` overrides it (1 = off).
MAX_SNAPSHOT_DROP = 0.5


def snapshot_changed(state: dict, key: str, rows: list) -> bool:
    """True when a full snapshot differs from the one loaded last time (remembered as a hash
    in the resource state). An unchanged snapshot need not be loaded again: SCD2 retires rows
    only when a snapshot is loaded, so skipping one changes nothing in the warehouse.

    A snapshot that lost more than `max_snapshot_drop` of the last one's records is refused
    with an error instead (nothing is retired, the run fails, the next one tries again)."""
    previous = state.get(f"{key}_rows")
    limit = float(dlt.config.get("vendorsync.max_snapshot_drop") or MAX_SNAPSHOT_DROP)
    if previous and len(rows) < previous * (1 - limit):
        vendor = dlt.current.source_schema().name
        raise VendorDataError(
            vendor, f"{dlt.current.resource_name()}: the complete list has {len(rows)} records where the "
                    f"last had {previous}; refusing to mark {previous - len(rows)} of them deleted at once "
                    "(a cut list is likelier than real deletions). If they are really gone, rerun with "
                    f"VENDORSYNC__MAX_SNAPSHOT_DROP=1.")
    digest = hashlib.sha256(orjson.dumps(rows, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()
    if state.get(key) == digest:
        return False
    state[key] = digest
    state[f"{key}_rows"] = len(rows)
    return True
