"""Yodify synced from a server that answers with its document's own example payloads
(`seeds/003_…txt`): every listed order (with its item and shipment), product, SKU, account and
account user arrives by key, and no child row is without its parent."""
from __future__ import annotations

from tests.docexamples.conftest import orphans
from tests.docexamples.coverage import assert_all_home, check
from tests.docexamples.yodify_server import CLIENT_ID, CLIENT_SECRET, NOW, START_DATE, YodifyExamples
from tests.helpers import sync


def point_at(project, server) -> None:
    for key, value in {"BASE_URL": f"{server.url}/api/v1", "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
                       "START_DATE": START_DATE, "TOKEN_URL": "/connect/token"}.items():
        project.set(f"SOURCES__YODIFY__{key}", value)


def test_document_examples_load_every_listed_record(project, example_server):
    docs = YodifyExamples()
    point_at(project, example_server(docs, now=NOW))

    result = sync(project, "yodify")
    assert result.quarantined == 0

    keys = lambda sql: {r[0] for r in project.query(sql)}   # noqa: E731
    assert keys("select id from raw_yodify.orders") == {o["id"] for o in docs.orders}
    assert keys("select id from raw_yodify.orders__items") == {o["items"][0]["id"] for o in docs.orders}
    assert keys("select id from raw_yodify.orders__shipments") == {o["shipments"][0]["id"] for o in docs.orders}
    assert keys("select id from raw_yodify.products where _dlt_valid_to is null") == {p["id"] for p in docs.products}
    assert keys("select id from raw_yodify.skus") == {s["id"] for s in docs.skus}
    assert keys("select id from raw_yodify.accounts where _dlt_valid_to is null") == {a["id"] for a in docs.accounts}
    assert keys("select id from raw_yodify.account_users where _dlt_valid_to is null") == set(docs.users)
    for child in ("orders__items", "orders__shipments"):
        assert orphans(project, "raw_yodify", "orders", child) == 0


def test_account_users_come_from_their_own_endpoint_one_current_row_each(project, example_server):
    """A user embedded under several accounts is one user (`GET /AccountUsers`), with one
    membership row per account it is embedded under."""
    docs = YodifyExamples(orders=5, products=3, skus=3, shared_user=True)
    server = example_server(docs, now=NOW)
    point_at(project, server)

    sync(project, "yodify", resources=["accounts", "account_users", "account_memberships"])

    assert server.calls.get("/api/v1/AccountUsers", 0) >= 1
    current = project.query("select id, count(*) from raw_yodify.account_users where _dlt_valid_to is null "
                            "group by id")
    assert {i for i, _ in current} == set(docs.users) and all(n == 1 for _, n in current)
    members = set(project.query("select account_id, user_id from raw_yodify.account_memberships "
                                "where _dlt_valid_to is null"))
    assert members == {(a["id"], u["id"]) for a in docs.accounts for u in a["user_accounts"]}
    assert {a for a, u in members if u == "shared-user-1"} == {docs.accounts[i]["id"] for i in (3, 5, 8)}


def test_every_documented_field_of_a_loaded_record_has_a_home(project, example_server):
    """The document's fields of each loaded record type (its schema example's keys) against
    the raw tables: a column, a child table or a JSON column, or a written reason."""
    import json

    import sources.yodify as source

    docs = YodifyExamples(orders=3, products=3, skus=3, accounts=2)
    point_at(project, example_server(docs, now=NOW))
    sync(project, "yodify")
    d = docs.docs
    counts = {
        "orders": check(project, "raw_yodify", source, "orders", "orders", d["order"], ORDER_HOMES),
        "orders.items": check(project, "raw_yodify", source, "items", "orders__items", d["orderitem"]),
        "orders.shipments": check(project, "raw_yodify", source, "shipments", "orders__shipments", d["shipment"]),
        "orders.customer": check(project, "raw_yodify", source, "customer", "customers", d["order"]["customer"]),
        "products": check(project, "raw_yodify", source, "products", "products", d["product"],
                          {"brand": "brand_name"}),
        "skus": check(project, "raw_yodify", source, "skus", "skus", d["sku"]),
        "accounts": check(project, "raw_yodify", source, "accounts", "accounts", d["account"],
                          {"user_accounts": "table:account_memberships"}),
        "account_users": check(project, "raw_yodify", source, "account_users", "account_users", d["accountuser"]),
    }
    print("yodify field coverage:", json.dumps(counts))
    assert_all_home(counts)


ORDER_HOMES = {"customer": "table:customers", "shipping_address": "shipping_address__name",
               "billing_address": "billing_address__name", "additional_information": "purchase_order_number"}


def test_an_order_listed_twice_in_one_sync_loads_once_and_leaves_no_orphans(project, example_server):
    """A new order in a refund status is listed by `SinceId` and again by the refund window
    in the same sync, and changes in between: it loads once (no item or shipment without its
    parent), and the next sync loads the change."""
    docs = YodifyExamples(orders=5, products=1, skus=1, accounts=1)
    point_at(project, example_server(docs, now=NOW))
    sync(project, "yodify", resources=["orders"])
    order = docs.add_order("Refunded")
    docs.change_after_listing.add(order["id"])

    sync(project, "yodify", resources=["orders"])
    assert project.scalar(f"select count(*) from raw_yodify.orders where id = {order['id']}") == 1
    for child in ("orders__items", "orders__shipments"):
        assert orphans(project, "raw_yodify", "orders", child) == 0, child
    sync(project, "yodify", resources=["orders"])
    assert float(project.scalar(f"select total from raw_yodify.orders where id = {order['id']}")) == order["total"]
    for child in ("orders__items", "orders__shipments"):
        assert orphans(project, "raw_yodify", "orders", child) == 0, child
