"""dbt runs as a child that dies with vendorsync (SIGKILL and SIGTERM alike), and a dbt build
that fails, or selects nothing, says so and why."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import duckdb
import pytest


def children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def dbt_child(proc, timeout_s: float = 120) -> int:
    """The pid of the dbt process `proc` started."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for child in children_of(proc.pid):
            try:
                if b"dbt.cli.main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return child
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("dbt never started")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_vendorsync_during_dbt_kills_dbt(project, sandbox_tiny, sig):
    project.point_at(sandbox_tiny, vendors=["shirtigo"])
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    proc = project.popen("transform")
    dbt = dbt_child(proc)
    time.sleep(1.0)                                     # dbt is at work on the warehouse
    proc.send_signal(sig)
    proc.wait(30)
    deadline = time.monotonic() + 10
    while is_running(dbt) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = is_running(dbt)
    if alive:
        os.kill(dbt, signal.SIGKILL)
    assert not alive, "dbt outlived vendorsync"
    after = project.cli("sync", "--vendor", "shirtigo")  # nothing left holding the warehouse
    assert after.returncode == 0, after.stdout + after.stderr


def test_a_selection_that_matches_nothing_fails(project):
    proc = project.cli("transform", "--select", "nonexistent_model")
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert "nonexistent_model" in proc.stderr and "matches no" in proc.stderr


def test_a_failing_dbt_build_names_the_node_and_the_reason(project, sandbox_tiny):
    project.point_at(sandbox_tiny, vendors=["shirtigo"])
    assert project.cli("sync", "--vendor", "shirtigo").returncode == 0
    # a vendor record the marts' tests refuse: two orders with one reference
    with duckdb.connect(str(project.warehouse)) as con:
        con.execute("insert into raw_shirtigo.orders select * from raw_shirtigo.orders limit 1")
    proc = project.cli("transform")
    assert proc.returncode == 6, proc.stdout + proc.stderr
    [line] = [ln for ln in proc.stderr.splitlines() if "dbt build FAILED" in ln]
    assert "()" not in line and ("unique" in line or "stg_shirtigo" in line), line
    assert "Traceback" not in proc.stderr

