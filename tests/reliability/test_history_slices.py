"""A first sync loads the present first and the history backwards in committed slices
(`pipelines.history`): killed at any moment, the next sync resumes at the first slice that had
not committed, and ends equal to the truth with no duplicate keys; while history is still
missing, the marts already hold the present, and later syncs keep it current."""
from __future__ import annotations

import json
import signal
from datetime import date, datetime, timezone

import pytest

from tests.reconcile import DAILY_COLUMNS, assert_matches_truth, daily_sales, daily_sales_sql, duplicate_keys

#: a week of present and slices of a few days each: a tiny world's three weeks are several slices
SMALL_SLICES = {"VENDORSYNC__HISTORY_RECENT_DAYS": "7", "VENDORSYNC__HISTORY_SLICE_ROWS": "40"}


def slices(project, vendor: str) -> list[tuple[datetime, datetime, str]]:
    """The committed history slices of `vendor`, oldest first ([] before the first one)."""
    if not project.scalar("select count(*) from information_schema.tables "
                          "where table_schema = 'ops' and table_name = 'backfill_chunks'"):
        return []
    return project.query(f"select chunk_start, chunk_end, run_id from ops.backfill_chunks where vendor = '{vendor}' "
                         "order by chunk_start")


@pytest.mark.parametrize("vendor", ["shirtigo", "enfore", "infigo", "yodify"])
#: both in the second slice, which holds rows for every vendor (a tiny world's first two slices hold
#: its history): a slice with none loads in a few milliseconds, and a kill timed into its load
#: came after the load had finished
@pytest.mark.parametrize("moment", ["slice-extract:0.25@2", "slice-load:0.05@2"],
                         ids=["half-fetched", "committing"])
def test_killed_first_sync_resumes_at_the_first_uncommitted_slice(project, fresh_sandbox, vendor, moment):
    project.point_at(fresh_sandbox, vendors=[vendor])
    for key, value in SMALL_SLICES.items():
        project.set(key, value)
    fresh_sandbox.control.set_faults(vendor, latency_ms=100)     # a slice takes long enough to be cut
    project.set("VENDORSYNC_CRASH_DURING", moment)
    killed = project.cli("sync", "--vendor", vendor, "--no-transform")
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    before = slices(project, vendor)
    assert before, "the kill came before any slice committed: the test would not show a resume"

    project.set("VENDORSYNC_CRASH_DURING", "")
    fresh_sandbox.control.set_faults(vendor)
    fresh_sandbox.control.reset_stats()
    killed_at = project.scalar("select max(started_at) from ops.run_ledger")
    again = project.cli("sync", "--vendor", vendor, "--no-transform")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_matches_truth(vendor, project, fresh_sandbox.control.truth(vendor))
    assert duplicate_keys(project, vendor) == {}

    after = slices(project, vendor)
    assert set(before) <= set(after)
    resumed = [(a, b) for a, b, run in after if (a, b, run) not in set(before)]
    assert resumed, "the history was complete before the kill: nothing resumed"
    # nothing committed before the kill is fetched again: the new slices start where it stopped
    for a, b in resumed:
        assert all(b <= a0 or a >= b0 for a0, b0, _ in before), (a, b, before)
    # and together they cover the history from the start date to the boundary, without a hole
    spans = sorted((a, b) for a, b, _ in after)
    assert all(spans[k][1] == spans[k + 1][0] for k in range(len(spans) - 1)), spans
    boundary = project.scalar(f"select boundary from ops.history_plans where vendor = '{vendor}'")
    assert spans[0][0] == datetime(2020, 1, 1, tzinfo=timezone.utc) and spans[-1][1] == boundary
    # what the vendor served after the kill is the present and those new slices, nothing else
    served = fresh_sandbox.control.stats()[vendor]["requests"]
    counted = project.scalar(f"select sum(requests) from ops.run_ledger where resource = '*' and vendor = '{vendor}' "
                             f"and started_at > '{killed_at.isoformat()}'")
    assert served == counted, (served, counted)


def present_sales(project, vendor: str, since: date) -> dict:
    """Daily sales from `since` on, without `new_customers` (a customer's first order may lie
    in the history not loaded yet)."""
    keep = [c for c in DAILY_COLUMNS if c != "new_customers"]
    rows = daily_sales(project.query(daily_sales_sql(vendor)))
    return {k: {c: v[c] for c in keep} for k, v in rows.items() if date.fromisoformat(k[0]) >= since}


def truth_present(truth: dict, since: date) -> dict:
    keep = [c for c in DAILY_COLUMNS if c != "new_customers"]
    return {(d["sales_date"], d["currency"]): {c: d[c] for c in keep} for d in truth["daily"]
            if date.fromisoformat(d["sales_date"]) >= since}


def test_marts_hold_the_present_while_history_fills_and_later_syncs_keep_it_current(project, fresh_sandbox):
    vendor = "shirtigo"
    project.point_at(fresh_sandbox, vendors=[vendor])
    for key, value in SMALL_SLICES.items():
        project.set(key, value)

    first = project.cli("sync", "--vendor", vendor, "--history-minutes", "0")
    assert first.returncode == 0, first.stdout + first.stderr
    boundary = project.scalar(f"select boundary from ops.history_plans where vendor = '{vendor}'").date()
    assert present_sales(project, vendor, boundary) == truth_present(fresh_sandbox.control.truth(vendor), boundary)
    assert present_sales(project, vendor, boundary), "the present holds no sales: the test shows nothing"
    status = project.cli("status", "--vendor", vendor, "--json")
    history = json.loads(status.stdout)[0]["history"]
    assert history["days_left"] > 0 and history["loaded_back_to"][:10] == boundary.isoformat()

    fresh_sandbox.control.advance(days=1)              # new orders at the vendor
    scheduled = project.cli("sync", "--vendor", vendor, "--history-minutes", "0")
    assert scheduled.returncode == 0, scheduled.stdout + scheduled.stderr
    assert present_sales(project, vendor, boundary) == truth_present(fresh_sandbox.control.truth(vendor), boundary)
    assert slices(project, vendor) == [], "a sync with no time for history loaded history"

    fresh_sandbox.control.advance(days=1)              # and the next run's present brings a few new ones
    whole = project.cli("sync", "--vendor", vendor)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert_matches_truth(vendor, project, fresh_sandbox.control.truth(vendor))
    # the slices of a fill that begins after the first sync are sized by what they hold, not by
    # a day of new orders spread over the recent days (which made the first slice 2.6 times too big)
    sizes = [n for (n,) in project.query(f"select rows from ops.backfill_chunks where vendor = '{vendor}'")]
    target = int(SMALL_SLICES["VENDORSYNC__HISTORY_SLICE_ROWS"])
    assert len(sizes) >= 3 and max(sizes) <= 2 * target, sizes
    assert duplicate_keys(project, vendor) == {}
    status = project.cli("status", "--vendor", vendor, "--json")
    assert json.loads(status.stdout)[0]["history"]["days_left"] == 0
