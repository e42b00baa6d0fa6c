"""The enfore source against the running simulator: a full load equals the vendor's truth, a
second run loads nothing, a window at the page-size boundary loses nothing, the offset ceiling
splits windows, late records are caught by the lookback, voids of old invoices arrive, problems
and faults lose nothing, and a refused login is one clear line."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from pipelines.runner import run_vendor
from pipelines.vendors import VENDORS
from tests.helpers import assert_second_run_loads_nothing, column_types, sync

TABLES = ["invoices", "invoices__items", "credit_memos", "credit_memos__items", "customers", "products"]
SECRET_SETTING = "SOURCES__ENFORE__APP_SECRET"


def raw_state(project) -> dict[str, str]:
    """invoice id -> its void state as the loaded payload shows it."""
    rows = project.query("""
        select i.id, i.void_reason is not null,
               count(*) filter (where it.voided_quantity > 0), count(*)
        from raw_enfore.invoices i join raw_enfore.invoices__items it on it._dlt_parent_id = i._dlt_id
        group by all""")
    return {i: "voided" if full or voided == n else "partially_voided" if voided else "paid"
            for i, full, voided, n in rows}


def assert_matches_truth(project, truth: dict) -> None:
    docs = {d["id"]: d for d in truth["documents"]}
    invoices = project.query("select id, transaction_date_and_time, total_gross_amount, currency "
                             "from raw_enfore.invoices")
    memos = project.query("select id, transaction_date_and_time, total_gross_amount, currency "
                          "from raw_enfore.credit_memos")
    assert len(invoices) == truth["invoices"]["count"] and len(memos) == truth["credit_memos"]["count"]
    assert len(invoices) + len(memos) == truth["orders"]["count"]
    for doc_id, at, gross, currency in invoices + memos:
        doc = docs[doc_id]
        assert at == datetime.fromisoformat(doc["at"]) and currency == doc["currency"], doc_id
        assert gross == abs(Decimal(doc["total"])), doc_id          # credit memos are sent positive
    states = raw_state(project)
    assert states == {d["id"]: d["status"] for d in truth["documents"] if not d["is_refund"]}
    memo_invoice = dict(project.query("select m.id, r.value from raw_enfore.credit_memos m "
                                      "join raw_enfore.credit_memos__invoices r on r._dlt_parent_id = m._dlt_id"))
    assert memo_invoice == truth["credit_memos"]["invoice_of"]
    assert project.scalar("select count(*) from raw_enfore.invoices__items") \
        + project.scalar("select count(*) from raw_enfore.credit_memos__items") == truth["orders"]["lines"]
    contacts = dict(project.query("select contact_id, any_value(contact_type) from raw_enfore.customers group by 1"))
    assert sorted(c for c, t in contacts.items() if t == "individual") == truth["contacts"]["individual"]
    assert sorted(c for c, t in contacts.items() if t == "organization") == truth["contacts"]["organization"]
    current = {r[0] for r in project.query("select id from raw_enfore.products where _dlt_valid_to is null")}
    assert current == set(truth["products"]["active"])


def list_requests(result, resource: str) -> int:
    return result.requests.get(resource, {}).get("requests", 0)


def test_full_load_equals_ground_truth(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    result = sync(project, "enfore")
    truth = sandbox_tiny.control.truth("enfore")
    assert_matches_truth(project, truth)
    assert any(d["status"] == "voided" for d in truth["documents"])           # the scenario has a void
    types = column_types(project, "raw_enfore", "invoices")
    assert types["total_gross_amount"] == "DECIMAL(24,6)"
    assert types["transaction_date_and_time"] == types["processed_date_and_time"] == "TIMESTAMP WITH TIME ZONE"
    # net amounts keep their 6 decimals exactly as sent
    assert project.scalar("select count(*) from raw_enfore.invoices__items "
                          "where net_amount <> round(net_amount, 2)") > 0
    # the voids were read with their invoices in this run: nothing needed fetching again
    assert list_requests(result, "voided_invoices") == 0


def test_second_run_loads_nothing_new(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    again = assert_second_run_loads_nothing(project, "enfore", TABLES)
    # the lookback re-read is one short page per document list
    assert list_requests(again, "invoices") == 1 and list_requests(again, "credit_memos") == 1


def test_a_window_at_the_page_size_boundary_loses_and_repeats_nothing(project, fresh_sandbox):
    """Exactly 50 invoices (the page size) in [start, end): a full page is not the end, even
    when problems stand in for some of its items; the next page ends it."""
    fresh_sandbox.control.configure("enfore", problem_rate=0.2)
    project.point_at(fresh_sandbox)
    processed = sorted(fresh_sandbox.control.truth("enfore")["invoices"]["processed_at"].items(),
                       key=lambda kv: (kv[1], kv[0]))
    assert len(processed) > 60
    (_, start), (_, end) = processed[5], processed[55]
    assert processed[4][1] < start and processed[54][1] < end      # no ties at the edges
    expected = {i for i, _ in processed[5:55]}
    result = sync(project, "enfore", resources=["invoices"],
                  source_args={"start_date": start, "end_date": end, "window_hours": 24 * 365})
    loaded = [r[0] for r in project.query("select id from raw_enfore.invoices")]
    assert len(loaded) == 50 and set(loaded) == expected
    stats = fresh_sandbox.control.stats()["enfore"]
    assert stats["statuses"].get("400", 0) == 0
    # one full page, one page with just the record at the split instant; problems fetched singly
    singles = list_requests(result, "invoices") - 2
    assert singles > 0, "the scenario needs problems among the 50"


def test_the_offset_ceiling_splits_windows_and_loses_nothing(project, fresh_sandbox):
    fresh_sandbox.control.configure("enfore", max_offset=30, problem_rate=0)
    project.point_at(fresh_sandbox)
    for key, value in (("MAX_OFFSET", "30"), ("DOCUMENT_PAGE_SIZE", "10"), ("WINDOW_HOURS", str(24 * 30))):
        project.set(f"SOURCES__ENFORE__{key}", value)
    result = sync(project, "enfore")
    assert_matches_truth(project, fresh_sandbox.control.truth("enfore"))
    assert project.scalar("select count(*) - count(distinct id) from raw_enfore.invoices") == 0
    # never asked past the ceiling (the simulator answers 400 there), yet one 30-day window
    # holds more than the 40 invoices offsets 0..30 reach: it was split
    assert fresh_sandbox.control.stats()["enfore"]["statuses"].get("400", 0) == 0
    assert result.rows["invoices"] > 40


def test_a_late_arriving_invoice_is_caught_by_the_lookback(project, busy_sandbox, tmp_path, monkeypatch):
    """Invoices processed before the first sync's cursor but visible only after the sync land
    in a window it already read: the next sync's lookback finds them, a sync without one does
    not. Both projects run the real CLI, each with its own environment and warehouse."""
    from tests.conftest import Project

    busy_sandbox.control.configure("enfore", straggler_rate=1.0)   # days generated from now on
    busy_sandbox.control.advance(days=3, hours=16)                 # sync late in a trading day
    no_lookback = Project(tmp_path / "no-lookback", monkeypatch).point_at(busy_sandbox)
    no_lookback.env["SOURCES__ENFORE__LOOKBACK_HOURS"] = "0"
    project.point_at(busy_sandbox)

    def cli_sync(p) -> None:
        proc = p.cli("sync", "--vendor", "enfore", "--no-transform")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    first = busy_sandbox.control.truth("enfore")
    # the cursor the first sync leaves: the latest processing time it read
    cursor = max(datetime.fromisoformat(t) for t in first["invoices"]["processed_at"].values())
    cli_sync(project)
    cli_sync(no_lookback)
    busy_sandbox.control.advance(days=1)
    truth = busy_sandbox.control.truth("enfore")
    late = {d["id"] for d in truth["late_arrivals"]
            if d["id"] not in first["invoices"]["processed_at"] and datetime.fromisoformat(d["processed_at"]) < cursor}
    assert late, "the scenario needs invoices processed before the first sync's cursor, visible after it"

    cli_sync(project)
    assert_matches_truth(project, truth)
    cli_sync(no_lookback)
    missed = late - {r[0] for r in no_lookback.query("select id from raw_enfore.invoices")}
    assert missed, "without a lookback the late invoices are lost: the test would prove nothing"


def test_a_void_of_an_old_invoice_is_fetched_again(project, busy_sandbox):
    busy_sandbox.control.configure("enfore", void_rate=0.6)
    busy_sandbox.control.advance(days=5)                # voided sales, many voided days later
    project.point_at(busy_sandbox)
    sync(project, "enfore")
    before = busy_sandbox.control.truth("enfore")
    # the next sync re-reads invoices processed from (the latest one read) - 48 h
    reread_from = max(datetime.fromisoformat(t) for t in before["invoices"]["processed_at"].values()) \
        - timedelta(hours=48)
    busy_sandbox.control.advance(days=5)
    truth = busy_sandbox.control.truth("enfore")
    invoice_of = truth["credit_memos"]["invoice_of"]
    new_memos = set(invoice_of) - set(before["credit_memos"]["invoice_of"])
    old_voided = {invoice_of[m] for m in new_memos
                  if datetime.fromisoformat(truth["invoices"]["processed_at"][invoice_of[m]]) < reread_from}
    assert old_voided, "the scenario needs voids of invoices processed before the lookback"

    result = sync(project, "enfore")
    assert_matches_truth(project, truth)
    refetched = list_requests(result, "voided_invoices")
    assert len(old_voided) <= refetched <= len(new_memos)
    assert all(raw_state(project)[i] != "paid" for i in old_voided)


def test_problems_in_lists_are_fetched_on_their_own(project, fresh_sandbox):
    fresh_sandbox.control.configure("enfore", problem_rate=0.3)
    project.point_at(fresh_sandbox)
    sync(project, "enfore")
    truth = fresh_sandbox.control.truth("enfore")
    assert_matches_truth(project, truth)                 # incl. no product falsely retired
    sync(project, "enfore")                             # a second snapshot with other problems
    assert {r[0] for r in project.query("select id from raw_enfore.products where _dlt_valid_to is null")} \
        == set(truth["products"]["active"])


def test_catalog_changes_and_deletions_arrive(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    sync(project, "enfore")
    first = fresh_sandbox.control.truth("enfore")
    fresh_sandbox.control.configure("enfore", product_churn=30)
    fresh_sandbox.control.advance(days=5)
    truth = fresh_sandbox.control.truth("enfore")
    deleted = set(truth["products"]["deleted"]) - set(first["products"]["deleted"])
    assert deleted, "the scenario needs product deletions"
    sync(project, "enfore")
    assert_matches_truth(project, truth)
    retired = {r[0] for r in project.query("select id from raw_enfore.products group by id "
                                           "having count(*) filter (where _dlt_valid_to is null) = 0")}
    assert deleted <= retired
    # price edits landed as new versions of the same product
    assert project.scalar("select count(*) from (select id from raw_enfore.products "
                          "group by id having count(*) > 1)") > 0


def test_throttling_and_server_faults_lose_nothing(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    fresh_sandbox.control.set_faults("enfore", rate_429=0.2, rate_502=0.1, rate_500=0.05,
                                     rate_malformed=0.05, rate_drop=0.05, retry_after_s=0.05)
    result = sync(project, "enfore")
    injected = fresh_sandbox.control.stats()["enfore"]["faults_injected"]
    assert injected.get("429", 0) > 0 and injected.get("502", 0) > 0
    assert result.total_retries == sum(injected.values())
    assert_matches_truth(project, fresh_sandbox.control.truth("enfore"))


@pytest.mark.parametrize("setting, value", [(SECRET_SETTING, "not-the-secret"),
                                            ("SOURCES__ENFORE__APP_NAME", "someone-else"),
                                            ("SOURCES__ENFORE__ORG_ID", "000000000000000000000000")])
def test_a_refused_login_is_one_clear_line_without_the_secret(project, sandbox_tiny, setting, value):
    project.point_at(sandbox_tiny)
    project.set(setting, value)
    result = run_vendor(VENDORS["enfore"], project.paths())
    assert not result.ok and result.error_kind == "auth"
    message = result.error
    assert "\n" not in message and message.startswith("enfore: enfore refused app")
    assert "HTTP 403" in message and "Credentials missing or not sufficient" in message
    assert "sources.enfore.app_secret" in message and "sources.enfore.org_id" in message
    secret = sandbox_tiny.vendor("enfore")["credentials"]["app_secret"]
    assert secret not in message and "not-the-secret" not in message
    assert not project.warehouse.exists() or project.scalar(
        "select count(*) from information_schema.tables where table_schema = 'raw_enfore'") == 0

    cli = project.cli("sync", "--vendor", "enfore", "--no-transform")
    assert cli.returncode == 2                              # a settings problem, not a crash
    assert "Traceback" not in cli.stdout + cli.stderr and "enfore refused app" in cli.stdout
    assert secret not in cli.stdout + cli.stderr and "not-the-secret" not in cli.stdout + cli.stderr


def test_settings_out_of_range_are_rejected_with_the_setting_named(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    project.set("SOURCES__ENFORE__DOCUMENT_PAGE_SIZE", "200")
    result = run_vendor(VENDORS["enfore"], project.paths())
    assert not result.ok and result.error_kind == "config"
    assert "document_page_size must be between 1 and 50" in result.error
    assert "sources.enfore.document_page_size" in result.error
