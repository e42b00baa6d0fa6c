"""Infigo synced from a server that answers with its document's schema examples (the
document prints no example payloads for these responses): every listed product, customer,
order and order line item arrives by key."""
from __future__ import annotations

from tests.docexamples.coverage import assert_all_home, check
from tests.docexamples.infigo_server import NOW, START_DATE, TOKEN, InfigoExamples
from tests.helpers import sync


def test_document_examples_load_every_listed_record(project, example_server):
    docs = InfigoExamples()
    server = example_server(docs, now=NOW)
    for key, value in {"BASE_URL": f"{server.url}/services/api", "API_TOKEN": TOKEN,
                       "START_DATE": START_DATE, "RATE_LIMIT_PER_WINDOW": "5000"}.items():
        project.set(f"SOURCES__INFIGO__{key}", value)

    result = sync(project, "infigo")
    assert result.quarantined == 0

    keys = lambda sql: {r[0] for r in project.query(sql)}   # noqa: E731
    assert keys("select id from raw_infigo.products where _dlt_valid_to is null") == {p["Id"] for p in docs.products}
    assert keys("select id from raw_infigo.customers") == {c["Id"] for c in docs.customers}
    assert keys("select id from raw_infigo.orders") == set(docs.orders)
    assert keys("select id from raw_infigo.order_line_items") == {line["Id"] for line in docs.lines.values()}


def test_every_documented_field_of_a_loaded_record_has_a_home(project, example_server):
    """The document's fields of each loaded record type (every property of its schema)
    against the raw tables: a column, a child table or a JSON column, or a written reason."""
    import json

    import sources.infigo as source

    docs = InfigoExamples(orders=2, products=3, customers=3)
    server = example_server(docs, now=NOW)
    for key, value in {"BASE_URL": f"{server.url}/services/api", "API_TOKEN": TOKEN,
                       "START_DATE": START_DATE, "RATE_LIMIT_PER_WINDOW": "5000"}.items():
        project.set(f"SOURCES__INFIGO__{key}", value)
    sync(project, "infigo")
    counts = {
        "orders": check(project, "raw_infigo", source, "orders", "orders", docs.order_example),
        "order_line_items": check(project, "raw_infigo", source, "order_line_items", "order_line_items",
                                  docs.line_example),
        "products": check(project, "raw_infigo", source, "products", "products", docs.product_example),
        "customers": check(project, "raw_infigo", source, "customers", "customers", docs.customer_example),
    }
    print("infigo field coverage:", json.dumps(counts))
    assert_all_home(counts)
