"""The sync state belongs to the warehouse it describes.

dlt keeps a pipeline's state (the cursors) twice: in a local working folder and in the
`_dlt_pipeline_state` table of the dataset, loaded in the same package as the rows it
describes. Only the warehouse's copy is the truth. The local folder is scratch, laid anew from
the warehouse at the start of every run (`Pipeline.drop()`, then `Pipeline.sync_destination()`,
both public dlt API), so a new, deleted, restored-from-an-older-copy or other warehouse gets
the cursors of exactly what it holds, and the run loads what it lacks.

The one thing taken from the local folder is a package a killed run extracted but did not load.
It is finished when it was extracted from the state the warehouse holds (a run extracts once,
so its state is at most one version ahead), and discarded otherwise: the warehouse was replaced
in between, and the package's state would claim rows the warehouse never got. Its rows are
fetched again.
"""
from __future__ import annotations

import logging

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.common.destination.exceptions import DestinationUndefinedEntity

from .lock import write_lock
from .logs import event
from .settings import Paths

log = logging.getLogger("vendorsync.state")


def warehouse_state(pipeline: dlt.Pipeline) -> tuple[int, str] | None:
    """(version, version hash) of the newest state of `pipeline` that the warehouse holds from
    a completed load, picked as dlt picks it when it restores (the newest load); None when
    it holds none. dlt writes the state row with its load and counts the load only once
    `_dlt_loads` says so."""
    try:
        with pipeline.sql_client() as client:
            rows = client.execute_sql(
                f"select s.version, s.version_hash from {client.make_qualified_table_name('_dlt_pipeline_state')} "
                f"as s join {client.make_qualified_table_name('_dlt_loads')} as l on l.load_id = s._dlt_load_id "
                "where s.pipeline_name = %s and l.status = 0 order by l.load_id desc limit 1",
                pipeline.pipeline_name)
    except (DatabaseUndefinedRelation, DestinationUndefinedEntity):
        return None
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def pending_matches_warehouse(pipeline: dlt.Pipeline) -> bool:
    """Whether the package a killed run left was extracted from the state this warehouse holds."""
    held = warehouse_state(pipeline)
    return pipeline.state.get("_state_version", 0) - (held[0] if held else 0) <= 1


def adopt_warehouse_state(pipeline: dlt.Pipeline, paths: Paths) -> dlt.Pipeline:
    """Replace the local working folder by the warehouse's state and schemas. Call with no
    pending packages (finish or discard them first)."""
    before = pipeline.state.get("_state_version", 0) if pipeline.default_schema_name else 0
    with write_lock(paths.lock_anchor, f"state {pipeline.pipeline_name}"):
        held = warehouse_state(pipeline)
        if held is not None and pipeline.default_schema_name \
                and held == (before, pipeline.state.get("_version_hash")):
            return pipeline          # the local copy is the warehouse's state: keep it (0.3 s less)
        pipeline.drop()
        pipeline.sync_destination()
    after = pipeline.state.get("_state_version", 0) if pipeline.default_schema_name else 0
    if before > after:
        event("%s: the warehouse holds an older state than this machine had (version %d, not %d: a new, "
              "deleted or restored warehouse); loading what it lacks", pipeline.pipeline_name, after, before,
              level=logging.WARNING, pipeline=pipeline.pipeline_name, warehouse_version=after,
              local_version=before)
    return pipeline
