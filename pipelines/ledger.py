"""The run ledger: one row per (run, vendor, resource) in `ops.run_ledger` of the warehouse,
written through dlt so it lands in whatever destination the warehouse is."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt

from sources.common.hints import BIGINT, TEXT, UTC_TS, columns
from sources.common.redact import redact

from .lock import write_lock
from .settings import Paths
from .warehouse import OPS_DATASET, loader_file_format, ops_pipeline

DATASET = OPS_DATASET
TABLE = "run_ledger"


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@dataclass
class LedgerRow:
    run_id: str
    command: str
    vendor: str
    resource: str                 # "*" = the vendor as a whole
    status: str                   # running | success | failed | skipped
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


def running(run_id: str, command: str, vendor: str) -> LedgerRow:
    """The row a run writes when it starts: a run killed mid-way stays visible as `running`."""
    return LedgerRow(run_id, command, vendor, "*", "running", datetime.now(timezone.utc))


def write(paths: Paths, rows: list[LedgerRow]) -> None:
    if not rows:
        return
    write_table(paths, TABLE, [r.record() for r in rows], ("run_id", "vendor", "resource"),
                columns(started_at=UTC_TS, finished_at=UTC_TS, error=TEXT, rows=BIGINT,
                        requests=BIGINT, retries=BIGINT, detail={"data_type": "json"}))


def write_table(paths: Paths, table: str, records: list[dict], key: tuple[str, ...], hints: dict) -> None:
    """Merge `records` into `ops.<table>` (the ops dataset holds the ledger and backfill progress)."""
    resource = dlt.resource(records, name=table, write_disposition="merge", primary_key=key, columns=hints)
    with write_lock(paths.lock_anchor, "ledger"):
        ops_pipeline(paths).run(resource, loader_file_format=loader_file_format(paths, bulk=False))
