"""The sync state belongs to the warehouse it describes.

dlt keeps a pipeline's state (the cursors) twice: in a local working folder and in the
`_dlt_pipeline_state` table of the dataset, loaded in the same package as the rows it
describes. Only the warehouse's copy is the truth. At the start of every run the local folder
is checked against the warehouse's newest state (version and hash) and, unless it is that very
state, laid anew from the warehouse (`Pipeline.drop()`, then `Pipeline.sync_destination()`, both
public dlt API). So a new, deleted, restored-from-an-older-copy or other warehouse gets the
cursors of exactly what it holds, and the run loads what it lacks.

The one thing taken from the local folder is a package a killed run extracted but did not load.
Each run notes, beside dlt's folders, the warehouse state it started from (its *base*); the
package is finished only when the warehouse still holds that base and no job of the package
has started loading (`pending_can_finish`), and discarded otherwise: its state could claim rows
the warehouse never got. Its rows are fetched again.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from .lock import write_lock
from .logs import event
from .settings import Paths

log = logging.getLogger("vendorsync.state")

State = tuple[int, str] | None          # (version, version hash) of a stored dlt state, or none


def warehouse_state(pipeline: dlt.Pipeline) -> State:
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


def _base_file(pipeline: dlt.Pipeline) -> Path:
    return Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.base.json"


def _write_base(pipeline: dlt.Pipeline, held: State) -> None:
    path = _base_file(pipeline)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(list(held) if held else None))
    os.replace(tmp, path)


def _read_base(pipeline: dlt.Pipeline) -> tuple[bool, State]:
    """(known, base): the warehouse state the last run of this folder started from."""
    try:
        raw = json.loads(_base_file(pipeline).read_text())
    except (OSError, ValueError):
        return False, None
    return True, (tuple(raw) if raw else None)


def pending_can_finish(pipeline: dlt.Pipeline) -> bool:
    """Whether the packages a killed run left may be finished here: they were extracted on top
    of the state the warehouse holds now, and none of their load jobs has started. dlt commits
    each job on its own and skips the completed ones when it resumes, so a package half-loaded
    into a warehouse that was since replaced (a backup restored, a file deleted) would commit
    its state without those jobs' rows. Such a package is discarded; its rows are fetched again,
    and any of them already in the warehouse merge on their keys."""
    known, base = _read_base(pipeline)
    if not known or base != warehouse_state(pipeline):
        return False
    for load_id in pipeline.list_normalized_load_packages():
        jobs = pipeline.get_load_package_info(load_id).jobs
        if jobs.get("started_jobs") or jobs.get("completed_jobs") or jobs.get("failed_jobs"):
            return False
    return True


def adopt_warehouse_state(pipeline: dlt.Pipeline, paths: Paths) -> dlt.Pipeline:
    """Make the local folder hold the warehouse's newest state and schemas, and note it as this
    run's base. Call with no pending packages (finish or discard them first)."""
    local: State = (pipeline.state.get("_state_version", 0), pipeline.state.get("_version_hash")) \
        if pipeline.default_schema_name else None
    with write_lock(paths.lock_anchor, f"state {pipeline.pipeline_name}"):
        held = warehouse_state(pipeline)
        if held is None or held != local:
            pipeline.drop()
            pipeline.sync_destination()
    _write_base(pipeline, held)
    if local is not None and (held is None or held[0] < local[0]):
        event("%s: the warehouse holds %s than this machine had (version %d): a new, deleted or restored "
              "warehouse; loading what it lacks", pipeline.pipeline_name,
              f"state version {held[0]}, older" if held else "no state, less", local[0],
              level=logging.WARNING, pipeline=pipeline.pipeline_name,
              warehouse_version=held[0] if held else None, local_version=local[0])
    return pipeline
