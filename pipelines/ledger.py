"""The run ledger: one row per (run, vendor, resource) in `ops.run_ledger` of the warehouse,
written through dlt so it lands in whatever destination the warehouse is."""
from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt

from sources.common.hints import UTC_TS, TEXT, BIGINT, columns
from sources.common.redact import redact

DATASET = "ops"
TABLE = "run_ledger"
PIPELINE = "vendorsync_ops"
#: DuckDB takes one writer at a time: every load into the warehouse from this process
#: (vendor loads and ledger writes) goes through this lock.
WAREHOUSE_WRITE_LOCK = threading.Lock()


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@dataclass
class LedgerRow:
    run_id: str
    command: str
    vendor: str
    resource: str                 # "*" = the vendor as a whole
    status: str                   # running | success | failed
    started_at: datetime
    finished_at: datetime | None = None
    rows: int = 0
    requests: int = 0
    retries: int = 0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict:
        row = asdict(self)
        row["error"] = redact(self.error) if self.error else None
        return row


def write(rows: list[LedgerRow], destination: Any, pipelines_dir: str) -> None:
    if not rows:
        return
    resource = dlt.resource(
        [r.record() for r in rows], name=TABLE, write_disposition="merge",
        primary_key=("run_id", "vendor", "resource"),
        columns=columns(started_at=UTC_TS, finished_at=UTC_TS, error=TEXT, rows=BIGINT,
                        requests=BIGINT, retries=BIGINT, detail={"data_type": "json"}))
    pipeline = dlt.pipeline(PIPELINE, destination=destination, dataset_name=DATASET,
                            pipelines_dir=pipelines_dir)
    with WAREHOUSE_WRITE_LOCK:
        pipeline.run(resource, loader_file_format="jsonl")
