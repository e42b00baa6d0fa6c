"""Shirtigo synced from a server that answers with its document's own example payloads
(`seeds/002_…txt`, completed only where the document cut them): every listed order, payment
and product arrives by key, with its lines and status entries under it."""
from __future__ import annotations

from tests.docexamples.conftest import orphans
from tests.docexamples.coverage import assert_all_home, check
from tests.docexamples.shirtigo_server import API_KEY, NOW, START_DATE, ShirtigoExamples
from tests.helpers import sync


def test_document_examples_load_every_listed_record(project, example_server):
    docs = ShirtigoExamples()
    server = example_server(docs, now=NOW)
    for key, value in {"BASE_URL": f"{server.url}/api", "API_KEY": API_KEY, "START_DATE": START_DATE}.items():
        project.set(f"SOURCES__SHIRTIGO__{key}", value)

    result = sync(project, "shirtigo")
    assert result.quarantined == 0

    keys = lambda sql: {r[0] for r in project.query(sql)}   # noqa: E731
    assert keys("select reference from raw_shirtigo.orders") == {o["reference"] for o in docs.orders}
    assert keys("select id from raw_shirtigo.payments") == {p["id"] for p in docs.payments}
    assert keys("select id from raw_shirtigo.products where _dlt_valid_to is null") \
        == {p["id"] for p in docs.products}
    assert project.scalar("select count(*) from raw_shirtigo.orders__lines") == len(docs.orders)
    assert project.scalar("select count(distinct customer_id) from raw_shirtigo.customers") == 29
    for child in ("orders__lines", "orders__status_entries"):
        assert orphans(project, "raw_shirtigo", "orders", child) == 0


def test_an_order_served_twice_by_a_shifting_listing_loads_once_without_orphan_lines(project, example_server):
    docs = ShirtigoExamples(orders=150, payments=2, products=2)
    docs.shifted = True
    server = example_server(docs, now=NOW)
    for key, value in {"BASE_URL": f"{server.url}/api", "API_KEY": API_KEY, "START_DATE": START_DATE}.items():
        project.set(f"SOURCES__SHIRTIGO__{key}", value)
    sync(project, "shirtigo", resources=["orders"])
    assert project.scalar("select count(*) from raw_shirtigo.orders") == len(docs.orders)
    assert project.scalar("select count(*) from raw_shirtigo.orders__lines") == len(docs.orders)
    assert orphans(project, "raw_shirtigo", "orders", "orders__lines") == 0


def test_every_documented_field_of_a_loaded_record_has_a_home(project, example_server):
    """The document's fields of each loaded record type against the raw tables: a column, a
    child table or a JSON column, or a written reason."""
    import json

    import sources.shirtigo as source

    docs = ShirtigoExamples(orders=3, payments=3, products=3)
    server = example_server(docs, now=NOW)
    for key, value in {"BASE_URL": f"{server.url}/api", "API_KEY": API_KEY, "START_DATE": START_DATE}.items():
        project.set(f"SOURCES__SHIRTIGO__{key}", value)
    sync(project, "shirtigo")
    order = docs.orders[0]
    counts = {
        "orders": check(project, "raw_shirtigo", source, "orders", "orders", order, ORDER_HOMES),
        "orders.products": check(project, "raw_shirtigo", source, "order_products", "orders__lines",
                                 order["products"]["data"][0], {"id": "product_id", "amount": "quantity"}),
        "orders.orderStatusEntries": check(project, "raw_shirtigo", source, "status_entries",
                                           "orders__status_entries", order["orderStatusEntries"]["data"][0]),
        "payments": check(project, "raw_shirtigo", source, "payments", "payments", docs.payments[0],
                          {"order": "order_reference"}),
        # the product examples stop at `price`: the schema (ProjectProduct) lists the fields
        "products": check(project, "raw_shirtigo", source, "products", "products", PRODUCT_SCHEMA_FIELDS,
                          {"colors": "colors"}),
    }
    print("shirtigo field coverage:", json.dumps(counts))
    assert_all_home(counts)


ORDER_HOMES = {"orderStatusEntries": "table:orders__status_entries", "products": "table:orders__lines",
               "payments": "table:orders__payments",
               "delivery": "table:customers", "shipping": ["shipping_cost", "tracking_code"]}

#: `ProjectProduct` as the document's schema definitions list it (its examples are cut)
PRODUCT_SCHEMA_FIELDS = ["active_integration_syncs", "name", "custom_name", "base_product", "integration_products",
                         "project_name", "project", "has_express", "price", "images", "is_rendered", "description",
                         "id", "updated_at", "integration_sync_log", "is_available", "colors"]
