"""The orchestrator example imports, and its sync job really runs a sync."""
from __future__ import annotations

from pathlib import Path


def test_dagster_definitions_load_and_the_sync_job_runs(project, sandbox_tiny):
    from pipelines.orchestrators.dagster_defs import defs, vendorsync_sync

    assert {j.name for j in defs.jobs} >= {"vendorsync_sync", "vendorsync_freshness"}
    assert {s.cron_schedule for s in defs.schedules} == {"*/15 * * * *", "0 7 * * *"}
    project.point_at(sandbox_tiny)
    result = vendorsync_sync.execute_in_process()
    assert result.success
    for vendor in sandbox_tiny.state["vendors"]:
        assert project.scalar(f"select count(*) from marts.fct_orders where vendor = '{vendor}'") \
            == sandbox_tiny.control.truth(vendor)["orders"]["count"]


def test_systemd_units_run_the_sync():
    units = Path(__file__).resolve().parents[2] / "pipelines" / "orchestrators" / "systemd"
    service = (units / "vendorsync-sync.service").read_text()
    timer = (units / "vendorsync-sync.timer").read_text()
    assert "ExecStart=/srv/vendorsync/.venv/bin/vendorsync --log-format json sync --wait --wait-timeout 600" in service
    assert "OnCalendar=*:0/15" in timer
    # only 4 (another vendorsync run) is harmless; 7 (a reader held the file) must alert
    [success] = [ln for ln in service.splitlines() if ln.startswith("SuccessExitStatus=")]
    assert success.split("=", 1)[1].split() == ["4"]
