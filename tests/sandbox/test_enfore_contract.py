"""The enfore simulator against the vendor document (seeds/001_322f936b81e921dc.txt, enfore ERP
API 1.19.2): auth flow and its 403 problems, {items, problems} paging, the [from, to) windows on
processed_date_and_time, money {value, unit}, voids and credit memos, late records."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PROBLEM_KEYS = {"type", "title", "detail"}


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def z(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Api:
    def __init__(self, sandbox):
        info = sandbox.vendor("enfore")
        self.creds = info["credentials"]
        self.base = info["base_url"]                              # .../erp
        self.origin = self.base.rsplit("/erp", 1)[0]
        self.org = f"{self.base}/org/{self.creds['org_id']}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token()}"

    def basic(self, app: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{app}:{secret}".encode()).decode()

    def token(self, org: str | None = None) -> str:
        r = requests.get(f"{self.origin}/auth/authorize/{org or self.creds['org_id']}", timeout=10,
                         headers={"Authorization": self.basic(self.creds["app_name"], self.creds["app_secret"])})
        assert r.status_code == 200, r.text
        return r.json()["accessToken"]

    def get(self, path: str, **params):
        return self.session.get(self.org + path, params=params, timeout=10)

    def window(self, kind: str, start: datetime, end: datetime, **params):
        return self.get(f"/{kind}", **{"from": z(start), "to": z(end), **params})

    def everything(self, kind: str) -> list[dict]:
        """Every record of a document list, walking offsets over one wide window; a problem's
        record is fetched from its on_resource. Sorted as the API sorts: processed time, id."""
        out, offset = [], 0
        while True:
            body = self.window(kind, datetime(2000, 1, 1, tzinfo=timezone.utc),
                               datetime(2100, 1, 1, tzinfo=timezone.utc), limit=50, offset=offset).json()
            out += body["items"] + [self.session.get(p["on_resource"], timeout=10).json() for p in body["problems"]]
            if len(body["items"]) + len(body["problems"]) < 50:
                return sorted(out, key=lambda r: (r["processed_date_and_time"], r["id"]))
            offset += 50


def listed_ids(body: dict) -> list[str]:
    """The ids a page lists: its items, and the records its problems name."""
    return [i["id"] for i in body["items"]] + [p["on_resource"].rsplit("/", 1)[1] for p in body["problems"]]


@pytest.fixture(scope="module")
def api(sandbox_tiny) -> Api:
    return Api(sandbox_tiny)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_KEYS <= set(body) and body["type"].startswith("https://")
    return body


def test_authorize_returns_an_org_token_and_refuses_with_403(api):
    url = f"{api.origin}/auth/authorize/{api.creds['org_id']}"
    for headers in ({}, {"Authorization": api.basic(api.creds["app_name"], "wrong")},
                    {"Authorization": api.basic("other-app", api.creds["app_secret"])},
                    {"Authorization": "Bearer " + api.creds["app_secret"]},
                    {"Authorization": "Basic not-base64!"}):
        body = assert_problem(requests.get(url, headers=headers, timeout=10), 403)
        assert body["detail"] == "Credentials missing or not sufficient"
    other_org = requests.get(f"{api.origin}/auth/authorize/000000000000000000000000", timeout=10,
                             headers={"Authorization": api.basic(api.creds["app_name"], api.creds["app_secret"])})
    assert_problem(other_org, 403)       # the app has no permission for that organisation
    assert set(requests.get(url, timeout=10, headers={
        "Authorization": api.basic(api.creds["app_name"], api.creds["app_secret"])}).json()) == {"accessToken"}


def test_erp_calls_need_a_bearer_token_of_that_organisation(api):
    url = f"{api.org}/products"
    for headers in ({}, {"Authorization": "Bearer nope"},
                    {"Authorization": api.basic(api.creds["app_name"], api.creds["app_secret"])}):
        assert_problem(requests.get(url, headers=headers, timeout=10), 403)
    token = api.token()
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    foreign = url.replace(api.creds["org_id"], "5c9f3a1be4b0c2a7d1e84f99")
    assert_problem(requests.get(foreign, headers={"Authorization": f"Bearer {token}"}, timeout=10), 403)


def test_products_page_with_limit_and_offset_in_the_items_problems_envelope(api):
    body = api.get("/products").json()
    assert set(body) == {"items", "problems"}
    # an entry may fail to render on any listing (problem_rate): it is then a problem naming it
    everything = listed_ids(body)
    assert len(everything) > 5 and len(everything) <= 200       # default limit 200
    walked, offset = [], 0
    while True:
        page = listed_ids(api.get("/products", limit=4, offset=offset).json())
        walked += page
        if len(page) < 4:
            break
        offset += 4
    # problems come after a page's items, so a page of 4 orders them differently than one of 200
    assert sorted(walked) == sorted(everything) and len(set(walked)) == len(walked)
    for bad in ({"limit": 0}, {"limit": 5001}, {"offset": -1}, {"limit": "x"}):
        assert_problem(api.get("/products", **bad), 422)     # the product list documents 422
    assert api.get("/products", limit=5000).status_code == 200
    product = body["items"][0]
    assert {"id", "type", "name", "article_id", "management_unit", "sales_price_and_quantity",
            "tax_category"} <= set(product)
    price = product["sales_price_and_quantity"]["price"]
    assert set(price) == {"value", "unit"} and price["unit"] == "EUR"
    assert api.get(f"/products/{product['id']}").json() == product
    assert_problem(api.get("/products/ffffffffffffffffffffffff"), 404)
    assert [p["id"] for p in api.get("/products", article_id=product["article_id"]).json()["items"]] == [product["id"]]


def test_document_lists_require_from_and_to(api):
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    for kind in ("invoices", "credit-memos"):
        assert_problem(api.get(f"/{kind}"), 400)
        assert_problem(api.get(f"/{kind}", **{"from": z(now - timedelta(days=1))}), 400)
        assert_problem(api.get(f"/{kind}", **{"from": "yesterday", "to": z(now)}), 400)
        assert_problem(api.get(f"/{kind}", **{"from": "2026-10-01T00:00:00", "to": z(now)}), 400)  # no offset
        assert_problem(api.window(kind, now, now - timedelta(days=1)), 400)
        assert_problem(api.window(kind, now - timedelta(days=1), now, offset=-3), 400)
        assert api.get(f"/{kind}", **{"from": "2026-10-01T00:00:00+00:00", "to": z(now)}).status_code == 200


def test_invoices_window_is_half_open_on_processed_time_sorted_and_limited_to_50(api):
    invoices = api.everything("invoices")
    assert len(invoices) > 50
    processed = [parse(i["processed_date_and_time"]) for i in invoices]
    # limit is restricted to 50: a larger limit is clamped, not honoured
    body = api.window("invoices", processed[0], processed[-1] + timedelta(seconds=1), limit=200).json()
    assert len(body["items"]) + len(body["problems"]) == 50
    page = [(i["processed_date_and_time"], i["id"]) for i in body["items"]]
    assert page == sorted(page)                                  # ascending by processed time
    # [from, to): an invoice processed exactly at `from` is in, exactly at `to` is out
    a, b = processed[10], processed[20]
    ids = listed_ids(api.window("invoices", a, b).json())
    expected = [i["id"] for i, p in zip(invoices, processed, strict=True) if a <= p < b]
    assert sorted(ids) == sorted(expected) and invoices[10]["id"] in ids and invoices[20]["id"] not in ids
    # the window filters on processing, not on the transaction: a late-processed invoice is
    # listed where it was processed
    late = next(i for i in invoices
                if parse(i["processed_date_and_time"]) - parse(i["transaction_date_and_time"]) > timedelta(hours=1))
    t = parse(late["transaction_date_and_time"])
    assert late["id"] not in listed_ids(api.window("invoices", t, t + timedelta(minutes=30)).json())
    p = parse(late["processed_date_and_time"])
    assert late["id"] in listed_ids(api.window("invoices", p, p + timedelta(seconds=1)).json())


def test_invoice_money_is_consistent_gross_net_and_tax(api):
    for inv in api.everything("invoices"):
        currency = inv["total_gross_amount"]["unit"]
        assert currency in ("EUR", "CHF")
        assert RFC3339.match(inv["transaction_date_and_time"]) and RFC3339.match(inv["processed_date_and_time"])
        gross = Decimal(repr(inv["total_gross_amount"]["value"]))
        net = Decimal(repr(inv["total_net_amount"]["value"]))
        tax = sum(Decimal(repr(t["tax_amount"]["value"])) for t in inv["tax_amounts"])
        assert gross == net + tax
        assert gross == sum(Decimal(repr(i["gross_amount"]["value"])) for i in inv["items"])
        assert net == sum(Decimal(repr(t["taxed_net_amount"]["value"])) for t in inv["tax_amounts"])
        assert gross == gross.quantize(Decimal("0.01"))           # gross amounts are whole cents
        assert all(-Decimal(repr(i["net_amount"]["value"])).as_tuple().exponent <= 6 for i in inv["items"])
        assert sum(Decimal(repr(p["amount"]["value"])) for p in inv["payments"]) == gross
        for item in inv["items"]:
            assert item["quantity"]["unit"] == "QUANTITY_PIECES"
            assert {m["unit"] for m in (item["gross_amount"], item["net_amount"])} == {currency}
            undiscounted = Decimal(repr(item["undiscounted_gross_amount"]["value"]))
            assert undiscounted == Decimal(repr(item["standard_price_and_unit"]["price_per_unit"]["value"])) \
                * item["quantity"]["value"]
            if undiscounted != Decimal(repr(item["gross_amount"]["value"])):
                # a discount shows in both representations (old `discounts`, new `applied_discounts`)
                assert item["discounts"] and item["applied_discounts"]
        named = "customer_information" in inv
        assert named == ("payer_information" in inv) == ("invoice_address" in inv)


def test_voids_mark_the_invoice_and_create_a_positive_credit_memo(api, sandbox_tiny):
    invoices = {i["id"]: i for i in api.everything("invoices")}
    memos = api.everything("credit-memos")
    assert memos, "the tiny world needs a void"
    for memo in memos:
        [invoice_id] = memo["invoices"]
        invoice = invoices[invoice_id]
        voided = [i for i in invoice["items"] if "void_information" in i]
        assert voided and all(i["void_information"][0]["voided_on"] == memo["transaction_date_and_time"]
                              for i in voided)
        assert ("void_reason" in invoice) == (len(voided) == len(invoice["items"]))   # full void
        assert memo["total_gross_amount"]["value"] > 0
        assert Decimal(repr(memo["total_gross_amount"]["value"])) == \
            sum(Decimal(repr(i["gross_amount"]["value"])) for i in voided)
        assert [i["product_id"] for i in memo["items"]] == [i["product_id"] for i in voided]
        assert "undiscounted_gross_amount" not in memo["items"][0]
        assert memo["void_reason"]["@type"] == "PlatformDefinedVoidInvoiceReason" and memo["reasons"]
        assert parse(memo["transaction_date_and_time"]) > parse(invoice["transaction_date_and_time"])
        assert api.get(f"/credit-memos/{memo['id']}").json() == memo
        assert api.get(f"/invoices/{invoice_id}").json() == invoice
    truth = sandbox_tiny.control.truth("enfore")
    assert truth["credit_memos"]["count"] == len(memos) and truth["invoices"]["count"] == len(invoices)
    assert_problem(api.get("/invoices/ffffffffffffffffffffffff"), 404)
    assert_problem(api.get("/credit-memos/ffffffffffffffffffffffff"), 404)


def test_problems_count_toward_the_limit_and_name_their_record(fresh_sandbox):
    fresh_sandbox.control.configure("enfore", problem_rate=0.4)
    api = Api(fresh_sandbox)
    start, end = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
    body = api.window("invoices", start, end, limit=20).json()
    assert body["problems"] and len(body["items"]) + len(body["problems"]) == 20
    problem = body["problems"][0]
    assert PROBLEM_KEYS | {"on_resource"} <= set(problem)
    record = requests.get(problem["on_resource"], headers=api.session.headers, timeout=10)
    assert record.status_code == 200 and record.json()["id"] == problem["on_resource"].rsplit("/", 1)[1]
    products = api.get("/products").json()
    total = fresh_sandbox.control.truth("enfore")["products"]["active"]
    assert sorted(listed_ids(products)) == sorted(total)
    assert len(products["items"]) + len(products["problems"]) == len(total)


def test_recent_windows_gain_late_records_and_the_offset_ceiling_can_be_enforced(fresh_sandbox):
    fresh_sandbox.control.configure("enfore", straggler_rate=1.0)     # for days generated from now on
    api = Api(fresh_sandbox)
    now = datetime.fromisoformat(fresh_sandbox.control.advance(days=3))
    api.session.headers["Authorization"] = f"Bearer {api.token()}"
    window = (now - timedelta(days=2), now)          # days generated with stragglers only
    before = listed_ids(api.window("invoices", *window).json())
    fresh_sandbox.control.advance(hours=21)
    api.session.headers["Authorization"] = f"Bearer {api.token()}"     # tokens live an hour
    after = listed_ids(api.window("invoices", *window).json())
    assert set(before) < set(after)          # the same past interval holds more now
    fresh_sandbox.control.configure("enfore", max_offset=100)
    assert api.window("invoices", *window, offset=100).status_code == 200
    assert_problem(api.window("invoices", *window, offset=101), 400)
