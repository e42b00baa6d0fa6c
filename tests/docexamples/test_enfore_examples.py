"""enfore synced from a server that answers with its document's own example payloads
(`seeds/001_…txt`): every listed invoice, credit memo and product arrives by id, and the
document's `problems` entry (a `title` and a `detail`, naming no record) is recorded in the
quarantine and counted, never failing the vendor."""
from __future__ import annotations

import json

from tests.docexamples.conftest import orphans, status_of
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
    assert orphans(project, "raw_enfore", "invoices", "invoices__items") == 0
    assert orphans(project, "raw_enfore", "credit_memos", "credit_memos__items") == 0

    # the problem: one quarantine row per listing, as printed, with its reason and time
    problems = project.query("select resource, record_key, reason, payload, quarantined_at "
                             "from raw_enfore.quarantine order by resource")
    assert [p[0] for p in problems] == ["credit_memos", "invoices", "products"]
    for resource, key, reason, payload, at in problems:
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
