"""A sync of every vendor SIGKILLed during extract, normalize or load: the next run completes
and every vendor's warehouse data equals its truth, with no duplicate keys."""
from __future__ import annotations

import signal

import pytest

from tests.reconcile import assert_matches_truth, duplicate_keys


@pytest.mark.parametrize("step, delay_s", [("extract", 0.5), ("normalize", 0.02), ("load", 0.05)])
def test_sigkill_mid_step_then_the_next_run_completes(project, fresh_sandbox, step, delay_s):
    project.point_at(fresh_sandbox)
    vendors = list(fresh_sandbox.state["vendors"])
    if step == "extract":
        project.set("SOURCES__SHIRTIGO__PAGE_SIZE", "5")
        fresh_sandbox.control.set_faults("*", latency_ms=60)
    project.set("VENDORSYNC_CRASH_DURING", f"{step}:{delay_s}")
    crashed = project.cli("sync", "--no-transform")
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr

    project.set("VENDORSYNC_CRASH_DURING", "")
    fresh_sandbox.control.set_faults("*")
    again = project.cli("sync", "--no-transform")
    assert again.returncode == 0, again.stdout + again.stderr
    for vendor in vendors:
        assert_matches_truth(vendor, project, fresh_sandbox.control.truth(vendor))
        assert duplicate_keys(project, vendor) == {}, vendor
    # the killed run stays visible in the ledger
    statuses = project.query("select status, count(*) from ops.run_ledger where resource = '*' "
                             "and command = 'sync' group by status order by status")
    assert statuses == [("running", len(vendors)), ("success", len(vendors))]
