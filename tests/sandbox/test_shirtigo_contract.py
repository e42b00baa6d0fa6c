"""The Shirtigo simulator against the vendor document (seeds/002_185847681da5f6c1.txt):
paths, auth, paging envelope, schema-complete objects, Money, timestamps, filters, faults."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import requests

# Field lists exactly as the document's Schema Definitions give them.
ORDER_FIELDS = {"orderStatusEntries", "total_items", "created_at", "products", "sender", "reference",
                "invoice_reference", "delivery", "fulfillment", "net_price", "vat_amount", "bill",
                "vat_rate", "status_key", "gross_price", "payments", "status", "updated_at"}  # + shipping
ORDER_PRODUCT_FIELDS = {"amount", "size", "images", "net_total_price", "name", "id", "net_unit_price", "color"}
ADDRESS_FIELDS = {"postcode", "lastname", "country", "parent", "firstname", "street", "city", "company",
                  "title", "children"}
MONEY_FIELDS = {"currency_symbol", "currency_factor", "amount", "currency_code"}
PAYMENT_FIELDS = {"gross_amount", "status_title", "payment_reference", "vat_amount", "vat_rate", "created_at",
                  "id", "net_amount", "status", "order"}
PROJECT_PRODUCT_FIELDS = {"active_integration_syncs", "name", "custom_name", "base_product",
                          "integration_products", "project_name", "project", "has_express", "price", "images",
                          "is_rendered", "description", "id", "updated_at", "integration_sync_log",
                          "is_available", "colors"}
PAGINATION_KEYS = ["total", "count", "per_page", "current_page", "total_pages", "links"]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def api(sandbox_tiny):
    info = sandbox_tiny.vendor("shirtigo")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {info['credentials']['api_key']}"

    def get(path, **params):
        return session.get(info["base_url"] + path, params=params, timeout=10)

    get.base_url = info["base_url"]
    return get


def test_missing_or_wrong_key_is_401_with_message(api):
    for headers in ({}, {"Authorization": "Bearer not-the-key"}, {"Authentication": "Bearer x"}):
        r = requests.get(api.base_url + "/orders", headers=headers, timeout=10)
        assert r.status_code == 401
        assert r.json() == {"message": "Unauthenticated."}


def test_orders_envelope_and_pagination_block(api):
    first = api("/orders", items=5).json()
    assert set(first) == {"data", "meta"}
    pagination = first["meta"]["pagination"]
    assert list(pagination) == PAGINATION_KEYS            # Fractal's key order
    total = pagination["total"]
    assert total > 10
    assert pagination["per_page"] == 5 and pagination["count"] == 5 and pagination["current_page"] == 1
    assert pagination["total_pages"] == -(-total // 5)
    assert set(pagination["links"]) == {"next"} and "page=2" in pagination["links"]["next"]
    assert "items=5" in pagination["links"]["next"]        # links keep the other parameters

    last_page = pagination["total_pages"]
    last = api("/orders", items=5, page=last_page).json()["meta"]["pagination"]
    assert set(last["links"]) == {"previous"} and last["count"] == total - 5 * (last_page - 1)
    past = api("/orders", items=5, page=last_page + 3).json()
    assert past["data"] == [] and past["meta"]["pagination"]["current_page"] == last_page + 3


def test_default_page_size_is_12_and_single_page_links_are_an_empty_array(api):
    body = api("/orders").json()
    assert body["meta"]["pagination"]["per_page"] == 12
    everything = api("/orders", items=100).json()["meta"]["pagination"]
    if everything["total_pages"] == 1:
        assert everything["links"] == []


def test_paging_walks_every_order_exactly_once(api):
    total = api("/orders", items=7).json()["meta"]["pagination"]["total"]
    refs = []
    page = 1
    while True:
        body = api("/orders", items=7, page=page, sort_col="created_at", sort_dir="asc").json()
        refs += [o["reference"] for o in body["data"]]
        if page >= body["meta"]["pagination"]["total_pages"]:
            break
        page += 1
    assert len(refs) == total == len(set(refs))


def test_order_is_schema_complete_with_wrapped_relations(api):
    orders = api("/orders", items=100).json()["data"]
    for o in orders:
        assert ORDER_FIELDS <= set(o) <= ORDER_FIELDS | {"shipping"}
        for relation in ("orderStatusEntries", "products", "payments"):
            assert set(o[relation]) == {"data"} and isinstance(o[relation]["data"], list)
        for line in o["products"]["data"]:
            assert set(line) == ORDER_PRODUCT_FIELDS
            assert set(line["net_total_price"]) == MONEY_FIELDS
            assert line["net_total_price"]["amount"] == line["amount"] * line["net_unit_price"]["amount"]
        for address in ("delivery", "sender", "bill"):
            assert set(o[address]) == ADDRESS_FIELDS and o[address]["children"] == {"data": []}
        for money in ("net_price", "vat_amount", "gross_price"):
            assert set(o[money]) == MONEY_FIELDS and isinstance(o[money]["amount"], int)
            assert o[money]["currency_factor"] == 100 and o[money]["currency_code"] == "EUR"
        assert o["net_price"]["amount"] + o["vat_amount"]["amount"] == o["gross_price"]["amount"]
        assert TIMESTAMP.match(o["created_at"]) and TIMESTAMP.match(o["updated_at"])
        assert o["fulfillment"] is False or isinstance(o["fulfillment"], dict)
    # shipping is present exactly on orders that have been shipped
    shipped = [o for o in orders if any(e["key"] == "shipped" for e in o["orderStatusEntries"]["data"])]
    assert shipped and all(o["shipping"]["is_shipped"] for o in shipped)
    assert all("shipping" not in o for o in orders if o not in shipped)


def test_single_order_and_404(api):
    ref = api("/orders", items=1).json()["data"][0]["reference"]
    assert api(f"/orders/{ref}").json()["reference"] == ref
    missing = api("/orders/NOPE000")
    assert missing.status_code == 404 and missing.json() == {"message": "Order not found"}


def test_sort_and_period_filter(api):
    asc = [o["created_at"] for o in api("/orders", items=100, sort_col="created_at").json()["data"]]
    desc = [o["created_at"] for o in api("/orders", items=100, sort_col="created_at", sort_dir="desc").json()["data"]]
    assert asc == sorted(asc) and desc == sorted(desc, reverse=True)
    by_ref = [o["reference"] for o in api("/orders", items=100, sort_col="reference").json()["data"]]
    assert by_ref == sorted(by_ref)
    bad = api("/orders", sort_col="no_such_column")
    assert bad.status_code == 422 and "sort_col" in bad.json()["errors"]
    assert api("/orders", sort_dir="sideways").status_code == 422

    # period = orders created within the last N days of the server clock (its Date header)
    response = api("/orders", items=100, period=3)
    server_now = datetime.strptime(response.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT")
    recent = response.json()["data"]
    everything = api("/orders", items=100).json()["meta"]["pagination"]["total"]
    assert 0 < response.json()["meta"]["pagination"]["total"] < everything
    # Berlin wall clock is UTC+1/+2: allow that much slack at the window's edge
    cutoff = server_now - timedelta(days=3)
    assert all(datetime.strptime(o["created_at"], "%Y-%m-%d %H:%M:%S") >= cutoff for o in recent)
    assert api("/orders", period="x").status_code == 422


def test_products_list_is_unpaginated_and_schema_complete(api):
    body = api("/products").json()
    assert set(body) == {"data"}
    assert body["data"] and all(set(p) == PROJECT_PRODUCT_FIELDS for p in body["data"])
    pid = body["data"][0]["id"]
    assert api(f"/products/{pid}").json()["id"] == pid
    assert api("/products/999999999").status_code == 404


def test_payments_embed_their_order(api):
    body = api("/payments", items=50).json()
    assert list(body["meta"]["pagination"]) == PAGINATION_KEYS
    for p in body["data"]:
        assert set(p) == PAYMENT_FIELDS
        assert p["status_title"] in ("Zahlung", "Erstattung")
        assert ORDER_FIELDS <= set(p["order"])


def test_user_is_the_merchant(api):
    user = api("/user").json()
    assert {"email", "company_name", "sender_type", "user_group", "integrations"} <= set(user)
    assert "id" not in user                      # the document's User has no id


def test_faults_are_deterministic_and_counted(fresh_sandbox):
    info = fresh_sandbox.vendor("shirtigo")
    headers = {"Authorization": f"Bearer {info['credentials']['api_key']}"}

    def fates():
        fresh_sandbox.control.set_faults("shirtigo", rate_429=0.5, retry_after_s=2)
        out = []
        for n in range(1, 21):
            r = requests.get(info["base_url"] + "/orders", params={"page": n}, headers=headers, timeout=10)
            out.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["Retry-After"] == "2"
                assert r.json() == {"message": "Too Many Attempts."}
        return out

    first = fates()
    assert set(first) == {200, 429}
    assert fresh_sandbox.control.stats()["shirtigo"]["faults_injected"]["429"] == first.count(429)
    fresh_sandbox.control.reset()      # the same seed again: the same URLs meet the same fates
    assert fates() == first


def test_clock_advance_adds_orders(fresh_sandbox):
    info = fresh_sandbox.vendor("shirtigo")
    headers = {"Authorization": f"Bearer {info['credentials']['api_key']}"}

    def total():
        r = requests.get(info["base_url"] + "/orders", headers=headers, timeout=10)
        return r.json()["meta"]["pagination"]["total"], r.headers["Date"]

    before, date_before = total()
    fresh_sandbox.control.advance(days=2)
    after, date_after = total()
    assert after > before and date_after != date_before
    assert fresh_sandbox.control.truth("shirtigo")["orders"]["count"] == after
