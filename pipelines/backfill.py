"""`vendorsync backfill`: reload a historical window in chunks, without touching the sync's
cursors, resumable.

Each chunk runs through its own dlt pipeline (`vendorsync_<vendor>_backfill_<worker>`) with
the source's `start_date`/`end_date` set to the chunk, so dlt keeps no incremental state for
it; rows merge into the same raw tables as the sync (no duplicates). A finished chunk is
recorded in `ops.backfill_chunks`; a rerun of the same backfill skips every chunk already
covered, so an interrupted backfill resumes where it stopped. The backfill holds the vendor's
lock for its whole run: scheduled syncs skip that vendor meanwhile and carry on with the others.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sources.common.hints import BIGINT, DOUBLE, UTC_TS, columns
from sources.common.timeutil import windows

from . import ledger
from .logs import event
from .runner import VendorResult, run_vendor
from .settings import Paths
from .vendors import Vendor
from .warehouse import query

log = logging.getLogger("vendorsync.backfill")
TABLE = "backfill_chunks"


def parse_chunk(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([dh])\s*", text or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"--chunk must be a positive number of days or hours like 7d or 12h, not {text!r}")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(days=n) if unit == "d" else timedelta(hours=n)


@dataclass
class BackfillOutcome:
    chunks: int
    skipped: int                              # already done by an earlier run
    done: int = 0
    failed: list[str] = field(default_factory=list)
    results: list[VendorResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and self.skipped + self.done == self.chunks


def covered_intervals(paths: Paths, vendor: str) -> list[tuple[datetime, datetime, set[str]]]:
    rows = query(paths, f"select chunk_start, chunk_end, resources from {ledger.DATASET}.{TABLE} "
                              f"where vendor = '{vendor}'")
    return [(_utc(a), _utc(b), set(str(r).split(","))) for a, b, r in rows]


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def is_covered(chunk: tuple[datetime, datetime], resources: list[str],
               done: list[tuple[datetime, datetime, set[str]]]) -> bool:
    a, b = chunk
    return any(s <= a and b <= e and set(resources) <= names for s, e, names in done)


def record_chunk(paths: Paths, vendor: Vendor, resources: list[str], start: datetime, end: datetime,
                 result: VendorResult, run_id: str, seconds: float) -> None:
    """`[start, end)` of `resources` is loaded: written once its rows are (a kill in between
    fetches the chunk again, and its rows merge on their keys)."""
    ledger.write_table(paths, TABLE, [{
        "vendor": vendor.name, "resources": ",".join(sorted(resources)), "chunk_start": start,
        "chunk_end": end, "rows": sum(result.rows.values()), "requests": result.total_requests,
        "seconds": round(seconds, 3), "run_id": run_id, "finished_at": datetime.now(timezone.utc)}],
        key=("vendor", "resources", "chunk_start", "chunk_end"),
        hints=columns(chunk_start=UTC_TS, chunk_end=UTC_TS, finished_at=UTC_TS, rows=BIGINT, requests=BIGINT,
                      seconds=DOUBLE))


def run_backfill(paths: Paths, vendor: Vendor, resources: list[str], start: datetime, end: datetime,
                 chunk: timedelta, workers: int, run_id: str) -> BackfillOutcome:
    chunks = windows(start, end, chunk)
    done = covered_intervals(paths, vendor.name)
    todo = [c for c in chunks if not is_covered(c, resources, done)]
    outcome = BackfillOutcome(len(chunks), len(chunks) - len(todo))
    event("backfill %s %s [%s, %s): %d chunks of %s, %d done earlier, %d to go, %d worker(s)",
          vendor.name, ",".join(resources), start.date(), end.date(), len(chunks), chunk, outcome.skipped,
          len(todo), workers, vendor=vendor.name, chunks=len(chunks), todo=len(todo))
    stop = threading.Event()
    lock = threading.Lock()
    slots = iter(range(len(todo)))

    def work(worker: int) -> None:
        while not stop.is_set():
            with lock:
                index = next(slots, None)
            if index is None:
                return
            a, b = todo[index]
            started = time.monotonic()
            result = run_vendor(vendor, paths, resources=resources,
                                source_args={"start_date": a.isoformat(), "end_date": b.isoformat()},
                                pipeline_name=f"{vendor.pipeline_name}_backfill_{worker}")
            with lock:
                outcome.results.append(result)
            if not result.ok:
                stop.set()           # do not hammer a vendor that refuses; resume later
                with lock:
                    outcome.failed.append(f"[{a:%Y-%m-%d %H:%M}, {b:%Y-%m-%d %H:%M}): {result.error}")
                return
            record_chunk(paths, vendor, resources, a, b, result, run_id, time.monotonic() - started)
            with lock:
                outcome.done += 1
                progress = outcome.skipped + outcome.done
            event("backfill %s: chunk [%s, %s) loaded %d rows (%d/%d)", vendor.name, f"{a:%Y-%m-%d %H:%M}",
                  f"{b:%Y-%m-%d %H:%M}", sum(result.rows.values()), progress, len(chunks),
                  vendor=vendor.name, chunk_start=a.isoformat(), progress=progress)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="backfill")
    try:
        for future in [pool.submit(work, k) for k in range(max(1, min(workers, len(todo) or 1)))]:
            future.result()
    except KeyboardInterrupt:
        stop.set()
        event("backfill %s interrupted: finishing the chunks in flight; rerun the same command to resume",
              vendor.name, level=logging.WARNING)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
    return outcome


def merged_result(vendor: str, results: list[VendorResult], started: datetime) -> VendorResult:
    """One ledger-shaped result for the whole backfill run."""
    rows: dict[str, int] = {}
    tables: dict[str, int] = {}
    requests: dict[str, dict] = {}
    for r in results:
        for k, v in r.rows.items():
            rows[k] = rows.get(k, 0) + v
        for k, v in r.tables.items():
            tables[k] = tables.get(k, 0) + v
        for k, m in r.requests.items():
            acc = requests.setdefault(k, {})
            for name, v in m.items():
                acc[name] = acc.get(name, 0) + v
    failed = [r for r in results if not r.ok]
    return VendorResult(vendor, "failed" if failed else "success", started, datetime.now(timezone.utc),
                        rows, tables, requests, failed[0].error if failed else None,
                        failed[0].error_kind if failed else None)
