"""A DuckDB session held open outside vendorsync (an analyst's notebook): a sync says whom it
is waiting for, `--wait` waits it out, a sync that cannot get the warehouse is a failure with
its own exit code (7, not the harmless 4), and `status` reads on regardless."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from pipelines.lock import write_lock

NOTEBOOK_MARK = "analyst-notebook-5e2b"


def open_reader(project) -> subprocess.Popen:
    """Another process holding a read-only connection, as a notebook does."""
    script = project.data_dir.parent / f"{NOTEBOOK_MARK}.py"
    script.write_text("import duckdb, sys, time\n"
                      "con = duckdb.connect(sys.argv[1], read_only=True)\n"
                      "con.execute('select count(*) from ops.run_ledger').fetchall()\n"
                      "print('open', flush=True)\n"
                      "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, str(script), str(project.warehouse)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


def test_a_reader_is_named_waited_for_and_fails_the_sync_with_its_own_code(project, sandbox_tiny):
    project.point_at(sandbox_tiny, vendors=["shirtigo"])
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    reader = open_reader(project)
    try:
        started = time.monotonic()
        refused = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
        assert refused.returncode == 7, refused.stdout + refused.stderr
        assert time.monotonic() - started < 60
        assert f"pid {reader.pid}" in refused.stderr and NOTEBOOK_MARK in refused.stderr
        assert "Traceback" not in refused.stderr

        # `status` only reads: it answers while the reader is open
        status = project.cli("status", "--vendor", "shirtigo", "--json")
        assert status.returncode == 0, status.stdout + status.stderr
        assert json.loads(status.stdout)[0]["last_attempt"]["status"] == "success"

        waited = project.cli("sync", "--vendor", "shirtigo", "--no-transform", "--wait", "--wait-timeout", "3")
        assert waited.returncode == 7, waited.stdout + waited.stderr
        assert "waiting for pid" in waited.stderr and NOTEBOOK_MARK in waited.stderr
        assert "after waiting 3s" in waited.stderr

        queued = project.popen("sync", "--vendor", "shirtigo", "--no-transform", "--wait")
        line = queued.stderr.readline()
        assert f"waiting for pid {reader.pid}" in line, line
    finally:
        reader.kill()
        reader.wait()
    out, err = queued.communicate(timeout=300)
    assert queued.returncode == 0, out + err
    assert project.scalar("select count(*) from ops.run_ledger where resource = '*' and status = 'success' "
                          "and command = 'sync'") == 2


def test_status_never_takes_the_write_lock(project, sandbox_tiny):
    project.point_at(sandbox_tiny, vendors=["shirtigo"])
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    with write_lock(project.warehouse, "a sync's load"):       # a sync holds the writer's turn
        started = time.monotonic()
        status = project.cli("status", "--vendor", "shirtigo", timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    assert time.monotonic() - started < 30 and "FRESH" in status.stdout
