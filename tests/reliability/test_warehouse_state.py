"""The sync state belongs to the warehouse it describes: a warehouse that is new, deleted, or
restored from an older copy gets exactly what it lacks loaded, and every vendor's raw data then
equals the vendor's truth (issue 17, finding 3)."""
from __future__ import annotations

import shutil

from tests.reconcile import assert_matches_truth, duplicate_keys


def _assert_all_match(project, sandbox) -> None:
    for vendor in sandbox.state["vendors"]:
        assert_matches_truth(vendor, project, sandbox.control.truth(vendor))
        assert duplicate_keys(project, vendor) == {}, vendor


def _sync(project, *args: str) -> None:
    done = project.cli(*args, "sync", "--no-transform")
    assert done.returncode == 0, done.stdout + done.stderr


def test_another_warehouse_of_the_same_data_dir_gets_everything(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    _sync(project)
    other = project.data_dir / "other.duckdb"
    _sync(project, "--warehouse", str(other))
    project.warehouse = other
    _assert_all_match(project, fresh_sandbox)


def test_a_deleted_warehouse_is_loaded_again_in_full(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    _sync(project)
    project.warehouse.unlink()
    _sync(project)
    _assert_all_match(project, fresh_sandbox)


def test_a_warehouse_restored_from_an_older_copy_gets_what_it_lacks(project, fresh_sandbox):
    """The copy predates 5 days of orders; the local cursors had moved past them (past the
    48-hour look-backs of Infigo and enfore), so resuming from the local state would never load them."""
    project.point_at(fresh_sandbox)
    _sync(project)
    copy = project.data_dir / "backup.duckdb"
    shutil.copy(project.warehouse, copy)
    fresh_sandbox.control.advance(days=5)
    _sync(project)
    shutil.copy(copy, project.warehouse)
    _sync(project)
    _assert_all_match(project, fresh_sandbox)


def test_a_load_left_pending_is_not_loaded_into_a_warehouse_that_replaced_its_own(project, fresh_sandbox):
    """A run killed after its extract leaves a package whose state claims the rows before it;
    when the warehouse was replaced meanwhile, that package is dropped and everything is loaded."""
    import signal

    project.point_at(fresh_sandbox)
    _sync(project)
    fresh_sandbox.control.advance(days=2)
    project.set("VENDORSYNC_CRASH_DURING", "normalize:0.02")
    crashed = project.cli("sync", "--no-transform")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    project.set("VENDORSYNC_CRASH_DURING", "")
    project.warehouse.unlink()
    _sync(project)
    _assert_all_match(project, fresh_sandbox)


def test_a_half_loaded_package_is_not_finished_into_a_restored_backup(project, fresh_sandbox):
    """A run killed while it loads has committed some of its jobs; dlt would skip those when
    it resumes. Restored from a backup meanwhile, the warehouse lacks their rows, so the package
    must be fetched again rather than finished (its state would claim rows that are not there)."""
    import signal

    project.point_at(fresh_sandbox)
    _sync(project)
    copy = project.data_dir / "backup.duckdb"
    shutil.copy(project.warehouse, copy)
    fresh_sandbox.control.advance(days=5)
    project.set("VENDORSYNC_CRASH_DURING", "load:0.3")
    crashed = project.cli("sync", "--no-transform")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
    project.set("VENDORSYNC_CRASH_DURING", "")
    shutil.copy(copy, project.warehouse)
    wal = project.warehouse.with_name(project.warehouse.name + ".wal")
    if wal.exists():            # the killed run's log of a newer file: DuckDB refuses it, and says so
        refused = project.cli("sync", "--no-transform")
        assert refused.returncode != 0 and "delete the .wal file" in refused.stderr, refused.stderr
        wal.unlink()            # as the message says, and as a restore of a DuckDB file does
    _sync(project)
    _assert_all_match(project, fresh_sandbox)
