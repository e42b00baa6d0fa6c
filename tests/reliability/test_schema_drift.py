"""Schema drift: a new field arrives as a column, a number sent as a string still loads, a
string where an object was is quarantined with its reason, an unknown status is flagged by
the marts' tests; nothing crashes the run and nothing is dropped silently. Once the vendor
fixes a quarantined record, the next sync loads it and it leaves the quarantine."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.helpers import sync


def test_drifted_orders_load_or_are_quarantined_with_a_reason(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    fresh_sandbox.control.configure("shirtigo", schema_drift=True)
    truth = fresh_sandbox.control.truth("shirtigo")
    drift = truth["drift"]
    assert all(drift.values()), drift             # the scenario has every kind of drift

    result = sync(project, "shirtigo")
    assert result.rows["quarantine"] == len(drift["string_object"])
    quarantined = project.query("select record_key, resource, reason, payload from raw_shirtigo.quarantine")
    assert {r[0] for r in quarantined} == set(drift["string_object"])
    for _, resource, reason, payload in quarantined:
        assert resource == "orders" and "expected a Money object, got str" in reason
        assert json.loads(payload)["gross_price"].endswith(" EUR")      # the raw record is kept

    loaded = dict(project.query("select reference, net_price from raw_shirtigo.orders"))
    docs = {d["id"]: d for d in truth["documents"]}
    assert set(loaded) == set(docs) - set(drift["string_object"])
    for ref in drift["string_number"]:                                   # "1295" read as 12.95
        assert loaded[ref] is not None and loaded[ref] > Decimal(0)
    # the field the document does not know arrived as a column
    assert project.scalar("select count(*) from raw_shirtigo.orders where gift_message = 'Alles Gute!'") \
        == len(loaded)
    statuses = dict(project.query("select reference, status_key from raw_shirtigo.orders"))
    assert {statuses[r] for r in drift["unknown_status"]} == {"on_hold"}


def test_unknown_status_is_surfaced_by_the_marts_tests(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    fresh_sandbox.control.configure("shirtigo", schema_drift=True)
    proc = project.cli("sync", "--vendor", "shirtigo")
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    assert "status" in output and "on_hold" in output, output       # named where a user sees it
    unmapped = project.query("select distinct vendor_status from marts.fct_orders where status is null")
    assert unmapped == [("on_hold",)]


# --- the other vendors, each with drift of its own format ------------------------------------
def ids_of(project, sql: str) -> set[str]:
    return {str(r[0]) for r in project.query(sql)}


def tables_of(project, vendor: str) -> set[str]:
    return ids_of(project, f"select table_name from information_schema.tables where table_schema = 'raw_{vendor}'")


def yodify_checks(project, truth: dict, drift: dict, loaded: set[str]) -> None:
    on_hold = drift["unknown_status"]
    assert ids_of(project, "select id from raw_yodify.orders where order_status = 'OnHold'") == set(on_hold)
    # doubles sent as strings: the items' prices too, read as decimals
    priced = project.query("select count(*), count(i.price_per_unit) from raw_yodify.orders__items i "
                           "join raw_yodify.orders o on i._dlt_parent_id = o._dlt_id "
                           f"where cast(o.id as varchar) in ({sql_list(drift['string_number'])})")
    assert priced[0][0] > 0 and priced[0][0] == priced[0][1]
    skus = dict(project.query("select cast(id as varchar), list_price from raw_yodify.skus"))
    assert drift["sku_string_number"] and all(skus[s] > 0 for s in drift["sku_string_number"])
    # the transformer fed by orders got the buyers of every loaded order, and nothing else
    assert ids_of(project, "select id from raw_yodify.customers") == \
        ids_of(project, "select distinct customer_id from raw_yodify.orders")


def enfore_checks(project, truth: dict, drift: dict, loaded: set[str]) -> None:
    # bare numbers where Money was: the items load with the document's currency, adding up
    bare = project.query("""
        select d.id, d.total_gross_amount, sum(i.gross_amount), count(*) - count(i.currency), min(i.currency) = d.currency
        from raw_enfore.invoices d join raw_enfore.invoices__items i on i._dlt_parent_id = d._dlt_id
        where d.id in ({ids}) group by d.id, d.total_gross_amount, d.currency""".format(
        ids=sql_list(drift["bare_number"])))
    assert bare and all(total == items and missing == 0 and same for _, total, items, missing, same in bare)
    twint = {i for table in {"invoices", "credit_memos"} & tables_of(project, "enfore")
             for i in ids_of(project, f"select id from raw_enfore.{table} where payment_methods = 'TWINT'")}
    assert twint == set(drift["unknown_enum"]) & loaded
    # the contacts of every loaded invoice reached `customers`, quarantine rows did not break it
    named = ids_of(project, "select coalesce(customer_organization_id, customer_individual_id) from raw_enfore.invoices "
                            "where coalesce(customer_organization_id, customer_individual_id) is not null")
    assert named <= ids_of(project, "select contact_id from raw_enfore.customers where role = 'customer'")


def yodify_fixed(project, truth: dict) -> None:
    assert ids_of(project, "select id from raw_yodify.skus") == {str(s) for s in truth["skus"]["active"]}
    assert ids_of(project, "select id from raw_yodify.customers") == \
        ids_of(project, "select distinct customer_id from raw_yodify.orders")


def enfore_fixed(project, truth: dict) -> None:
    contacts = set(truth["contacts"]["individual"]) | set(truth["contacts"]["organization"])
    assert ids_of(project, "select contact_id from raw_enfore.customers") == contacts


def infigo_fixed(project, truth: dict) -> None:
    assert ids_of(project, "select id from raw_infigo.products where _dlt_valid_to is null") == \
        {str(p) for p in truth["products"]["active"]}


def infigo_checks(project, truth: dict, drift: dict, loaded: set[str]) -> None:
    unknown = project.query("select cast(id as varchar), status, status_name from raw_infigo.orders where status = 70")
    assert {r[0] for r in unknown} == set(drift["unknown_status"]) and all(r[2] is None for r in unknown)
    products = dict(project.query("select cast(id as varchar), price from raw_infigo.products "
                                  "where _dlt_valid_to is null"))
    assert all(products[str(p)] > 0 for p in drift["product_string_number"])
    assert not {str(p) for p in drift["product_formatted_price"]} & set(products)
    # line items of every loaded order, none of the quarantined ones
    assert ids_of(project, "select distinct order_id from raw_infigo.order_line_items") == loaded


def sql_list(ids) -> str:
    return ", ".join(f"'{i}'" for i in ids) or "''"


@dataclass(frozen=True)
class DriftCase:
    vendor: str
    #: table -> the signed total of each of its sales documents (a table not loaded holds none)
    documents: dict[str, str]
    #: drift kind -> the quarantine `resource` of its records (None: the document's own table)
    quarantined: dict[str, str | None]
    #: drift kind -> what the quarantine reason says
    reasons: dict[str, str]
    #: a field the document does not know: (table, column, value on every loaded row)
    new_column: tuple[str, str, object]
    #: the vendor status the marts cannot map (None: the vendor has no status field)
    unmapped_status: str | None
    #: tables of line items: their rows equal the truth's lines once every document is loaded
    lines: tuple[str, ...]
    checks: Callable = field(repr=False)
    #: derived and other resources, once every record is readable
    fixed_checks: Callable = field(repr=False)
    document_table: Callable[[dict], str] = field(default=lambda doc: "orders", repr=False)


CASES = [
    DriftCase("yodify", {"orders": "total"},
              {"items_object": None, "sku_price_object": "skus"},
              {"items_object": "items: expected an array, got an object",
               "sku_price_object": "list_price: expected a number, got an object"},
              ("orders", "sales_channel", "punchout"), "OnHold",
              ("orders__items",), yodify_checks, yodify_fixed),
    DriftCase("enfore", {"invoices": "total_gross_amount", "credit_memos": "-total_gross_amount"},
              {"string_money": None}, {"string_money": "total_gross_amount: expected a Money object"},
              ("invoices", "fiscal_transaction_number", None), None,
              ("invoices__items", "credit_memos__items"), enfore_checks, enfore_fixed,
              lambda doc: "credit_memos" if doc["is_refund"] else "invoices"),
    DriftCase("infigo", {"orders": "order_total"},
              {"formatted_amount": None, "product_formatted_price": "products"},
              {"formatted_amount": "OrderTotal: ", "product_formatted_price": "Price: "},
              ("orders", "sales_channel", "Storefront B2B"), "70",
              ("order_line_items",), infigo_checks, infigo_fixed),
]


def expected_quarantine(case: DriftCase, truth: dict) -> set[tuple[str, str]]:
    """(resource, key) of every record the drift makes unreadable."""
    docs = {d["id"]: d for d in truth["documents"]}
    return {(resource or case.document_table(docs[str(key)]), str(key))
            for kind, resource in case.quarantined.items() for key in truth["drift"][kind]}


def quarantined_documents(case: DriftCase, truth: dict) -> set[str]:
    return {str(key) for kind, resource in case.quarantined.items() if resource is None
            for key in truth["drift"][kind]}


def assert_documents_match_truth(project, case: DriftCase, truth: dict, absent: set[str]) -> set[str]:
    """Every document the vendor holds is loaded with its exact total, except `absent`."""
    present = tables_of(project, case.vendor)
    totals = {str(i): t for table, total in case.documents.items() if table in present
              for i, t in project.query(f"select id, {total} from raw_{case.vendor}.{table}")}
    docs = {d["id"]: d for d in truth["documents"]}
    assert set(totals) == set(docs) - absent
    assert all(totals[i] == Decimal(docs[i]["total"]) for i in totals), \
        {i: (totals[i], docs[i]["total"]) for i in totals if totals[i] != Decimal(docs[i]["total"])}
    # no value sent as a string became a text variant of its column
    assert project.query(f"select table_name, column_name from information_schema.columns where "
                         f"table_schema = 'raw_{case.vendor}' and column_name like '%\\_\\_v\\_%' escape '\\'") == []
    return set(totals)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.vendor)
def test_drifted_records_load_or_are_quarantined_until_the_vendor_fixes_them(project, fresh_sandbox, case):
    project.point_at(fresh_sandbox, vendors=[case.vendor])
    fresh_sandbox.control.configure(case.vendor, schema_drift=True)
    truth = fresh_sandbox.control.truth(case.vendor)
    assert all(truth["drift"].values()), truth["drift"]      # the scenario has every kind of drift

    result = sync(project, case.vendor)
    expected = expected_quarantine(case, truth)
    assert result.rows["quarantine"] == len(expected) > 0
    quarantined = project.query(f"select resource, record_key, reason, payload from raw_{case.vendor}.quarantine")
    assert {(r[0], r[1]) for r in quarantined} == expected
    kind_of = {str(key): kind for kind in case.quarantined for key in truth["drift"][kind]}
    for _, key, reason, payload in quarantined:
        assert case.reasons[kind_of[key]] in reason, reason
        record = json.loads(payload)                                  # the raw record is kept
        assert str(record.get("id", record.get("Id"))) == key
    loaded = assert_documents_match_truth(project, case, truth, quarantined_documents(case, truth))
    table, column, value = case.new_column
    values = project.query(f"select {column} from raw_{case.vendor}.{table}")
    assert values and all(v[0] is not None and (value is None or v[0] == value) for v in values)
    case.checks(project, truth, truth["drift"], loaded)

    # the vendor fixes its records: the next sync loads them and empties the quarantine
    fresh_sandbox.control.configure(case.vendor, schema_drift=False)
    fixed = sync(project, case.vendor)
    assert fixed.rows["quarantine"] == len(expected)            # the released rows (deleted)
    assert project.scalar(f"select count(*) from raw_{case.vendor}.quarantine") == 0
    truth = fresh_sandbox.control.truth(case.vendor)
    assert_documents_match_truth(project, case, truth, set())
    present = tables_of(project, case.vendor)
    assert sum(project.scalar(f"select count(*) from raw_{case.vendor}.{t}") for t in case.lines if t in present) \
        == truth["orders"]["lines"]
    case.fixed_checks(project, truth)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.vendor)
def test_sync_reports_the_quarantine_and_unmapped_statuses(project, fresh_sandbox, case):
    project.point_at(fresh_sandbox, vendors=[case.vendor])
    fresh_sandbox.control.configure(case.vendor, schema_drift=True)
    truth = fresh_sandbox.control.truth(case.vendor)
    held = len(expected_quarantine(case, truth))
    proc = project.cli("sync", "--vendor", case.vendor)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in output, output
    assert f"quarantine {held}" in output, output                 # the run summary names it
    assert project.query("select rows from ops.run_ledger where resource = 'quarantine' and status = 'success' "
                         f"and vendor = '{case.vendor}'") == [(held,)]
    unmapped = {r[0] for r in project.query("select vendor_status from marts.fct_orders "
                                            f"where vendor = '{case.vendor}' and status is null")}
    if case.unmapped_status:
        assert unmapped == {case.unmapped_status}
        assert f"unmapped_vendor_statuses: {case.vendor}, {case.unmapped_status}, " in output, output
    else:
        assert unmapped == set()
    documents = len(truth["documents"]) - len(quarantined_documents(case, truth))
    assert project.scalar(f"select count(*) from marts.fct_orders where vendor = '{case.vendor}'") == documents
    status = project.cli("status", "--json", "--vendor", case.vendor)
    assert json.loads(status.stdout)[0]["quarantined"] == held
    assert f"records not loaded: see raw_{case.vendor}.quarantine" in project.cli("status", "--vendor",
                                                                                  case.vendor).stdout


def test_an_unreadable_product_keeps_its_last_version_until_it_reads(project, fresh_sandbox):
    """A snapshot loads without the products it cannot read and does not retire them."""
    project.point_at(fresh_sandbox, vendors=["infigo"])
    sync(project, "infigo", resources=["products"])
    current = "select cast(id as varchar) from raw_infigo.products where _dlt_valid_to is null"
    active = {str(p) for p in fresh_sandbox.control.truth("infigo")["products"]["active"]}
    assert ids_of(project, current) == active
    fresh_sandbox.control.configure("infigo", schema_drift=True)
    unreadable = {str(p) for p in fresh_sandbox.control.truth("infigo")["drift"]["product_formatted_price"]}
    assert unreadable
    sync(project, "infigo", resources=["products"])
    assert ids_of(project, current) == active                         # nothing retired
    assert ids_of(project, "select record_key from raw_infigo.quarantine where resource = 'products'") == unreadable
    fresh_sandbox.control.configure("infigo", schema_drift=False)
    sync(project, "infigo", resources=["products"])
    assert ids_of(project, current) == active
    assert project.scalar("select count(*) from raw_infigo.quarantine") == 0
