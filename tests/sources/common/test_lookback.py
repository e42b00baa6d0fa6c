"""`sources.common.lookback`: the look-back window starts at the earlier of the last successful
sync and now, minus the lag; the last sync's instant lives in the resource state it is given."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sources.common.lookback import Horizon, lookback_start

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)
LAG = timedelta(days=45)


def test_a_gap_reaches_back_to_the_last_sync():
    last = NOW - timedelta(days=30)
    assert lookback_start(last, NOW, LAG) == last - LAG          # not NOW - LAG: the gap is re-read


def test_a_last_sync_ahead_of_now_does_not_narrow_the_window():
    # a vendor clock set back (or a restored state) never moves the window past now - lag
    assert lookback_start(NOW + timedelta(hours=3), NOW, LAG) == NOW - LAG


def test_either_anchor_alone_is_enough_but_not_neither():
    assert lookback_start(None, NOW, LAG) == NOW - LAG
    assert lookback_start(NOW, None, LAG) == NOW - LAG
    with pytest.raises(ValueError):
        lookback_start(None, None, LAG)


def test_the_horizon_round_trips_through_the_state_and_a_backfill_keeps_none():
    state: dict = {}
    horizon = Horizon(state)
    assert horizon.last_sync is None and horizon.window_start(NOW, LAG) == NOW - LAG
    horizon.mark(NOW - timedelta(days=31))
    assert Horizon(state).last_sync == NOW - timedelta(days=31)
    assert Horizon(state).window_start(NOW, LAG) == NOW - timedelta(days=31) - LAG
    backfill = Horizon(None)
    backfill.mark(NOW)
    assert backfill.last_sync is None
