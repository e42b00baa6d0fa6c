"""The run ledger: one row per (run, vendor, resource) in `ops.run_ledger` of the warehouse,
written through dlt so it lands in whatever destination the warehouse is."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseTerminalException, DatabaseUndefinedRelation

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
    """Merge `records` into `ops.<table>` (the ops dataset holds the ledger and backfill progress).

    The first write goes through dlt, which creates the table from `hints`; later ones are one
    delete-and-insert transaction through dlt's SQL client. A dlt run costs about 2 s of fixed
    work (config, extract, normalize, load), paid twice per sync and once per backfill chunk,
    where the statements take milliseconds. A write the table cannot take as it is (a new
    column) goes through dlt again, which evolves the table."""
    with write_lock(paths.lock_anchor, "ledger"):
        pipeline = ops_pipeline(paths)
        if _merge_rows(pipeline, table, records, key):
            return
        resource = dlt.resource(records, name=table, write_disposition="merge", primary_key=key, columns=hints)
        pipeline.run(resource, loader_file_format=loader_file_format(paths, bulk=False))


def _merge_rows(pipeline: dlt.Pipeline, table: str, records: list[dict], key: tuple[str, ...]) -> bool:
    """`records` merged on `key` into the existing `table`, in one transaction; False (nothing
    written) when the table does not exist yet or lacks a column."""
    load_id = f"{time.time():.6f}"          # dlt's own load ids are Unix times too
    names = sorted({name for record in records for name in record})
    columns_sql = ", ".join(f'"{n}"' for n in [*names, "_dlt_load_id", "_dlt_id"])
    marks = ", ".join(["%s"] * (len(names) + 2))
    where = " and ".join(f'"{k}" = %s' for k in key)
    try:
        with pipeline.sql_client() as client:
            qualified = client.make_qualified_table_name(table)
            with client.begin_transaction():
                for record in records:
                    client.execute_sql(f"delete from {qualified} where {where}", *[record[k] for k in key])
                    values = [_sql_value(record.get(n)) for n in names]
                    client.execute_sql(f"insert into {qualified} ({columns_sql}) values ({marks})",
                                       *values, load_id, uuid.uuid4().hex[:14])
    except (DatabaseUndefinedRelation, DatabaseTerminalException):
        return False
    return True


def _sql_value(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, (dict, list)) else value
