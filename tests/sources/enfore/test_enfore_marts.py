"""enfore through the real CLI (sync + dbt build) into the marts: a void marks its invoice and
adds a negative credit memo on the void's date, net revenue per day equals the vendor's truth,
late-processed invoices land on their transaction day, customers are the contacts named."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from sandbox.client import SandboxProcess
from tests.conftest import Project


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A small enfore world with many voids, synced and built once for the module."""
    with SandboxProcess(seed=11, scale="small", vendors=["enfore"]) as sb, pytest.MonkeyPatch.context() as mp:
        sb.control.configure("enfore", void_rate=0.5)
        sb.control.advance(days=6)
        project = Project(tmp_path_factory.mktemp("enfore-marts"), mp).point_at(sb)
        proc = project.cli("sync", "--vendor", "enfore")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "dbt build: ok" in proc.stdout
        yield project, sb.control.truth("enfore")


def test_a_void_marks_the_invoice_and_counts_negative_on_its_own_date(synced):
    project, truth = synced
    docs = {d["id"]: d for d in truth["documents"]}
    later = [(m, i) for m, i in truth["credit_memos"]["invoice_of"].items()
             if docs[i]["status"] == "voided" and docs[m]["at"][:10] != docs[i]["at"][:10]]
    assert later, "the scenario needs a full void on a later day than its sale"
    memo_id, invoice_id = later[0]
    invoice = project.query("select status, vendor_status, document_type, counts_in_revenue, is_refund, total, "
                            f"order_date from marts.fct_orders where order_key = 'enfore:{invoice_id}'")
    assert invoice == [("refunded", "voided", "invoice", True, False, Decimal(docs[invoice_id]["total"]),
                        datetime.fromisoformat(docs[invoice_id]["at"]).date())]
    memo = project.query("select status, vendor_status, document_type, counts_in_revenue, is_refund, total, "
                         f"order_date, customer_key from marts.fct_orders where order_key = 'enfore:{memo_id}'")
    assert memo[0][:7] == ("refunded", "credit_memo", "credit_memo", True, True,
                           -Decimal(docs[invoice_id]["total"]), datetime.fromisoformat(docs[memo_id]["at"]).date())
    lines = project.query("select sum(quantity), sum(line_total), count(*) filter (where quantity >= 0), count(*) "
                          f"from marts.fct_order_lines where order_key = 'enfore:{memo_id}'")
    memo_net = project.scalar(f"select subtotal - discount from marts.fct_orders where order_key = 'enfore:{memo_id}'")
    units, net, positive, count = lines[0]
    assert (units, positive) == (docs[memo_id]["units"], 0)
    assert abs(net - memo_net) <= Decimal("0.005") * count      # net lines, each rounded to the cent
    # partial voids: the invoice stands (completed), its credit memo carries the voided part
    partial = [(m, i) for m, i in truth["credit_memos"]["invoice_of"].items() if docs[i]["status"] == "partially_voided"]
    assert partial
    for memo_id, invoice_id in partial:
        rows = {key: rest for key, *rest in project.query(
            "select order_key, status, vendor_status, total from marts.fct_orders "
            f"where order_key in ('enfore:{memo_id}', 'enfore:{invoice_id}')")}
        assert rows[f"enfore:{invoice_id}"] == ["completed", "partially_voided", Decimal(docs[invoice_id]["total"])]
        assert rows[f"enfore:{memo_id}"] == ["refunded", "credit_memo", Decimal(docs[memo_id]["total"])]
        assert -Decimal(docs[invoice_id]["total"]) < Decimal(docs[memo_id]["total"]) < 0


def test_net_revenue_per_day_equals_ground_truth(synced):
    project, truth = synced
    marts = {(str(d), c): {"orders": o, "refunds": rf, "units": u, "gross_revenue": str(g),
                           "refund_amount": str(ra), "net_revenue": str(n), "new_customers": nc}
             for d, c, o, rf, u, g, ra, n, nc in project.query(
                 "select sales_date, currency, orders, refunds, units, gross_revenue, refund_amount, "
                 "net_revenue, new_customers from marts.mart_sales_daily where vendor = 'enfore'")}
    expected = {(d["sales_date"], d["currency"]): {k: v for k, v in d.items() if k not in ("sales_date", "currency")}
                for d in truth["daily"]}
    assert marts == expected
    assert {c for _, c in marts} == {"EUR", "CHF"}
    assert sum(d["refunds"] for d in truth["daily"]) > 10
    # every document's parts add up to its total, to the cent (the dbt test) and in EUR
    assert project.scalar("select count(*) from marts.fct_orders where vendor = 'enfore' and total_eur is null") == 0


def test_late_processed_invoices_land_on_their_transaction_day(synced):
    project, truth = synced
    crossing = [d for d in truth["late_arrivals"] if d["processed_at"][:10] != d["transaction_at"][:10]]
    assert crossing, "the scenario needs an invoice processed on a later day than its sale"
    for d in crossing:
        assert project.scalar(f"select order_date from marts.fct_orders where order_key = 'enfore:{d['id']}'") \
            == datetime.fromisoformat(d["transaction_at"]).date()


def test_customers_are_the_contacts_named_on_invoices(synced):
    project, truth = synced
    rows = project.query("select customer_kind, count(*) from marts.dim_customers where vendor = 'enfore' group by 1")
    kinds = dict(rows)
    assert sum(kinds.values()) == truth["customers"]["count"]
    assert kinds["person"] == len(truth["contacts"]["individual"])
    assert kinds["company"] == len(truth["contacts"]["organization"])
    anonymous = sum(1 for d in truth["documents"] if not d["is_refund"]) - project.scalar(
        "select count(*) from marts.fct_orders where vendor = 'enfore' and document_type = 'invoice' "
        "and customer_key is not null")
    assert anonymous > 0 and project.scalar(
        "select count(*) from marts.fct_orders where vendor = 'enfore' and customer_key is null "
        "and document_type = 'invoice'") == anonymous
    # payers are contacts too: every one named on an invoice is a customer row
    assert project.scalar("""
        select count(*) from (
            select coalesce(payer_organization_id, payer_individual_id) as payer from raw_enfore.invoices
        ) as p left join marts.dim_customers c on c.customer_key = 'enfore:' || p.payer
        where p.payer is not null and c.customer_key is null""") == 0
    assert project.scalar("select count(*) from raw_enfore.invoices where payer_organization_id is not null "
                          "and customer_individual_id is not null") > 0, "the scenario needs a company paying"
