"""`vendorsync reset` and `vendorsync sync --full-refresh`: a vendor or a resource starts over
from its start date; analysts keep the old rows until the new ones commit; a kill leaves the
warehouse before or after, never half-way (issue 17, finding 8)."""
from __future__ import annotations

import signal

from tests.reconcile import assert_matches_truth, duplicate_keys

TABLES = ["orders", "orders__lines", "payments", "customers", "products"]


def _counts(project) -> dict[str, int]:
    return {t: project.scalar(f"select count(*) from raw_shirtigo.{t}") for t in TABLES}


def _loaded(project, since) -> dict[str, int]:
    """resource -> rows loaded by the shirtigo runs started after `since` (a sync and the history
    slices it filled), from the ledger."""
    return dict(project.query("select resource, sum(rows) from ops.run_ledger where vendor = 'shirtigo' "
                              f"and resource <> '*' and status = 'success' and started_at > '{since}' "
                              "group by resource"))


def _last_run(project):
    return project.scalar("select max(started_at) from ops.run_ledger")


def _ok(done) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_reset_asks_for_confirmation_and_changes_nothing_without_it(project, fresh_sandbox):
    project.point_at(fresh_sandbox, vendors=["shirtigo"])
    _ok(project.cli("sync", "--vendor", "shirtigo", "--no-transform"))
    refused = project.cli("reset", "--vendor", "shirtigo")         # no terminal: no prompt
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--yes" in refused.stderr and "Traceback" not in refused.stderr
    since = _last_run(project)
    _ok(project.cli("sync", "--vendor", "shirtigo", "--no-transform"))
    assert sum(_loaded(project, since).values()) == 0                 # the cursors were kept


def test_reset_of_one_resource_reloads_it_from_the_start_and_keeps_the_rest(project, fresh_sandbox):
    project.point_at(fresh_sandbox, vendors=["shirtigo"])
    _ok(project.cli("sync", "--vendor", "shirtigo", "--no-transform"))
    before = _counts(project)
    out = _ok(project.cli("reset", "--vendor", "shirtigo", "--resource", "payments", "--yes"))
    assert "payments" in out and "orders" not in out
    assert _counts(project) == before                               # rows stay readable
    since = _last_run(project)
    _ok(project.cli("sync", "--vendor", "shirtigo", "--no-transform"))
    loaded = _loaded(project, since)
    truth = fresh_sandbox.control.truth("shirtigo")
    assert loaded.get("payments") == truth["payments"]["count"]     # reloaded from the start date
    assert loaded.get("orders", 0) < truth["orders"]["count"]       # not started over
    assert_matches_truth("shirtigo", project, truth)
    assert duplicate_keys(project, "shirtigo") == {}


def test_full_refresh_killed_while_loading_leaves_the_old_rows_then_completes(project, fresh_sandbox):
    project.point_at(fresh_sandbox, vendors=["shirtigo"])
    _ok(project.cli("sync", "--vendor", "shirtigo", "--no-transform"))
    fresh_sandbox.control.advance(days=2)
    before = _counts(project)

    project.set("VENDORSYNC_CRASH_DURING", "load:0.05")
    killed = project.cli("sync", "--vendor", "shirtigo", "--full-refresh", "--no-transform")
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    after_kill = _counts(project)
    assert all(after_kill[t] >= before[t] for t in TABLES), (before, after_kill)   # nothing went missing

    project.set("VENDORSYNC_CRASH_DURING", "")
    since = _last_run(project)
    _ok(project.cli("sync", "--vendor", "shirtigo", "--full-refresh", "--no-transform"))
    truth = fresh_sandbox.control.truth("shirtigo")
    assert _loaded(project, since).get("orders") == truth["orders"]["count"]          # all of it, again
    assert_matches_truth("shirtigo", project, truth)
    assert duplicate_keys(project, "shirtigo") == {}
