"""The Infigo source against the running simulator: a full load equals the vendor's truth, a
second run loads nothing, an advanced clock's changes (including old open orders and orders
committed late) arrive, faults lose nothing, and a sync at the documented rate limit uses the
allowed rate without being throttled. All but the last run at the limit the demo raises to
(`Project.point_at`)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from tests.helpers import sync, table_counts

TABLES = ["orders", "order_line_items", "customers", "products"]


def point_fast(project, sandbox) -> None:
    project.point_at(sandbox, ["infigo"])


def assert_matches_truth(project, truth: dict) -> None:
    docs = {d["id"]: d for d in truth["documents"]}
    rows = project.query("select id, order_date, order_total, status, customer_currency_code "
                         "from raw_infigo.orders")
    assert len(rows) == truth["orders"]["count"] == len(docs)
    for order_id, ordered_at, total, status, currency in rows:
        doc = docs[str(order_id)]
        assert ordered_at == datetime.fromisoformat(doc["at"]), order_id
        assert total == Decimal(doc["total"]) and str(status) == doc["status"] and currency == doc["currency"]
    assert project.scalar("select count(*) from raw_infigo.order_line_items") == truth["orders"]["lines"]
    units = dict(project.query("select order_id, sum(quantity) from raw_infigo.order_line_items group by 1"))
    assert all(units[int(i)] == d["units"] for i, d in docs.items())
    assert project.scalar("select count(*) from raw_infigo.customers") == truth["customers"]["count"]
    assert project.scalar("select count(*) from raw_infigo.customers where is_guest") == truth["guests"]["count"]
    current = {r[0] for r in project.query("select id from raw_infigo.products where _dlt_valid_to is null")}
    assert current == set(truth["products"]["active"])


def test_full_load_equals_ground_truth(project, sandbox_tiny):
    point_fast(project, sandbox_tiny)
    result = sync(project, "infigo")
    truth = sandbox_tiny.control.truth("infigo")
    assert_matches_truth(project, truth)
    types = dict(project.query("select column_name, data_type from information_schema.columns "
                               "where table_schema = 'raw_infigo' and table_name = 'orders'"))
    assert types["order_total"] == "DECIMAL(24,6)" and types["order_date"] == "TIMESTAMP WITH TIME ZONE"
    assert types["status_name"] == "VARCHAR"
    # N+1+M: id lists (window + 4 open statuses), one detail per order, one call per line,
    # product ids + one page, customer pages for CreatedFrom and LastActivityFrom
    n, lines = truth["orders"]["count"], truth["orders"]["lines"]
    assert result.requests["orders"]["requests"] == 5 + n
    assert result.requests["order_line_items"]["requests"] == lines
    assert result.requests["products"]["requests"] == 2 and result.requests["customers"]["requests"] == 2


def test_second_run_loads_nothing_new(project, sandbox_tiny):
    point_fast(project, sandbox_tiny)
    sync(project, "infigo")
    before = table_counts(project, "raw_infigo", TABLES)
    again = sync(project, "infigo")
    assert sum(again.rows.values()) == 0, again.rows
    assert table_counts(project, "raw_infigo", TABLES) == before
    # the open orders were re-polled (their details fetched), nothing else: no line items
    open_orders = len(sandbox_tiny.control.truth("infigo")["open_orders"]["ids"])
    assert "order_line_items" not in again.requests
    assert again.requests["orders"]["requests"] <= 5 + open_orders + 2 * 4   # + orders of the lookback


def test_changes_after_the_clock_moves_arrive(project, fresh_sandbox):
    point_fast(project, fresh_sandbox)
    sync(project, "infigo")
    first = fresh_sandbox.control.truth("infigo")
    fresh_sandbox.control.configure("infigo", product_churn=25)
    fresh_sandbox.control.advance(days=3)
    truth = fresh_sandbox.control.truth("infigo")
    old = {d["id"]: d for d in first["documents"]}
    horizon = datetime.fromisoformat(first["now"]) - timedelta(hours=48)
    moved_old = [d["id"] for d in truth["documents"] if d["id"] in old and d["status"] != old[d["id"]]["status"]
                 and datetime.fromisoformat(d["at"]) < horizon]
    assert moved_old, "the scenario needs orders older than the lookback that change (the re-poll's job)"
    seen_then_deleted = set(truth["products"]["deleted"]) & set(first["products"]["active"])
    assert seen_then_deleted, "and deletions of products the first sync loaded"

    second = sync(project, "infigo")
    assert 0 < second.rows["orders"] < truth["orders"]["count"]          # only new and changed orders
    assert_matches_truth(project, truth)
    retired = {r[0] for r in project.query(
        "select id from raw_infigo.products group by id having count(*) filter (where _dlt_valid_to is null) = 0")}
    assert seen_then_deleted <= retired                      # kept, retired, not dropped


def test_late_committed_orders_are_caught_by_the_lookback(project, fresh_sandbox):
    """Orders committed up to 30 h after their OrderDate: a sync between the two must still
    load them later, as the next run re-lists 48 h behind the previous one."""
    point_fast(project, fresh_sandbox)
    for _ in range(6):
        sync(project, "infigo")
        fresh_sandbox.control.advance(hours=12)
    sync(project, "infigo")
    assert_matches_truth(project, fresh_sandbox.control.truth("infigo"))


def test_throttling_and_server_faults_lose_nothing(project, fresh_sandbox):
    point_fast(project, fresh_sandbox)
    project.set("SOURCES__INFIGO__PAGE_SIZE", "5")           # many pages, many chances to fail
    fresh_sandbox.control.set_faults("infigo", rate_429=0.1, rate_500=0.05, rate_502=0.05,
                                     rate_malformed=0.05, rate_drop=0.03, retry_after_s=0.05)
    result = sync(project, "infigo")
    injected = fresh_sandbox.control.stats()["infigo"]["faults_injected"]
    assert injected.get("429", 0) > 0 and injected.get("malformed", 0) > 0
    assert result.total_retries == sum(injected.values())    # every injected fault was retried
    assert_matches_truth(project, fresh_sandbox.control.truth("infigo"))


def test_backfill_window_loads_only_that_window_and_no_cursor(project, sandbox_tiny):
    point_fast(project, sandbox_tiny)
    truth = sandbox_tiny.control.truth("infigo")
    days = sorted({d["at"][:10] for d in truth["documents"]})
    start, end = days[3], days[8]
    sync(project, "infigo", resources=["orders", "order_line_items"],
         source_args={"start_date": start, "end_date": end}, pipeline_name="infigo_backfill_test")
    loaded = {str(r[0]) for r in project.query("select id from raw_infigo.orders")}
    assert loaded == {d["id"] for d in truth["documents"] if start <= d["at"][:10] < end}
    lines = project.scalar("select count(*) from raw_infigo.order_line_items")
    assert lines == project.scalar("select sum(json_array_length(order_line_items)) from raw_infigo.orders")
    state = project.scalar("select count(*) from raw_infigo._dlt_pipeline_state "
                           "where pipeline_name = 'vendorsync_infigo'")
    assert state == 0


def test_wrong_token_fails_with_one_line_naming_the_setting(project, sandbox_tiny):
    point_fast(project, sandbox_tiny)
    project.set("SOURCES__INFIGO__API_TOKEN", "00000000-not-the-token-0000")
    from pipelines.runner import run_vendor
    from pipelines.vendors import VENDORS

    result = run_vendor(VENDORS["infigo"], project.paths())
    assert not result.ok and result.error_kind == "auth"
    assert "sources.infigo.api_token" in result.error and "\n" not in result.error
    assert "not-the-token" not in result.error


def test_documented_rate_limit_is_used_fully_without_throttling(project, fresh_sandbox):
    """At Infigo's real limit (50 per rolling 10 s): the shared budget keeps every resource and
    thread within it (almost no 429) and close to it (>= 90 % of 5 requests/s)."""
    project.point_at(fresh_sandbox, ["infigo"], real_limits=True)
    fresh_sandbox.control.reset_stats()
    result = sync(project, "infigo")
    stats = fresh_sandbox.control.stats()["infigo"]
    span = stats["last_request_at"] - stats["first_request_at"]
    throttled = stats["statuses"].get("429", 0)
    assert stats["requests"] == result.total_requests > 150
    assert throttled <= 0.01 * stats["requests"], stats
    assert (stats["requests"] - 1) / span >= 0.9 * 50 / 10, (stats["requests"], span)
