"""`vendorsync reset` and `vendorsync sync --full-refresh`: start a vendor, or some of its
resources, over from the start date, without downtime for analysts.

A reset forgets the sync state of the chosen resources (their incremental cursors and whatever
else they keep in dlt's resource state) and nothing else: the raw tables stay as they are, so
analysts keep reading the old rows, and the reload merges the vendor's current records over them
on their primary keys as each load commits. The forgotten state is itself a load (dlt's state-
only drop), committed to the warehouse in one transaction: a kill leaves the old cursors or the
reset ones, never half of them, and a reload that dies is finished by the next sync.
A vendor whose first sync planned its history (`pipelines.history`) also forgets which history
slices of the chosen resources are loaded, so their history is fetched again too (the other
resources' is not).
Records the vendor no longer lists stay; full snapshots (products, accounts, ...) flag them as
deleted on the reload, as on every sync.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import dlt
from dlt.pipeline.helpers import pipeline_drop

from .history import forget_coverage
from .lock import write_lock
from .logs import event
from .runner import with_dependents
from .settings import Paths
from .state import adopt_warehouse_state
from .vendors import Vendor
from .warehouse import destination_for

log = logging.getLogger("vendorsync.reset")


@dataclass
class ResetOutcome:
    vendor: str
    resources: list[str]            # the resources whose state was forgotten
    had_state: bool                 # False: never synced into this warehouse, nothing to forget


def resources_to_reset(vendor: Vendor, names: list[str] | None) -> list[str]:
    """`names` (all resources when None) with the resources derived from them and those they
    derive from: a cursor must never be reset without the one its rows come with."""
    source = vendor.load().source()
    return with_dependents(vendor, source, list(names or source.resources))


def reset_vendor(vendor: Vendor, paths: Paths, resources: list[str] | None) -> ResetOutcome:
    """Forget the sync state of `resources` of `vendor` in the warehouse (all when None).
    The caller holds the sync and vendor locks."""
    chosen = resources_to_reset(vendor, resources)
    pipeline = dlt.pipeline(vendor.pipeline_name, destination=destination_for(paths),
                            dataset_name=vendor.dataset, pipelines_dir=str(paths.pipelines_dir))
    if pipeline.has_pending_data:
        pipeline.drop()            # a killed run's package: its state is what is being reset anyway
    pipeline = adopt_warehouse_state(pipeline, paths)
    if not pipeline.default_schema_name:
        return ResetOutcome(vendor.name, chosen, had_state=False)
    drop = pipeline_drop(pipeline, resources=chosen, state_only=True)
    if drop.is_empty:
        return ResetOutcome(vendor.name, chosen, had_state=False)
    if set(chosen) & set(vendor.windowed_resources):
        forget_coverage(paths, vendor, chosen)      # first: a kill before the drop refetches, never skips
    with write_lock(paths.lock_anchor, f"reset {vendor.name}"):
        drop()
    event("%s: reset %s; the next sync reloads them from the start date", vendor.name, ", ".join(chosen),
          vendor=vendor.name, resources=chosen, level=logging.WARNING)
    return ResetOutcome(vendor.name, chosen, had_state=True)
