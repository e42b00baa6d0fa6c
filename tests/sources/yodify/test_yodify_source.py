"""The Yodify source against the running simulator: a full load equals the vendor's truth in
either list shape, a second run loads nothing, an advanced clock's new orders, status changes,
SKU edits and deletions arrive with far fewer requests than a full load, faults and the quota
lose nothing, bad credentials are one clear line, a backfill leaves the state alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from pipelines.runner import run_vendor
from pipelines.vendors import VENDORS
from sandbox.client import SandboxProcess
from tests.helpers import sync, table_counts

TABLES = ["orders", "orders__items", "orders__shipments", "customers", "products", "skus", "sku_ids", "accounts",
          "account_users"]
NOT_A_SALE = ("Cancelled", "Refunded")


def current_ids(project, table: str) -> set:
    """Ids whose latest SCD2 version is active (served at the last complete snapshot)."""
    return {r[0] for r in project.query(f"select id from raw_yodify.{table} where _dlt_valid_to is null")}


def assert_matches_truth(project, truth: dict) -> None:
    docs = {d["id"]: d for d in truth["documents"]}
    rows = project.query("""
        select o.id, o.ordered_date, o.total, o.currency_code, o.order_status, sum(i.quantity)
        from raw_yodify.orders o join raw_yodify.orders__items i on i._dlt_parent_id = o._dlt_id
        group by all""")
    assert len(rows) == truth["orders"]["count"] == len(docs)
    for oid, at, total, currency, status, units in rows:
        doc = docs[str(oid)]
        assert at == datetime.fromisoformat(doc["at"]), oid
        assert (total, currency, status, units) == (Decimal(doc["total"]), doc["currency"], doc["status"],
                                                    doc["units"]), oid
    assert project.scalar("select count(*) from raw_yodify.orders__items") == truth["orders"]["lines"]
    assert project.scalar("select count(*) from raw_yodify.orders__shipments") == truth["shipments"]["count"]
    # the store's side of the same orders, to the cent
    seller = project.scalar("select sum(seller_total) from raw_yodify.orders "
                            f"where order_status not in {NOT_A_SALE}")
    assert seller == Decimal(truth["seller_revenue"]["EUR"])
    # customers: the buyers on orders plus the account users served now
    buyers = {r[0] for r in project.query("select id from raw_yodify.customers")}
    assert buyers == {r[0] for r in project.query("select distinct customer_id from raw_yodify.orders")}
    users = current_ids(project, "account_users")
    assert users == set(truth["account_users"]["active"])
    assert len(buyers | users) == truth["customers"]["count"]
    assert len(current_ids(project, "accounts")) == truth["accounts"]["count"]
    # catalog: products and SKUs served now, with the SKUs' latest modified_on
    assert current_ids(project, "products") == set(truth["products"]["active"])
    assert current_ids(project, "sku_ids") == set(truth["skus"]["active"])
    modified = dict(project.query("select cast(id as varchar), modified_on from raw_yodify.skus"))
    for sku_id, stamp in truth["skus"]["modified_on"].items():
        assert modified[sku_id] == datetime.fromisoformat(stamp.replace("Z", "+00:00")), sku_id


def test_full_load_equals_ground_truth(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    result = sync(project, "yodify")
    assert_matches_truth(project, sandbox_tiny.control.truth("yodify"))
    types = dict(project.query("select column_name, data_type from information_schema.columns "
                               "where table_schema = 'raw_yodify' and table_name = 'orders'"))
    assert types["total"] == types["seller_total"] == "DECIMAL(24,6)"
    assert types["ordered_date"] == "TIMESTAMP WITH TIME ZONE"
    # token + one page of each list (tiny world, Limit 100): Products, Orders, SKUs, Accounts
    assert result.requests["(setup)"]["requests"] == 1
    assert result.total_requests <= 1 + 4 + 2 * 4        # at most 2 x workers past a bare array's end


def test_second_run_loads_nothing_new(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    sync(project, "yodify")
    before = table_counts(project, "raw_yodify", TABLES)
    again = sync(project, "yodify")
    assert sum(again.rows.values()) == 0, again.rows
    assert table_counts(project, "raw_yodify", TABLES) == before
    # the order watch (highest id, open ids) is kept in the dlt state
    assert project.scalar("select count(*) from raw_yodify._dlt_pipeline_state") >= 1


@pytest.mark.parametrize("envelope_everywhere", [False, True], ids=["documented-shapes", "envelope-everywhere"])
def test_paging_across_both_list_shapes(project, fresh_sandbox, envelope_everywhere):
    """Small pages, so every list spans many: bare arrays stop on the first short page,
    envelopes on their total; the switch serves the envelope on the bare-array lists too."""
    fresh_sandbox.control.configure("yodify", envelope_everywhere=envelope_everywhere)
    project.point_at(fresh_sandbox)
    project.set("SOURCES__YODIFY__PAGE_SIZE", "5")
    result = sync(project, "yodify")
    truth = fresh_sandbox.control.truth("yodify")
    assert_matches_truth(project, truth)
    pages = -(-truth["orders"]["count"] // 5)
    sent = result.requests["orders"]["requests"]
    if envelope_everywhere:
        assert sent == pages                      # total_items gives the page count exactly
    else:
        assert pages <= sent <= pages + 1 + 2 * 4  # a short page ends it; some requests in flight go past


def test_incremental_run_catches_every_change_with_far_fewer_requests(project):
    with SandboxProcess(seed=3, scale="small", vendors=["yodify"]) as sandbox:
        project.point_at(sandbox)
        project.set("SOURCES__YODIFY__PAGE_SIZE", "10")
        full = sync(project, "yodify")
        first = sandbox.control.truth("yodify")
        sandbox.control.configure("yodify", churn=10)
        sandbox.control.advance(days=1)
        truth = sandbox.control.truth("yodify")
        # the scenario: new orders, status changes of open orders, SKU edits and deletions
        before = {d["id"]: d["status"] for d in first["documents"]}
        changed = [d["id"] for d in truth["documents"] if d["id"] in before and d["status"] != before[d["id"]]]
        new = [d["id"] for d in truth["documents"] if d["id"] not in before]
        edited = [i for i, m in truth["skus"]["modified_on"].items() if first["skus"]["modified_on"].get(i, m) != m]
        deleted = set(first["skus"]["active"]) - set(truth["skus"]["active"])
        left = set(first["account_users"]["active"]) - set(truth["account_users"]["active"])
        assert changed and new and edited and deleted and left, (changed, new, edited, deleted, left)
        refund_statuses = ("RefundRequested", "Refunded", "RefundRejected")
        late = [d["id"] for d in truth["documents"] if before.get(d["id"]) == "Complete" and d["status"] in refund_statuses]
        assert late, "the scenario needs completed orders refunded later (found only by the refund window)"

        inc = sync(project, "yodify")
        assert_matches_truth(project, truth)
        # only what changed: new orders, status changes, and open orders whose shipments moved
        was_open = [i for i, s in before.items() if s not in ("Complete", "Cancelled", "Refunded", "RefundRejected")]
        assert len(changed) + len(new) <= inc.rows["orders"] <= len(set(changed) | set(was_open)) + len(new)
        assert inc.rows["skus"] == len(edited) + len(set(truth["skus"]["active"]) - set(first["skus"]["active"]))
        retired = {r[0] for r in project.query("select id from raw_yodify.sku_ids group by id "
                                               "having count(*) filter (where _dlt_valid_to is null) = 0")}
        assert deleted <= retired                                      # deleted SKUs are flagged, not lost
        assert project.scalar("select count(distinct id) from raw_yodify.skus") >= len(first["skus"]["active"])
        assert left <= {r[0] for r in project.query(
            "select id from raw_yodify.account_users group by id "
            "having count(*) filter (where _dlt_valid_to is null) = 0")}

        # requests, per resource: orders are incremental; products, SKUs and accounts are
        # complete listings on every run by design (no filter can find their edits or deletions)
        sent = {r: m["requests"] for r, m in inc.requests.items()}
        was = {r: m["requests"] for r, m in full.requests.items()}
        assert sent["orders"] * 4 < was["orders"], (sent, was)
        for snapshot in ("products", "skus", "accounts"):
            assert sent[snapshot] <= was[snapshot] + 2 * 4, (snapshot, sent, was)
        assert inc.total_requests * 2 < full.total_requests, (sent, was)


def test_throttling_quota_and_server_faults_lose_nothing(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    project.set("SOURCES__YODIFY__PAGE_SIZE", "5")
    fresh_sandbox.control.configure("yodify", quota=8, quota_window_s=0.5)     # 429s without Retry-After
    fresh_sandbox.control.set_faults("yodify", rate_429=0.1, rate_500=0.05, rate_502=0.05, rate_malformed=0.05,
                                     rate_drop=0.05, retry_after_s=0.05)
    result = sync(project, "yodify")
    stats = fresh_sandbox.control.stats()["yodify"]
    injected = stats["faults_injected"]
    assert stats["statuses"].get("429", 0) > injected.get("429", 0), "the quota was hit"
    # every 429 (injected or quota) and every other injected fault was retried; a "malformed"
    # fault that lands on an empty 429 body has nothing to truncate and costs no retry of its own
    faults = stats["statuses"]["429"] + sum(n for k, n in injected.items() if k != "429")
    assert faults - injected.get("malformed", 0) <= result.total_retries <= faults
    assert result.total_requests == stats["requests"]            # every attempt accounted for
    fresh_sandbox.control.set_faults("yodify")
    assert_matches_truth(project, fresh_sandbox.control.truth("yodify"))


def test_refused_client_credentials_are_one_line_naming_the_setting(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    wrong = "wrong-secret-3b9d2f7a1c5e"
    project.set("SOURCES__YODIFY__CLIENT_SECRET", wrong)
    result = run_vendor(VENDORS["yodify"], project.paths())
    assert not result.ok and result.error_kind == "auth"
    assert "invalid_client" in result.error and "sources.yodify.client_secret" in result.error
    assert wrong not in result.error and "\n" not in result.error
    proc = project.cli("sync", "--vendor", "yodify", "--no-transform")
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert wrong not in proc.stdout + proc.stderr


@pytest.mark.parametrize("setting, value, needle", [
    ("PAGE_SIZE", "500", "between 1 and 100"),
    ("TOKEN_URL", "ftp://tokens.example", "sources.yodify.token_url"),
    ("LATE_CHANGE_WINDOW_DAYS", "0", "late_change_window_days"),
])
def test_bad_settings_are_config_errors(project, sandbox_tiny, setting, value, needle):
    project.point_at(sandbox_tiny)
    project.set(f"SOURCES__YODIFY__{setting}", value)
    result = run_vendor(VENDORS["yodify"], project.paths())
    assert not result.ok and result.error_kind == "config" and needle in result.error, result.error


def test_backfill_loads_its_window_and_leaves_the_state_alone(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    truth = sandbox_tiny.control.truth("yodify")
    now = datetime.fromisoformat(truth["now"])
    start, end = (now - timedelta(days=12)).date(), (now - timedelta(days=5)).date()
    proc = project.cli("backfill", "--vendor", "yodify", "--start", start.isoformat(), "--end", end.isoformat(),
                       "--no-transform")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lo = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    hi = datetime(end.year, end.month, end.day, tzinfo=timezone.utc)
    expected = {d["id"] for d in truth["documents"] if lo <= datetime.fromisoformat(d["at"]) < hi}
    assert {str(r[0]) for r in project.query("select id from raw_yodify.orders")} == expected and expected
    assert project.scalar("select count(*) from raw_yodify.customers") > 0
    assert project.scalar("select count(*) from raw_yodify._dlt_pipeline_state "
                          "where pipeline_name = 'vendorsync_yodify'") == 0
    # a sync afterwards loads everything; the overlap merges without duplicates
    sync(project, "yodify")
    assert_matches_truth(project, truth)
