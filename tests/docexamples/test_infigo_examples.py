"""Infigo synced from a server that answers with its document's schema examples (the
document prints no example payloads for these responses): every listed product, customer,
order and order line item arrives by key."""
from __future__ import annotations

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
