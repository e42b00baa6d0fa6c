"""The Shirtigo source against the running simulator: full load equals the vendor's truth,
a second run loads nothing, an advanced clock's changes arrive, faults lose nothing."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.helpers import assert_second_run_loads_nothing, column_types, sync

TABLES = ["orders", "orders__lines", "orders__payments", "payments", "customers", "products"]


def assert_matches_truth(project, truth: dict) -> None:
    docs = {d["id"]: d for d in truth["documents"]}
    rows = project.query("select reference, created_at, gross_price, status_key, total_items "
                         "from raw_shirtigo.orders")
    assert len(rows) == truth["orders"]["count"] == len(docs)
    for reference, created_at, gross, status_key, units in rows:
        doc = docs[reference]
        assert created_at == datetime.fromisoformat(doc["at"]), reference       # Berlin -> UTC, exact
        assert gross == Decimal(doc["total"]) and status_key == doc["status"] and units == doc["units"]
    assert project.scalar("select count(*) from raw_shirtigo.orders__lines") == truth["orders"]["lines"]
    assert project.scalar("select count(*) from raw_shirtigo.payments") == truth["payments"]["count"]
    assert project.scalar("select count(distinct customer_id) from raw_shirtigo.orders") \
        == truth["customers"]["count"] \
        == project.scalar("select count(*) from raw_shirtigo.customers")
    current = {r[0] for r in project.query("select id from raw_shirtigo.products where _dlt_valid_to is null")}
    assert current == set(truth["products"]["active"])


def test_full_load_equals_ground_truth(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    result = sync(project, "shirtigo")
    assert_matches_truth(project, sandbox_tiny.control.truth("shirtigo"))
    # money landed as exact decimals, timestamps as UTC instants
    types = column_types(project, "raw_shirtigo", "orders")
    assert types["gross_price"] == "DECIMAL(18,2)" and types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert result.total_requests <= 8          # /user + products + a page of orders and of payments


def test_second_run_loads_nothing_new(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    assert_second_run_loads_nothing(project, "shirtigo", TABLES)
    # the cursors were recorded in the warehouse's dlt state
    state = project.scalar("select count(*) from raw_shirtigo._dlt_pipeline_state")
    assert state >= 1


def test_changes_after_the_clock_moves_arrive(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    sync(project, "shirtigo")
    first = fresh_sandbox.control.truth("shirtigo")
    fresh_sandbox.control.configure("shirtigo", product_churn=25)
    fresh_sandbox.control.advance(days=3)
    truth = fresh_sandbox.control.truth("shirtigo")
    assert truth["orders"]["count"] > first["orders"]["count"]
    changed_status = [d["id"] for d in truth["documents"]
                      if d["id"] in {x["id"]: x for x in first["documents"]}
                      and d["status"] != {x["id"]: x for x in first["documents"]}[d["id"]]["status"]]
    assert changed_status, "the scenario needs open orders that move on"
    deleted_since = set(truth["products"]["deleted"]) - set(first["products"]["deleted"])
    assert deleted_since, "the scenario needs product deletions"

    second = sync(project, "shirtigo")
    assert second.rows["orders"] < truth["orders"]["count"]      # only new and changed orders
    assert_matches_truth(project, truth)
    # deleted products are kept, retired, not dropped
    retired = {r[0] for r in project.query(
        "select id from raw_shirtigo.products group by id having count(*) filter (where _dlt_valid_to is null) = 0")}
    assert deleted_since <= retired
    # product edits landed as new versions
    edited = project.scalar("select count(*) from (select id from raw_shirtigo.products group by id having count(*) > 1)")
    assert edited > 0


def test_throttling_and_server_faults_lose_nothing(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    project.set("SOURCES__SHIRTIGO__PAGE_SIZE", "10")        # many pages, many chances to fail
    fresh_sandbox.control.set_faults("shirtigo", rate_429=0.25, rate_500=0.05, rate_502=0.05,
                                     rate_malformed=0.05, rate_drop=0.05, retry_after_s=0.05)
    result = sync(project, "shirtigo")
    stats = fresh_sandbox.control.stats()["shirtigo"]["faults_injected"]
    assert stats.get("429", 0) > 0
    assert result.total_retries == sum(stats.values())       # every injected fault was retried
    assert_matches_truth(project, fresh_sandbox.control.truth("shirtigo"))
