"""The warehouse as dlt sees it: the destination every pipeline of a run loads into."""
from __future__ import annotations

from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from .lock import write_lock
from .settings import Paths

#: the pipeline whose dataset holds the ops tables (ledger, backfill progress); also the
#: handle used for plain queries on the warehouse
OPS_PIPELINE = "vendorsync_ops"
OPS_DATASET = "ops"


def destination_for(paths: Paths) -> Any:
    """DuckDB at `paths.warehouse` (the embedded default)."""
    return dlt.destinations.duckdb(str(paths.warehouse))


def ops_pipeline(paths: Paths) -> dlt.Pipeline:
    return dlt.pipeline(OPS_PIPELINE, destination=destination_for(paths), dataset_name=OPS_DATASET,
                        pipelines_dir=str(paths.pipelines_dir))


def query(paths: Paths, sql: str) -> list[tuple]:
    """Rows of a query on the warehouse through dlt's client for its destination; empty when
    a table it reads does not exist yet. Waits for the current writer (DuckDB)."""
    with write_lock(paths.warehouse, "read"):
        try:
            with ops_pipeline(paths).sql_client() as client:
                return list(client.execute_sql(sql) or [])
        except DatabaseUndefinedRelation:
            return []
