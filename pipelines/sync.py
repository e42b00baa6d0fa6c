"""One `vendorsync sync` (and the demo): the present of every vendor, the marts, then the history
a first sync left to fill (`pipelines.history`), in rounds: every `refresh_minutes` of history
the present is synced again and the marts rebuilt, so a fill of days never leaves today out of
the marts. The caller holds the sync lock."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import ledger, transform
from .backfill import merged_result
from .history import HistorySettings, SliceSizer, days_in, fill_vendor, history_left, last_slice
from .lock import LockBusy, vendor_lock
from .logs import event
from .runner import VendorResult, run_vendors
from .settings import Paths
from .transform import DbtResult
from .vendors import Vendor


@dataclass
class SyncOutcome:
    present: list[VendorResult]                                     # the last sync of the present
    history: list[VendorResult] = field(default_factory=list)      # per vendor and round that filled history
    built: DbtResult | None = None

    @property
    def results(self) -> list[VendorResult]:
        return self.present + self.history


def run_sync(paths: Paths, vendors: list[Vendor], *, command: str = "sync",
             resources: dict[str, list[str] | None] | None = None, full_refresh: bool = False,
             build_marts: bool = True, history_minutes: float | None = None) -> SyncOutcome:
    """Sync the present, build the marts, then fill history for at most `history_minutes`
    (None: until it is all loaded). A sync of chosen resources fills no history. Where one
    slice per vendor fills what is left, the marts are built once, after it."""
    settings = HistorySettings.from_config()
    deadline = time.monotonic() + (history_minutes * 60 if history_minutes is not None else float("inf"))
    outcome = SyncOutcome(_present(paths, vendors, command, resources, full_refresh, settings))
    whole_vendors = not resources or all(chosen is None for chosen in resources.values())
    sizers: dict[str, SliceSizer] = {}
    left = _history_to_fill(paths, vendors, outcome.present) if whole_vendors else {}
    if not left or time.monotonic() >= deadline or not _one_slice_each(paths, left, outcome.present, settings, sizers):
        outcome.built = _build(paths, outcome.present, build_marts)
    while left and time.monotonic() < deadline:
        until = min(deadline, time.monotonic() + settings.refresh_minutes * 60)
        filled = _fill_round(paths, list(left), settings, until, sizers)
        outcome.history += filled
        left = _history_to_fill(paths, list(left), outcome.present)
        if not left or not all(r.ok for r in filled) or time.monotonic() >= deadline:
            outcome.built = _build(paths, outcome.present + filled, build_marts) or outcome.built
            return outcome
        event("history: %g minute(s) of filling done, syncing the present before the next round",
              settings.refresh_minutes)
        outcome.present = _present(paths, vendors, command, resources, False, settings)
        outcome.built = _build(paths, outcome.present + filled, build_marts) or outcome.built
    return outcome


def _history_to_fill(paths: Paths, vendors: list[Vendor], present: list[VendorResult]) -> dict[Vendor, float]:
    """vendor -> days of history left, for the vendors whose present synced."""
    ok = {r.vendor for r in present if r.ok}
    left = {v: days_in(history_left(paths, v)) for v in vendors if v.name in ok}
    return {v: days for v, days in left.items() if days > 0}


def _one_slice_each(paths: Paths, left: dict[Vendor, float], present: list[VendorResult], settings: HistorySettings,
                    sizers: dict[str, SliceSizer]) -> bool:
    """Sizes every vendor's first slice of this run; True when each fills all it has left."""
    for vendor in left:
        sizers[vendor.name] = _first_slice(paths, vendor, present, settings.recent_days, settings.slice_rows)
    return all(sizers[v.name].span / timedelta(days=1) >= days for v, days in left.items())


def _present(paths: Paths, vendors: list[Vendor], command: str, resources: dict[str, list[str] | None] | None,
             full_refresh: bool, settings: HistorySettings) -> list[VendorResult]:
    run_id = ledger.new_run_id()
    ledger.write(paths, [ledger.running(run_id, command, v.name) for v in vendors])
    results = run_vendors(vendors, paths, resources=resources, full_refresh=full_refresh, history=settings)
    ledger.write(paths, [row for r in results for row in r.ledger_rows(run_id, command)])
    return results


def _build(paths: Paths, loaded_by: list[VendorResult], build_marts: bool) -> DbtResult | None:
    return transform.build(paths) if build_marts and any(r.loaded for r in loaded_by) else None


def _first_slice(paths: Paths, vendor: Vendor, present: list[VendorResult], recent_days: float,
                 slice_rows: int) -> SliceSizer:
    """The first slice of this run holds as many days as make `slice_rows` at the rows per day
    of the best evidence: the slice committed last (a fill that goes on), else this run's present
    if it was the vendor's first (the recent days whole), else one day. An incremental present
    says nothing of the history: a few new orders over the recent days would size a slice of
    years, and the slice would hold the memory and the kill-loss of the whole history."""
    last = last_slice(paths, vendor)
    if last is not None:
        start, end, rows = last
        sizer = SliceSizer(slice_rows, end - start)
        sizer.learn(end - start, rows)
        return sizer
    ours = [r for r in present if r.vendor == vendor.name and r.first_present]
    if not ours:
        return SliceSizer(slice_rows, timedelta(days=1))
    span = timedelta(days=max(recent_days, 1))
    sizer = SliceSizer(slice_rows, span)
    rows = sum(r.rows.get(name, 0) for r in ours for name in vendor.windowed_resources)
    if rows:
        sizer.learn(span, rows)
    return sizer


def _fill_round(paths: Paths, vendors: list[Vendor], settings: HistorySettings, until: float,
                sizers: dict[str, SliceSizer]) -> list[VendorResult]:
    """Every vendor's history until `until`, vendors side by side (loads take turns), each
    under its vendor lock (a `backfill` of it waits); one ledger row per vendor."""
    run_id = ledger.new_run_id()
    started = datetime.now(timezone.utc)
    ledger.write(paths, [ledger.running(run_id, "history", v.name) for v in vendors])

    def fill(vendor: Vendor) -> VendorResult:
        try:
            with vendor_lock(paths.lock_anchor, vendor.name, "history").acquire(wait=False):
                done = fill_vendor(paths, vendor, run_id, settings, until, sizers[vendor.name])
        except LockBusy as busy:
            now = datetime.now(timezone.utc)
            return VendorResult(vendor.name, "skipped", now, now, error=f"{vendor.name}: history skipped, {busy}",
                                error_kind="busy")
        return merged_result(vendor.name, done.results, started)

    with ThreadPoolExecutor(max_workers=len(vendors), thread_name_prefix="history") as pool:
        results = list(pool.map(fill, vendors))
    ledger.write(paths, [row for r in results for row in r.ledger_rows(run_id, "history")])
    return results
