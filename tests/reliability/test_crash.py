"""A sync SIGKILLed during extract, normalize or load: the next run completes and the
warehouse equals the vendor's truth, with no duplicate keys."""
from __future__ import annotations

import signal

import pytest

from tests.reconcile import duplicate_keys
from tests.sources.shirtigo.test_shirtigo_source import assert_matches_truth


@pytest.mark.parametrize("step, delay_s", [("extract", 0.4), ("normalize", 0.02), ("load", 0.05)])
def test_sigkill_mid_step_then_the_next_run_completes(project, fresh_sandbox, step, delay_s):
    project.point_at(fresh_sandbox)
    if step == "extract":
        project.set("SOURCES__SHIRTIGO__PAGE_SIZE", "5")
        fresh_sandbox.control.set_faults("shirtigo", latency_ms=60)
    project.set("VENDORSYNC_CRASH_DURING", f"{step}:{delay_s}")
    crashed = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr

    project.set("VENDORSYNC_CRASH_DURING", "")
    fresh_sandbox.control.set_faults("shirtigo")
    again = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_matches_truth(project, fresh_sandbox.control.truth("shirtigo"))
    assert duplicate_keys(project, "shirtigo") == {}
    # the killed run stays visible in the ledger
    statuses = project.query("select status from ops.run_ledger where resource = '*' order by started_at")
    assert statuses == [("running",), ("success",)]
