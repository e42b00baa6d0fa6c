"""Operating vendorsync from a scheduler: one sync at a time (refused or queued), backfills
that survive a SIGKILL and resume, `status` that fails on stale data, JSON logs."""
from __future__ import annotations

import json
import signal
import time

from pipelines.lock import sync_lock


def wait_until_locked(project, proc, timeout_s: float = 60) -> None:
    """Until `proc` holds the sync lock (read from the lock file, never by taking the lock,
    which would race with the process being watched)."""
    lock = sync_lock(project.warehouse, "probe")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if lock.holder().get("pid") == proc.pid:
            return
        time.sleep(0.05)
    raise AssertionError("the first sync never took the lock")


def slow_sandbox(project, sandbox, latency_ms: float = 150) -> None:
    project.point_at(sandbox)
    project.set("SOURCES__SHIRTIGO__PAGE_SIZE", "5")
    project.set("SOURCES__SHIRTIGO__MAX_WORKERS", "1")
    sandbox.control.set_faults("shirtigo", latency_ms=latency_ms)


def test_second_sync_is_refused_and_a_waiting_one_queues(project, fresh_sandbox):
    slow_sandbox(project, fresh_sandbox)
    first = project.popen("sync", "--vendor", "shirtigo", "--no-transform")
    wait_until_locked(project, first)
    started = time.monotonic()
    refused = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert refused.returncode == 4
    assert time.monotonic() - started < 15
    assert "busy" in refused.stderr and "--wait" in refused.stderr and "Traceback" not in refused.stderr
    queued = project.popen("sync", "--vendor", "shirtigo", "--no-transform", "--wait")
    assert first.wait(300) == 0, first.communicate()
    assert queued.wait(300) == 0, queued.communicate()
    truth = fresh_sandbox.control.truth("shirtigo")["orders"]["count"]
    assert project.query("select count(*), count(distinct reference) from raw_shirtigo.orders") == [(truth, truth)]
    runs = project.query("select status from ops.run_ledger where resource = '*' and command = 'sync'")
    assert sorted(r[0] for r in runs) == ["success", "success"]


def sync_state(project) -> list:
    return project.query("select version_hash from raw_shirtigo._dlt_pipeline_state "
                         "where pipeline_name = 'vendorsync_shirtigo' order by created_at")


def test_backfill_killed_mid_way_resumes_without_gaps_or_duplicates(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform", "--resource", "payments").returncode == 0
    state_before = sync_state(project)
    truth = fresh_sandbox.control.truth("shirtigo")
    slow_sandbox(project, fresh_sandbox, latency_ms=120)
    args = ("backfill", "--vendor", "shirtigo", "--resource", "orders", "--start", "2026-10-15",
            "--end", "2026-11-01", "--chunk", "1d", "--no-transform")
    proc = project.popen(*args)
    chunks_seen = 0
    for line in proc.stderr:
        if "backfill shirtigo: chunk" in line:
            chunks_seen += 1
            if chunks_seen == 3:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL and chunks_seen == 3

    resumed = project.cli(*args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    done_before = int(resumed.stdout.split(" done before")[0].rsplit(", ", 1)[1])
    assert 3 <= done_before < 17
    expected = {d["id"] for d in truth["documents"] if "2026-10-15" <= d["at"][:10] < "2026-11-01"}
    loaded = project.query("select reference from raw_shirtigo.orders")
    assert {r[0] for r in loaded} == expected and len(loaded) == len(expected)
    assert sync_state(project) == state_before                      # the sync's cursors untouched


def test_status_flags_never_synced_and_stale_vendors(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    never = project.cli("status", "--vendor", "shirtigo")
    assert never.returncode == 5 and "STALE (never synced" in never.stdout
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    fresh = project.cli("status", "--vendor", "shirtigo", "--json")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    [vendor] = json.loads(fresh.stdout)
    assert vendor["fresh"] and vendor["last_success"]
    resources = {r["resource"]: r for r in vendor["resources"]}
    assert resources["orders"]["cursor"].startswith("created_at ")
    assert resources["orders"]["rows"] == sandbox_tiny.control.truth("shirtigo")["orders"]["count"]
    project.set("VENDORSYNC__FRESHNESS_HOURS", "0.000001")
    stale = project.cli("status", "--vendor", "shirtigo")
    assert stale.returncode == 5 and "STALE (" in stale.stdout and "never" not in stale.stdout


def test_json_log_format_gives_one_object_per_line(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    proc = project.cli("--log-format", "json", "sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 0
    records = [json.loads(line) for line in proc.stderr.splitlines() if line.strip()]
    assert records and all({"ts", "level", "msg"} <= set(r) for r in records)
    assert any(r.get("vendor") == "shirtigo" and r.get("status") == "success" for r in records)


def test_sync_skips_a_vendor_under_backfill_and_says_so(project, fresh_sandbox):
    slow_sandbox(project, fresh_sandbox, latency_ms=150)
    backfill = project.popen("backfill", "--vendor", "shirtigo", "--start", "2026-10-01",
                             "--end", "2026-11-01", "--chunk", "1d", "--no-transform")
    for line in backfill.stderr:
        if "backfill shirtigo: chunk" in line:
            break
    sync = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    backfill.send_signal(signal.SIGTERM)          # a polite stop: chunks in flight finish
    backfill.wait(120)
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "skipped" in sync.stdout and "backfill" in sync.stdout
    statuses = project.query("select status from ops.run_ledger where command = 'sync' and resource = '*'")
    assert statuses == [("skipped",)]


def test_a_failing_vendor_leaves_the_others_loaded_and_sets_the_exit_code(project, sandbox_tiny):
    from tests.reconcile import assert_matches_truth

    project.point_at(sandbox_tiny)
    vendors = list(sandbox_tiny.state["vendors"])
    broken = "yodify"
    project.set("SOURCES__YODIFY__BASE_URL", "http://127.0.0.1:9/api/v1")   # nobody listens there
    project.set("SOURCES__YODIFY__MAX_ATTEMPTS", "2")
    partial = project.cli("sync", "--no-transform")
    assert partial.returncode == 3, partial.stdout + partial.stderr
    assert "yodify: cannot connect" in partial.stdout and "sources.yodify.base_url" in partial.stdout
    statuses = dict(project.query("select vendor, status from ops.run_ledger where resource = '*'"))
    assert statuses == {v: ("failed" if v == broken else "success") for v in vendors}
    for vendor in vendors:
        if vendor != broken:
            assert_matches_truth(vendor, project, sandbox_tiny.control.truth(vendor))
    assert project.query("select count(*) from information_schema.tables "
                         f"where table_schema = 'raw_{broken}'") == [(0,)]      # no rows, no cursor

    project.set("SOURCES__YODIFY__BASE_URL", sandbox_tiny.vendor("yodify")["base_url"])
    healed = project.cli("sync", "--no-transform")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert_matches_truth(broken, project, sandbox_tiny.control.truth(broken))
