"""A backfill loads a historical window and leaves the sync's cursors where they were."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone


def cursor_state(project, pipeline: str) -> str | None:
    rows = project.query("select state from raw_shirtigo._dlt_pipeline_state "
                         f"where pipeline_name = '{pipeline}' order by created_at desc limit 1")
    return rows[0][0] if rows else None


def test_backfill_window_loads_only_that_window_and_keeps_cursors(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    truth = sandbox_tiny.control.truth("shirtigo")
    now = datetime.fromisoformat(truth["now"])
    start, end = (now - timedelta(days=14)).date(), (now - timedelta(days=7)).date()
    proc = project.cli("backfill", "--vendor", "shirtigo", "--resource", "orders",
                       "--start", start.isoformat(), "--end", end.isoformat(), "--no-transform")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    loaded = {r[0] for r in project.query("select reference from raw_shirtigo.orders")}
    lo = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    hi = datetime(end.year, end.month, end.day, tzinfo=timezone.utc)
    expected = {d["id"] for d in truth["documents"] if lo <= datetime.fromisoformat(d["at"]) < hi}
    assert loaded == expected and expected
    assert cursor_state(project, "vendorsync_shirtigo") is None     # the sync has no state yet

    # a sync afterwards still loads everything, and the overlap merges without duplicates
    sync = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert project.scalar("select count(*) from raw_shirtigo.orders") == truth["orders"]["count"]
    assert project.scalar("select count(distinct reference) from raw_shirtigo.orders") == truth["orders"]["count"]


def test_impossible_backfill_range_is_a_usage_error(project):
    for start, end in (("2026-05-01", "2026-04-01"), ("2026-13-01", "2026-14-01")):
        proc = project.cli("backfill", "--vendor", "shirtigo", "--start", start, "--end", end)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and "vendorsync: error:" in proc.stderr
    proc = project.cli("backfill", "--vendor", "shirtigo", "--resource", "products",
                       "--start", "2026-01-01", "--end", "2026-02-01")
    assert proc.returncode == 2 and "windowed resource products" in proc.stderr


def test_each_backfill_worker_counts_only_its_own_requests(project, fresh_sandbox):
    """Four workers run chunks at once; the ledger's requests are the ones the vendor served,
    not each worker's view of every request the process made meanwhile."""
    project.point_at(fresh_sandbox, vendors=["shirtigo"])
    now = datetime.fromisoformat(fresh_sandbox.control.truth("shirtigo")["now"])
    fresh_sandbox.control.reset_stats()
    proc = project.cli("backfill", "--vendor", "shirtigo", "--start", (now - timedelta(days=12)).date().isoformat(),
                       "--end", now.date().isoformat(), "--chunk", "1d", "--workers", "4", "--no-transform")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    served = fresh_sandbox.control.stats()["shirtigo"]["requests"]
    recorded = project.scalar("select sum(requests) from ops.run_ledger where command like 'backfill%' "
                              "and vendor = 'shirtigo' and resource = '*'")
    by_resource = project.scalar("select sum(requests) from ops.run_ledger where command like 'backfill%' "
                                 "and vendor = 'shirtigo' and resource <> '*'")
    assert served > 12 and recorded == served == by_resource
    # the run's row says what every chunk loaded, table by table (child tables too), as a sync's does
    detail = project.scalar("select detail from ops.run_ledger where command like 'backfill%' "
                            "and vendor = 'shirtigo' and resource = '*'")
    tables = (json.loads(detail) if isinstance(detail, str) else detail)["tables"]
    loaded = project.scalar("select count(*) from raw_shirtigo.orders__lines")
    assert loaded > 0 and tables.get("orders__lines") == loaded, tables
