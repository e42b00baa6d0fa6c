"""Running vendors: extract and normalize concurrently, load one at a time (DuckDB allows a
single writer), record each vendor's outcome. A vendor that fails loads nothing and keeps its
cursors; the others carry on."""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt

from sources.common.http import metrics_snapshot

from .errors import explain
from .ledger import WAREHOUSE_WRITE_LOCK, LedgerRow
from .logs import event
from .settings import Paths
from .vendors import Vendor

log = logging.getLogger("vendorsync.run")


def destination_for(paths: Paths) -> Any:
    return dlt.destinations.duckdb(str(paths.warehouse))


@dataclass
class VendorResult:
    vendor: str
    ok: bool
    started_at: datetime
    finished_at: datetime
    rows: dict[str, int] = field(default_factory=dict)          # resource -> rows loaded
    tables: dict[str, int] = field(default_factory=dict)        # table -> rows loaded
    requests: dict[str, dict] = field(default_factory=dict)     # resource -> request counters
    error: str | None = None
    error_kind: str | None = None

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def total_requests(self) -> int:
        return sum(m["requests"] for m in self.requests.values())

    @property
    def total_retries(self) -> int:
        return sum(m["retries"] for m in self.requests.values())

    def ledger_rows(self, run_id: str, command: str) -> list[LedgerRow]:
        status = "success" if self.ok else "failed"
        out = [LedgerRow(run_id, command, self.vendor, "*", status, self.started_at, self.finished_at,
                         rows=sum(self.rows.values()), requests=self.total_requests,
                         retries=self.total_retries, error=self.error,
                         detail={"tables": self.tables})]
        for resource in sorted(set(self.rows) | {r for r in self.requests if r}):
            m = self.requests.get(resource, {})
            out.append(LedgerRow(run_id, command, self.vendor, resource, status, self.started_at,
                                 self.finished_at, rows=self.rows.get(resource, 0),
                                 requests=m.get("requests", 0), retries=m.get("retries", 0),
                                 error=self.error if not self.ok else None))
        return out


def _diff(after: dict[str, dict], before: dict[str, dict]) -> dict[str, dict]:
    out = {}
    for resource, m in after.items():
        b = before.get(resource, {})
        delta = {k: m[k] - b.get(k, 0) for k in ("requests", "retries", "transport_errors", "malformed_bodies")}
        if any(delta.values()):
            out[resource or "(setup)"] = delta
    return out


def rows_by_resource(table_counts: dict[str, int]) -> dict[str, int]:
    """Nested tables (`orders__lines`) count toward their resource (`orders`)."""
    out: dict[str, int] = {}
    for table, n in table_counts.items():
        if table.startswith("_dlt"):
            continue
        resource = table.split("__", 1)[0]
        if "__" not in table:
            out[resource] = out.get(resource, 0) + n
    return out


def with_dependents(source: Any, names: list[str]) -> list[str]:
    """`names` closed over transformer edges. dlt runs the parent of a selected transformer
    even when the parent is not selected, moving its cursor without loading its rows; and a
    resource loaded without its transformers leaves them behind for good (its rows are seen).
    So a transformer brings its parent, and a resource brings its transformers."""
    parent_of = {name: r._pipe.parent.name for name, r in source.resources.items()   # dlt has no public accessor
                 if r.is_transformer and r._pipe.parent is not None}
    chosen = set(names)
    while True:
        grown = chosen | {parent_of[n] for n in chosen if n in parent_of} \
            | {child for child, parent in parent_of.items() if parent in chosen}
        if grown == chosen:
            return [n for n in source.resources if n in chosen]
        chosen = grown


def run_vendor(vendor: Vendor, paths: Paths, *, resources: list[str] | None = None,
               source_args: dict | None = None, pipeline_name: str | None = None,
               destination: Any = None) -> VendorResult:
    """Extract, normalize and load one vendor. Never raises: the outcome is in the result."""
    started = datetime.now(timezone.utc)
    before = metrics_snapshot(vendor.name)
    tables: dict[str, int] = {}
    try:
        pipeline = dlt.pipeline(pipeline_name or vendor.pipeline_name,
                                destination=destination or destination_for(paths),
                                dataset_name=vendor.dataset, pipelines_dir=str(paths.pipelines_dir))
        if pipeline.has_pending_data:   # a crashed run left packages: finish them first
            event("%s: finishing the load an earlier run left pending", vendor.name, vendor=vendor.name)
            pipeline.normalize()
            with WAREHOUSE_WRITE_LOCK:
                pipeline.load()
        source = vendor.load().source(**(source_args or {}))
        if resources:
            source = source.with_resources(*with_dependents(source, resources))
        t0 = time.monotonic()
        pipeline.extract(source, loader_file_format="parquet")
        t1 = time.monotonic()
        info = pipeline.normalize()
        t2 = time.monotonic()
        tables = dict(pipeline.last_trace.last_normalize_info.row_counts) if info else {}
        with WAREHOUSE_WRITE_LOCK:
            t3 = time.monotonic()
            pipeline.load()
        t4 = time.monotonic()
        log.debug("%s: extract %.1fs normalize %.1fs load wait %.1fs load %.1fs", vendor.name,
                  t1 - t0, t2 - t1, t3 - t2, t4 - t3)
        ok, error, kind = True, None, None
    except Exception as exc:  # one vendor's failure must not stop the others
        error, kind = explain(exc, vendor.name)
        log.debug("%s failed", vendor.name, exc_info=True)
        ok = False
        tables = {}
    finished = datetime.now(timezone.utc)
    result = VendorResult(vendor.name, ok, started, finished, rows_by_resource(tables),
                          {t: n for t, n in tables.items() if not t.startswith("_dlt")},
                          _diff(metrics_snapshot(vendor.name), before), error, kind)
    if ok:
        event("%s: loaded %d rows (%s) with %d requests in %.1fs", vendor.name, sum(result.rows.values()),
              ", ".join(f"{r} {n}" for r, n in sorted(result.rows.items())) or "nothing new",
              result.total_requests, result.seconds, vendor=vendor.name, rows=result.rows,
              requests=result.total_requests, status="success")
    else:
        event("%s: FAILED: %s", vendor.name, error, level=logging.ERROR, vendor=vendor.name,
              status="failed", error=error)
    return result


def run_vendors(vendors: list[Vendor], paths: Paths, *, resources: dict[str, list[str] | None] | None = None,
                source_args: dict[str, dict] | None = None) -> list[VendorResult]:
    """All vendors at once, each in its own thread; loads take turns on the warehouse."""
    event("syncing %s", ", ".join(v.name for v in vendors), vendors=[v.name for v in vendors])
    with ThreadPoolExecutor(max_workers=max(1, len(vendors)), thread_name_prefix="vendor") as pool:
        futures = [pool.submit(run_vendor, v, paths, resources=(resources or {}).get(v.name),
                               source_args=(source_args or {}).get(v.name)) for v in vendors]
        return [f.result() for f in futures]
