"""Running vendors: extract and normalize concurrently, load one at a time (DuckDB allows a
single writer), record each vendor's outcome. A vendor that fails loads nothing and keeps its
cursors; the others carry on. A vendor whose listings had a gap (a part that could not be
verified, `sources.common.paging.Gaps`) loads what it read, keeps its cursors before the gap,
and fails naming it."""
from __future__ import annotations

import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dlt

# dlt imports pyarrow lazily; two vendor threads doing that at once can meet a half-initialised
# module ("partially initialized module 'pyarrow'"), so it is imported before any thread starts
import dlt.common.libs.pyarrow  # noqa: F401

from sources.common.http import RunMetrics
from sources.common.paging import Gaps

from .arrow import load_as_arrow
from .crashpoints import crash_point
from .errors import explain
from .ledger import LedgerRow
from .lock import LockBusy, vendor_lock, write_lock
from .logs import event
from .settings import Paths
from .state import adopt_warehouse_state, pending_can_finish
from .vendors import Vendor
from .warehouse import destination_for, loader_file_format

if TYPE_CHECKING:
    from .history import HistorySettings

log = logging.getLogger("vendorsync.run")
PROGRESS_EVERY_S = 15


@dataclass
class VendorResult:
    vendor: str
    status: str                                                 # success | failed | skipped
    started_at: datetime
    finished_at: datetime
    rows: dict[str, int] = field(default_factory=dict)          # resource -> rows loaded
    tables: dict[str, int] = field(default_factory=dict)        # table -> rows loaded
    requests: dict[str, dict] = field(default_factory=dict)     # resource -> request counters
    error: str | None = None
    error_kind: str | None = None
    #: a first sync's present: its rows are the whole of the recent days before the boundary
    #: (how dense the history is likely to be), not what changed since the last sync
    first_present: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def loaded(self) -> bool:
        """Rows were loaded: a success, or a failure that loaded what it read before a gap."""
        return self.ok or self.error_kind == "gap"

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def quarantined(self) -> int:
        """Rows this run wrote to the vendor's quarantine table: records it could not read and
        listing problems that named no record (`sources.common.quarantine`)."""
        return self.tables.get("quarantine", 0)

    @property
    def total_requests(self) -> int:
        return sum(m["requests"] for m in self.requests.values())

    @property
    def total_retries(self) -> int:
        return sum(m["retries"] for m in self.requests.values())

    def ledger_rows(self, run_id: str, command: str) -> list[LedgerRow]:
        out = [LedgerRow(run_id, command, self.vendor, "*", self.status, self.started_at, self.finished_at,
                         rows=sum(self.rows.values()), requests=self.total_requests,
                         retries=self.total_retries, error=self.error,
                         detail={"tables": self.tables, "requests": self.requests,
                                 "quarantined": self.quarantined})]
        for resource in sorted(set(self.rows) | set(self.requests)):
            m = self.requests.get(resource, {})
            out.append(LedgerRow(run_id, command, self.vendor, resource, self.status, self.started_at,
                                 self.finished_at, rows=self.rows.get(resource, 0),
                                 requests=m.get("requests", 0), retries=m.get("retries", 0),
                                 error=self.error))
        return out


def request_counts(metrics: RunMetrics) -> dict[str, dict]:
    """The run's counters the ledger keeps, per resource that made requests."""
    out = {}
    for resource, m in metrics.snapshot().items():
        counts = {k: m[k] for k in ("requests", "retries", "transport_errors", "malformed_bodies")}
        if any(counts.values()):
            out[resource or "(setup)"] = counts
    return out


def rows_by_resource(table_counts: dict[str, int]) -> dict[str, int]:
    """Rows of each resource's own table; nested tables (`orders__lines`) are not counted."""
    return {t: n for t, n in table_counts.items() if not t.startswith("_dlt") and "__" not in t}


class Progress:
    """A line every PROGRESS_EVERY_S while a vendor runs (phase, requests so far, time), so a
    long sync shows life on the terminal and in scheduler logs; dlt's own, more detailed
    progress log goes to the log file."""

    def __init__(self, name: str, vendor: str, metrics: RunMetrics):
        self.name, self.vendor, self.metrics = name, vendor, metrics
        self.phase = "starting"
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"progress-{name}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(PROGRESS_EVERY_S):
            requests = self.metrics.requests
            event("%s: %s ... %d requests so far, %.0fs", self.name, self.phase, requests,
                  time.monotonic() - self._started, vendor=self.vendor, phase=self.phase,
                  requests=requests)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def with_dependents(vendor: Vendor, source: Any, names: list[str]) -> list[str]:
    """`names` closed over the source's transformer edges (its `TRANSFORMERS`). dlt runs the
    parent of a selected transformer even when the parent is not selected, moving its cursor
    without loading its rows; and a resource loaded without its transformers leaves them
    behind for good (its rows are seen). So a transformer brings its parent, and a resource
    brings its transformers."""
    parent_of = vendor.transformers
    chosen = set(names)
    while True:
        grown = chosen | {parent_of[n] for n in chosen if n in parent_of} \
            | {child for child, parent in parent_of.items() if parent in chosen}
        if grown == chosen:
            return [n for n in source.resources if n in chosen]
        chosen = grown


def clear_committed_leftovers(pipeline: dlt.Pipeline) -> list[str]:
    """Remove extracted packages that dlt already committed. dlt commits a normalized package
    by renaming it into load/normalized and only then deletes its extracted copy, with a
    recursive delete that a SIGKILL can cut short; the leftover copy then looks pending, and
    normalizing it again fails on its missing job files, run after run. A copy whose load id
    is already normalized or loaded is garbage. (dlt's working-dir layout; dlt is pinned.)"""
    root = Path(pipeline.working_dir)
    removed = []
    for extracted in (root / "normalize" / "extracted").glob("*"):
        if any((root / "load" / state / extracted.name).exists() for state in ("normalized", "loaded")):
            shutil.rmtree(extracted, ignore_errors=True)
            removed.append(extracted.name)
    return removed


def run_vendor(vendor: Vendor, paths: Paths, *, resources: list[str] | None = None,
               source_args: dict | None = None, pipeline_name: str | None = None,
               destination: Any = None, arrow: bool = True, run_kind: str = "") -> VendorResult:
    """Extract, normalize and load one vendor. Never raises: the outcome is in the result.
    Pages load as Arrow tables (`pipelines.arrow`) unless `arrow` is False. `run_kind` names
    the run for the crash points (`slice`: its steps are `slice-extract`, ...)."""
    step = f"{run_kind}-" if run_kind else ""
    started = datetime.now(timezone.utc)
    metrics = RunMetrics()    # this run's requests only, whatever else runs in the process
    name = pipeline_name or vendor.pipeline_name
    tables: dict[str, int] = {}
    gaps = Gaps()       # this run's: the source notes on it what it could not verify
    try:
        with Progress(name, vendor.name, metrics) as progress:
            pipeline = dlt.pipeline(name, destination=destination or destination_for(paths),
                                    dataset_name=vendor.dataset, pipelines_dir=str(paths.pipelines_dir),
                                    progress=dlt.progress.log(PROGRESS_EVERY_S, logger=log,
                                                              log_level=logging.DEBUG))
            if clear_committed_leftovers(pipeline):
                log.debug("%s: removed the leftovers of a crash in dlt's commit", name)
            if pipeline.has_pending_data:   # a killed run left packages: finish them first
                with write_lock(paths.lock_anchor, f"state {name}"):
                    finish = pending_can_finish(pipeline)
                if finish:
                    event("%s: finishing the load an earlier run left pending", name, vendor=vendor.name)
                    progress.phase = "loading what an earlier run left pending"
                    pipeline.normalize()
                    with write_lock(paths.lock_anchor, f"load {name}"):
                        pipeline.load()
                else:
                    event("%s: discarding the load an earlier run left pending (this warehouse does not hold "
                          "the state it was extracted from, or it was half loaded): its rows are fetched again",
                          name, level=logging.WARNING, vendor=vendor.name)
                    pipeline.drop()
            pipeline = adopt_warehouse_state(pipeline, paths)
            source = vendor.load().source(**(source_args or {}), gaps=gaps, metrics=metrics)
            if resources:
                source = source.with_resources(*with_dependents(vendor, source, resources))
            if arrow:
                load_as_arrow(source, vendor.transformers, pipeline.schemas.get(source.schema.name)
                              if source.schema.name in pipeline.schema_names else None)
            t0 = time.monotonic()
            progress.phase = "extracting"
            with crash_point(step + "extract"):
                pipeline.extract(source, loader_file_format=loader_file_format(paths))
            t1 = time.monotonic()
            progress.phase = "normalizing"
            with crash_point(step + "normalize"):
                info = pipeline.normalize()
            t2 = time.monotonic()
            tables = dict(info.row_counts) if info else {}
            progress.phase = "waiting for the warehouse"
            with write_lock(paths.lock_anchor, f"load {name}"):
                t3 = time.monotonic()
                progress.phase = "loading"
                with crash_point(step + "load"):
                    pipeline.load()
            t4 = time.monotonic()
        log.debug("%s: extract %.1fs normalize %.1fs load wait %.1fs load %.1fs", name,
                  t1 - t0, t2 - t1, t3 - t2, t4 - t3)
        status, error, kind = "success", None, None
        if gaps:    # raised after the load: what was read is in, the cursors stop before the gap
            status, error, kind = "failed", gaps.describe(vendor.name), "gap"
    except Exception as exc:  # one vendor's failure must not stop the others
        error, kind = explain(exc, vendor.name)
        log.debug("%s failed", name, exc_info=True)
        status, tables = "failed", {}
    finished = datetime.now(timezone.utc)
    result = VendorResult(vendor.name, status, started, finished, rows_by_resource(tables),
                          {t: n for t, n in tables.items() if not t.startswith("_dlt")},
                          request_counts(metrics), error, kind)
    if result.loaded:
        event("%s: loaded %d rows (%s) with %d requests in %.1fs", vendor.name, sum(result.rows.values()),
              ", ".join(f"{r} {n}" for r, n in sorted(result.rows.items())) or "nothing new",
              result.total_requests, result.seconds, vendor=vendor.name, rows=result.rows,
              requests=result.total_requests, status=result.status)
    if not result.ok:
        event("%s: FAILED: %s", vendor.name, error, level=logging.ERROR, vendor=vendor.name,
              status="failed", error=error)
    return result


def sync_vendor(vendor: Vendor, paths: Paths, resources: list[str] | None = None,
                source_args: dict | None = None, full_refresh: bool = False,
                history: HistorySettings | None = None) -> VendorResult:
    """A scheduled sync of one vendor: skipped (not failed) while a backfill holds the vendor.
    With `full_refresh`, the chosen resources' cursors are reset first (`pipelines.reset`),
    under the same hold of the vendor, so no backfill starts between the reset and the reload.
    With `history` settings, a first sync loads only the present and plans the history
    (`pipelines.history`); every later sync starts at the planned boundary."""
    try:
        lock = vendor_lock(paths.lock_anchor, vendor.name, "sync").acquire(wait=False)
    except LockBusy as busy:
        now = datetime.now(timezone.utc)
        reason = f"{vendor.name}: skipped, {busy}"
        event("%s", reason, vendor=vendor.name, status="skipped")
        return VendorResult(vendor.name, "skipped", now, now, error=reason, error_kind="busy")
    with lock:
        started = datetime.now(timezone.utc)
        try:
            if full_refresh:
                from .reset import reset_vendor

                reset_vendor(vendor, paths, resources)
            first_present = False
            if history is not None:
                from .history import has_sync_state, plan_first_sync

                has_state = has_sync_state(paths, vendor)
                boundary = plan_first_sync(paths, vendor, has_state, history)
                if boundary is not None:
                    source_args = {"present_from": boundary.isoformat(), **(source_args or {})}
                    first_present = not has_state
        except Exception as exc:  # the vendor fails alone, with its cursors as they were
            error, kind = explain(exc, vendor.name)
            log.debug("%s: reset or history plan failed", vendor.name, exc_info=True)
            event("%s: FAILED: %s", vendor.name, error, level=logging.ERROR, vendor=vendor.name,
                  status="failed", error=error)
            return VendorResult(vendor.name, "failed", started, datetime.now(timezone.utc), error=error,
                                error_kind=kind)
        result = run_vendor(vendor, paths, resources=resources, source_args=source_args)
        result.first_present = first_present
        return result


def run_vendors(vendors: list[Vendor], paths: Paths, *, resources: dict[str, list[str] | None] | None = None,
                source_args: dict[str, dict] | None = None, full_refresh: bool = False,
                history: HistorySettings | None = None) -> list[VendorResult]:
    """All vendors at once, each in its own thread; loads take turns on the warehouse."""
    event("syncing %s", ", ".join(v.name for v in vendors), vendors=[v.name for v in vendors])
    with ThreadPoolExecutor(max_workers=max(1, len(vendors)), thread_name_prefix="vendor") as pool:
        futures = [pool.submit(sync_vendor, v, paths, (resources or {}).get(v.name),
                               (source_args or {}).get(v.name), full_refresh, history) for v in vendors]
        return [f.result() for f in futures]
