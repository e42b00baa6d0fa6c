"""Shirtigo synced from a server that answers with its document's own example payloads
(`seeds/002_…txt`, completed only where the document cut them): every listed order, payment
and product arrives by key, with its lines and status entries under it."""
from __future__ import annotations

from tests.docexamples.conftest import orphans
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
