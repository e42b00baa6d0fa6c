"""enfore synced from a server that answers with its document's own example payloads
(`seeds/001_…txt`): every listed invoice, credit memo and product arrives by id, and the
document's `problems` entry (a `title` and a `detail`, naming no record) is recorded in the
quarantine and counted, never failing the vendor."""
from __future__ import annotations

import json

from tests.docexamples.conftest import orphans, status_of
from tests.docexamples.coverage import assert_all_home, check
from tests.docexamples.enfore_server import APP, NOW, ORG, SECRET, START_DATE, EnforeExamples


def point_at(project, server) -> None:
    for key, value in {"BASE_URL": f"{server.url}/erp", "ORG_ID": ORG, "APP_NAME": APP, "APP_SECRET": SECRET,
                       "START_DATE": START_DATE}.items():
        project.set(f"SOURCES__ENFORE__{key}", value)


def test_document_examples_load_every_listed_record_and_record_the_problems(project, example_server):
    docs = EnforeExamples()
    server = example_server(docs, now=NOW)
    point_at(project, server)

    out = project.cli("sync", "--vendor", "enfore", "--no-transform")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "enfore: 3 record(s) or listing problem(s) not loaded, see raw_enfore.quarantine" in out.stdout

    ids = lambda table: {r[0] for r in project.query(f"select id from raw_enfore.{table}")}   # noqa: E731
    assert ids("invoices") == docs.expected_ids("invoices")
    assert ids("credit_memos") == docs.expected_ids("credit-memos")
    assert {r[0] for r in project.query("select id from raw_enfore.products where _dlt_valid_to is null")} \
        == docs.expected_ids("products")
    items = {r[0] for r in project.query("select id from raw_enfore.invoices__items")}
    assert items == {i["id"] for doc in docs.invoices for i in doc["items"]}
    # invoices named by a credit memo were loaded twice in this run (listed, then fetched again
    # as voided): still no item row without its invoice
    assert any(path.startswith(f"/erp/org/{ORG}/invoices/") for path in server.calls), sorted(server.calls)
    assert orphans(project, "raw_enfore", "invoices", "invoices__items") == 0
    assert orphans(project, "raw_enfore", "credit_memos", "credit_memos__items") == 0

    # the problem: one quarantine row per listing, as printed, with its reason and time
    problems = project.query("select resource, record_key, reason, payload, quarantined_at "
                             "from raw_enfore.quarantine order by resource")
    assert [p[0] for p in problems] == ["credit_memos", "invoices", "products"]
    for _resource, key, reason, payload, at in problems:
        assert key.startswith("problem:") and "names no" in reason and "string - string" in reason
        assert json.loads(payload) == docs.problem and at is not None

    ledger = project.query("select detail from ops.run_ledger where vendor = 'enfore' and resource = '*' "
                           "and status = 'success'")
    assert [json.loads(d)["quarantined"] for (d,) in ledger] == [3]
    assert status_of(project, "enfore")["quarantined"] == 3

    # the same problems listed again on the next run stay one row each, and the run succeeds
    again = project.cli("sync", "--vendor", "enfore", "--no-transform")
    assert again.returncode == 0, again.stdout + again.stderr
    assert project.scalar("select count(*) from raw_enfore.quarantine") == 3
    assert ids("invoices") == docs.expected_ids("invoices")


def test_an_invoice_voided_after_the_scan_loads_on_the_next_sync_without_orphan_items(project, example_server):
    """A credit memo makes the sync fetch its invoice again after this run's scan loaded it,
    and the void changed in between: the invoice is not loaded twice in one run (its first
    copy's items would lose their parent); the next sync loads the new void."""
    docs = EnforeExamples(invoices=60, credit_memos=3, products=2)
    docs.void_later = {"inv-0000": "2025-05-20T09:00:00Z"}
    point_at(project, example_server(docs, now=NOW))
    voided_on = "select distinct cast(i.voided_on as varchar) from raw_enfore.invoices__items i " \
                "join raw_enfore.invoices p on p._dlt_id = i._dlt_parent_id where p.id = 'inv-0000'"

    for run in (1, 2):
        out = project.cli("sync", "--vendor", "enfore", "--no-transform")
        assert out.returncode == 0, out.stdout + out.stderr
        assert orphans(project, "raw_enfore", "invoices", "invoices__items") == 0, run
        assert project.scalar("select count(*) from raw_enfore.invoices where id = 'inv-0000'") == 1
    assert not docs.void_later                                  # the changed copy was fetched
    assert [v for (v,) in project.query(voided_on)] == ["2025-05-20 09:00:00+00"]


def test_every_documented_field_of_a_loaded_record_has_a_home(project, example_server):
    """The document's fields of each loaded record type (its example record's keys) against
    the raw tables: a column, a child table or a JSON column, or a written reason."""
    import sources.enfore as source

    docs = EnforeExamples(invoices=3, credit_memos=2, products=3)
    point_at(project, example_server(docs, now=NOW))
    assert project.cli("sync", "--vendor", "enfore", "--no-transform").returncode == 0

    invoice, memo = docs.docs["invoices"]["items"][0], docs.docs["credit_memos"]["items"][0]
    product = docs.docs["products"]["items"][0]
    counts = {
        "products": check(project, "raw_enfore", source, "products", "products", product, PRODUCT_HOMES),
        "invoices": check(project, "raw_enfore", source, "invoices", "invoices", invoice, DOCUMENT_HOMES),
        "invoices.items": check(project, "raw_enfore", source, "items", "invoices__items",
                                invoice["items"][0], ITEM_HOMES),
        "credit_memos": check(project, "raw_enfore", source, "credit_memos", "credit_memos", memo, DOCUMENT_HOMES),
        "credit_memos.items": check(project, "raw_enfore", source, "items", "credit_memos__items",
                                    memo["items"][0], ITEM_HOMES),
    }
    print("enfore field coverage:", json.dumps(counts))
    assert_all_home(counts)


#: documented fields the source renames or spreads over several columns
DOCUMENT_HOMES = {
    "customer_information": ["customer_individual_id", "customer_organization_id"],
    "payer_information": ["payer_individual_id", "payer_organization_id"],
    "invoice_address": ["address_full_address"],
    "total_gross_amount": ["total_gross_amount", "currency"],
}
ITEM_HOMES = {"standard_price_and_unit": ["unit_price"], "void_information": ["voided_quantity", "voided_on"],
              "depending_items": ["deposit_item_ids"]}
PRODUCT_HOMES = {"sales_price_and_quantity": ["price", "take_away_price", "price_is_gross"],
                 "product_identifiers": ["ean"]}
