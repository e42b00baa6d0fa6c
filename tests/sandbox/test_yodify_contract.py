"""The Yodify simulator against the vendor document (seeds/003_433657943a89d30e.txt) and the
readings in its docstring: OAuth2 client credentials, 401/403/429 bodies, both list shapes,
Page/Limit validation, the documented filters, Expand, two-currency money that adds up,
and a clock that moves statuses, SKUs and deletions."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest
import requests

PROBLEM_KEYS = {"errors", "detail", "instance", "status", "title"}
ENVELOPE_KEYS = ["object", "data", "has_more", "total_items", "url", "count"]
ORDER_FIELDS = ["id", "object", "client_identifier", "shopping_cart_id", "order_number", "customer_id", "customer",
                "items", "shipping_address", "billing_address", "shipments", "shipping_instructions",
                "shipping_method", "currency_code", "seller_currency_code", "order_status", "payment_method",
                "subtotal", "freight", "tax", "discount", "tax_rate", "transaction_fee", "total", "exchange_rate",
                "seller_subtotal", "seller_freight", "seller_tax", "seller_discount", "seller_transaction_fee",
                "seller_total", "ordered_date", "additional_information", "url"]
CUSTOMER_FIELDS = ["id", "object", "first_name", "last_name", "company_name", "email_address", "phone_number",
                   "account_id", "account_name", "account_number", "discount_level_id", "discount_level_name"]
ITEM_FIELDS = ["id", "object", "client_identifier", "sku_id", "sku", "order_id", "product_id", "product", "quantity",
               "model_number", "price_per_unit", "seller_price_per_unit", "add_ons", "unit_of_measure"]
PRODUCT_FIELDS = ["id", "library_product_id", "object", "client_identifier", "name", "short_name",
                  "short_description", "primary_image", "brand_id", "brand", "quantity_discount_id",
                  "quantity_discount", "created_on", "url"]
ACCOUNT_USER_FIELDS = ["client_identifier", "id", "object", "discount_level", "account", "created_on", "account_id",
                       "discount_level_id", "first_name", "last_name", "salutation", "email", "title", "department",
                       "phone_number"]
ORDER_STATUSES = {"New", "Processing", "Shipped", "PartiallyShipped", "Complete", "Cancelled", "Received",
                  "RefundRequested", "Refunded", "RefundRejected", "StockConfirmed", "StockPartiallyConfirmed",
                  "ReadyForPickup", "PartiallyReadyForPickup"}


def cents(value: float) -> int:
    """A served double as exact cents; fails if it has more than two decimals."""
    exact = Decimal(repr(value))
    assert exact == exact.quantize(Decimal("0.01")), value
    return int(exact * 100)


class Api:
    def __init__(self, sandbox):
        info = sandbox.vendor("yodify")
        self.base_url = info["base_url"]
        self.root = self.base_url.rsplit("/api/v1", 1)[0]
        self.credentials = info["credentials"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token()}"

    def token(self, **overrides) -> str:
        response = self.token_request(**overrides)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def token_request(self, **overrides) -> requests.Response:
        form = {"grant_type": "client_credentials", "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"], "scope": "yodify", **overrides}
        return requests.post(self.root + "/connect/token", data=form, timeout=10)

    def get(self, path, **params):
        return self.session.get(self.base_url + path, params=params, timeout=30)

    def every(self, path, limit=100, **params) -> list:
        """Every record of a list, whichever shape it answers in."""
        out, page = [], 1
        while True:
            body = self.get(path, Limit=limit, Page=page, **params).json()
            data = body["data"] if isinstance(body, dict) else body
            out += data
            if (isinstance(body, dict) and not body["has_more"]) or (isinstance(body, list) and len(data) < limit):
                return out
            page += 1


@pytest.fixture(scope="module")
def api(sandbox_tiny) -> Api:
    return Api(sandbox_tiny)


def test_token_endpoint_issues_client_credentials_tokens(api):
    response = api.token_request()
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "yodify"
    basic = requests.post(api.root + "/connect/token", data={"grant_type": "client_credentials"}, timeout=10,
                          auth=(api.credentials["client_id"], api.credentials["client_secret"]))
    assert basic.status_code == 200 and basic.json()["access_token"] != body["access_token"]
    wrong = api.token_request(client_secret="not-the-secret")
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_client"}
    assert api.token_request(grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_missing_or_unknown_bearer_is_401_problem_details_and_wrong_scope_403(api):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        r = requests.get(api.base_url + "/Orders", headers=headers, timeout=10)
        assert r.status_code == 401
        body = r.json()
        assert set(body) == PROBLEM_KEYS and body["status"] == 401 and body["instance"] == "/api/v1/Orders"
        assert "Authorization" in body["errors"]
    other_scope = api.token(scope="profile")
    r = requests.get(api.base_url + "/Orders", headers={"Authorization": f"Bearer {other_scope}"}, timeout=10)
    assert r.status_code == 403 and r.content == b""


def test_tokens_expire_on_the_simulated_clock(fresh_sandbox):
    api = Api(fresh_sandbox)
    assert api.get("/Brands").status_code == 200
    fresh_sandbox.control.advance(hours=1, minutes=1)
    assert api.get("/Brands").status_code == 401
    api.session.headers["Authorization"] = f"Bearer {api.token()}"
    assert api.get("/Brands").status_code == 200


def test_bare_arrays_and_envelopes_as_documented(api):
    for path in ("/Products", "/Orders", "/Brands", "/Shipments"):
        body = api.get(path, Limit=3).json()
        assert isinstance(body, list) and len(body) == 3, path
    for path in ("/SKUs", "/Accounts", "/AccountUsers"):
        body = api.get(path, Limit=3).json()
        assert list(body) == ENVELOPE_KEYS, path
        assert body["object"] == "list" and body["count"] == len(body["data"]) == 3
        assert body["url"] == f"/api/v1{path}" and body["has_more"] is (body["total_items"] > 3)
    order_id = api.get("/Shipments", Limit=1).json()[0]["order_id"]
    nested = api.get(f"/orders/{order_id}/shipments").json()
    assert list(nested) == ENVELOPE_KEYS and all(s["order_id"] == order_id for s in nested["data"])


def test_the_envelope_switch_serves_every_list_enveloped(fresh_sandbox):
    api = Api(fresh_sandbox)
    bare = api.every("/Orders", limit=10)
    fresh_sandbox.control.configure("yodify", envelope_everywhere=True)
    body = api.get("/Orders", Limit=10).json()
    assert list(body) == ENVELOPE_KEYS and body["total_items"] == len(bare)
    assert [o["id"] for o in api.every("/Orders", limit=10)] == [o["id"] for o in bare]


@pytest.mark.parametrize("path", ["/Orders", "/Products", "/SKUs", "/AccountUsers"])
def test_paging_walks_every_record_once_in_id_order(api, path):
    everything = api.get(path, Limit=100).json()
    everything = everything["data"] if isinstance(everything, dict) else everything
    paged = api.every(path, limit=7)
    ids = [r["id"] for r in paged]
    assert ids == [r["id"] for r in everything] == sorted(ids) and len(set(ids)) == len(ids) > 7
    past_the_end = api.get(path, Limit=7, Page=len(ids) // 7 + 2).json()
    assert (past_the_end["data"] if isinstance(past_the_end, dict) else past_the_end) == []


@pytest.mark.parametrize("params, key", [({"Limit": 0}, "Limit"), ({"Limit": 101}, "Limit"), ({"Limit": "x"}, "Limit"),
                                         ({"Page": 0}, "Page"), ({"SinceId": "abc"}, "SinceId"),
                                         ({"CreatedOnMin": "yesterday"}, "CreatedOnMin"),
                                         ({"Statuses": "Lost"}, "Statuses"), ({"Ids": "1,x"}, "Ids")])
def test_invalid_parameters_are_400_problem_details_naming_them(api, params, key):
    r = api.get("/Orders", **params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == PROBLEM_KEYS and body["status"] == 400 and list(body["errors"]) == [key]


def test_order_filters(api):
    orders = api.every("/Orders")
    ids = [o["id"] for o in orders]
    since = ids[len(ids) // 2]
    assert [o["id"] for o in api.every("/Orders", SinceId=since)] == [i for i in ids if i > since]
    picked = ids[:3] + ids[-2:]
    repeated = api.session.get(api.base_url + "/Orders", params=[("Ids", i) for i in picked], timeout=10).json()
    assert sorted(o["id"] for o in repeated) == sorted(picked)
    assert sorted(o["id"] for o in api.get("/Orders", Ids=",".join(map(str, picked))).json()) == sorted(picked)
    # CreatedOnMin/Max filter ordered_date, both bounds inclusive
    dates = sorted(o["ordered_date"] for o in orders)
    lo, hi = dates[5], dates[-5]
    inside = api.every("/Orders", CreatedOnMin=lo, CreatedOnMax=hi)
    assert sorted(o["ordered_date"] for o in inside) == [d for d in dates if lo <= d <= hi]
    swapped = api.get("/Orders", CreatedOnMin=hi, CreatedOnMax=lo)
    assert swapped.status_code == 400 and "CreatedOnMin" in swapped.json()["errors"]
    by_status = Counter(o["order_status"] for o in orders)
    assert set(by_status) <= ORDER_STATUSES and len(by_status) >= 3
    wanted = ["Complete", "Cancelled"]
    filtered = api.session.get(api.base_url + "/Orders", params=[("Statuses", s) for s in wanted] + [("Limit", 100)],
                               timeout=10).json()
    assert len(filtered) == by_status["Complete"] + by_status["Cancelled"]
    assert {o["order_status"] for o in filtered} <= set(wanted)


def test_sku_and_product_filters(api):
    skus = api.every("/SKUs")
    since = skus[len(skus) // 2]["id"]
    assert [s["id"] for s in api.every("/SKUs", SinceId=since)] == [s["id"] for s in skus if s["id"] > since]
    products = api.every("/Products")
    brand = products[0]["brand_id"]
    assert {p["brand_id"] for p in api.every("/Products", BrandId=brand)} == {brand}
    of_brand = {p["id"] for p in products if p["brand_id"] == brand}
    assert {s["store_product_id"] for s in api.every("/SKUs", BrandId=brand)} <= of_brand
    # Products take no SinceId (not documented): it is ignored, not applied
    assert len(api.every("/Products", SinceId=10**9)) == len(products)


def test_expand_fills_references_that_are_null_otherwise(api):
    product = api.get("/Products", Limit=1).json()[0]
    assert list(product) == PRODUCT_FIELDS and product["brand"] is None and product["brand_id"]
    expanded = api.get("/Products", Limit=1, Expand="brand").json()[0]
    assert expanded["brand"]["id"] == product["brand_id"] and expanded["brand"]["object"] == "brand"
    order = api.get("/Orders", Limit=1, Expand=["items.sku"]).json()[0]
    assert all(i["sku"]["id"] == i["sku_id"] for i in order["items"])
    assert all(i["product"] is None for i in order["items"])
    user = api.get("/AccountUsers", Limit=1, Expand="account").json()["data"][0]
    assert list(user) == ACCOUNT_USER_FIELDS and user["account"]["id"] == user["account_id"]


def test_routes_and_query_keys_are_case_insensitive(api):
    assert api.get("/orders", limit=2).json() == api.get("/Orders", Limit=2).json()
    assert api.get("/skus", page=2, limit=3).json()["data"] == api.get("/SKUs", Page=2, Limit=3).json()["data"]


def test_single_records_and_unknown_ids(api):
    order = api.get("/Orders", Limit=1).json()[0]
    assert api.get(f"/Orders/{order['id']}").json() == order
    sku = api.get("/SKUs", Limit=1).json()["data"][0]
    assert api.get(f"/skus/{sku['id']}").json()["id"] == sku["id"]
    missing = api.get("/Orders/999999999")
    assert missing.status_code == 400 and set(missing.json()) == PROBLEM_KEYS and "id" in missing.json()["errors"]
    unknown = api.get("/NoSuchResource")
    assert unknown.status_code == 404 and unknown.content == b""


def test_orders_are_schema_complete_and_add_up_in_both_currencies(api):
    orders = api.every("/Orders")
    currencies = Counter(o["currency_code"] for o in orders)
    assert len(currencies) >= 2 and {o["seller_currency_code"] for o in orders} == {"EUR"}
    for o in orders:
        assert list(o) == ORDER_FIELDS and list(o["customer"]) == CUSTOMER_FIELDS
        assert o["customer"]["id"] == o["customer_id"]
        rate = Decimal(repr(o["exchange_rate"]))
        for prefix, price in (("", "price_per_unit"), ("seller_", "seller_price_per_unit")):
            lines = sum(i["quantity"] * cents(i[price]) for i in o["items"])
            subtotal, freight, tax = (cents(o[prefix + k]) for k in ("subtotal", "freight", "tax"))
            assert subtotal == lines, o["id"]
            assert tax == int((Decimal(subtotal) * Decimal(repr(o["tax_rate"]))).quantize(Decimal(1),
                                                                                            rounding="ROUND_HALF_UP"))
            assert cents(o[prefix + "total"]) == subtotal + freight + tax, o["id"]
            cents(o[prefix + "discount"]), cents(o[prefix + "transaction_fee"])
        # the seller's view is the customer's at the exchange rate, up to per-unit rounding
        units = sum(i["quantity"] for i in o["items"])
        assert abs(Decimal(cents(o["seller_subtotal"])) - Decimal(cents(o["subtotal"])) * rate) <= units * rate
        if o["currency_code"] == "EUR":
            assert rate == 1 and o["total"] == o["seller_total"]
        for item in o["items"]:
            assert list(item) == ITEM_FIELDS and item["order_id"] == o["id"]
        datetime.strptime(o["ordered_date"], "%Y-%m-%dT%H:%M:%S.%fZ")


def test_truth_describes_what_is_served(api, sandbox_tiny):
    truth = sandbox_tiny.control.truth("yodify")
    orders = api.every("/Orders")
    assert truth["orders"]["count"] == len(orders)
    assert truth["orders"]["lines"] == sum(len(o["items"]) for o in orders)
    assert truth["orders"]["by_status"] == dict(Counter(o["order_status"] for o in orders))
    assert truth["skus"]["active"] == [s["id"] for s in api.every("/SKUs")]
    assert truth["products"]["active"] == [p["id"] for p in api.every("/Products")]
    users = {u["id"] for u in api.every("/AccountUsers")}
    assert truth["account_users"]["active"] == sorted(users)
    assert truth["customers"]["count"] == len(users | {o["customer_id"] for o in orders})
    # every account user belongs to an account, and the account lists them
    accounts = api.every("/Accounts")
    assert users == {u["id"] for a in accounts for u in a["user_accounts"]}
    guests = [o for o in orders if o["customer"]["account_id"] is None]
    assert guests and all(o["customer_id"] not in users for o in guests)


def test_quota_exceeded_is_429_without_body(fresh_sandbox):
    api = Api(fresh_sandbox)
    fresh_sandbox.control.configure("yodify", quota=3, quota_window_s=60)
    statuses = [api.get("/Brands") for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert statuses[-1].content == b"" and "Retry-After" not in statuses[-1].headers
    fresh_sandbox.control.configure("yodify", quota=0)
    assert api.get("/Brands").status_code == 200


def test_the_clock_moves_statuses_skus_and_deletions(fresh_sandbox):
    api = Api(fresh_sandbox)
    before = {o["id"]: o["order_status"] for o in api.every("/Orders")}
    skus_before = {s["id"]: s["modified_on"] for s in api.every("/SKUs")}
    users_before = {u["id"] for u in api.every("/AccountUsers")}
    fresh_sandbox.control.configure("yodify", churn=30)
    fresh_sandbox.control.advance(days=4)
    api.session.headers["Authorization"] = f"Bearer {api.token()}"      # the old token expired
    after = {o["id"]: o["order_status"] for o in api.every("/Orders")}
    assert set(before) < set(after) and min(set(after) - set(before)) > max(before)
    assert any(after[i] != s for i, s in before.items())
    skus_after = {s["id"]: s["modified_on"] for s in api.every("/SKUs")}
    assert set(skus_before) - set(skus_after), "SKUs are hard-deleted"
    assert any(skus_after[i] > m for i, m in skus_before.items() if i in skus_after), "modified_on moves"
    gone = next(iter(set(skus_before) - set(skus_after)))
    assert api.get(f"/SKUs/{gone}").status_code == 400
    users_after = {u["id"] for u in api.every("/AccountUsers")}
    assert users_before - users_after, "account users are hard-deleted"
    # an order's lifecycle never goes back to an earlier status
    assert all(not (before[i] == "Complete" and after[i] in {"New", "Processing", "Shipped"}) for i in before)


def test_the_world_is_the_same_however_the_clock_is_advanced(fresh_sandbox):
    fresh_sandbox.control.advance(days=1)
    fresh_sandbox.control.advance(hours=30)
    stepwise = fresh_sandbox.control.truth("yodify")
    fresh_sandbox.control.reset()
    fresh_sandbox.control.advance(hours=54)
    assert fresh_sandbox.control.truth("yodify") == stepwise


def test_every_documented_route_of_shipments_and_carriers_is_served(api):
    """`GET /orders/{orderId}/shipments/{id}` and `GET /Carriers` (bare array, `Carrier`
    fields) are documented; each shipment's `carrier` is a listed carrier's name."""
    orders = [o for o in api.every("/Orders") if o["shipments"]]
    order = orders[0]
    shipment = order["shipments"][0]
    one = api.get(f"/orders/{order['id']}/shipments/{shipment['id']}")
    assert one.status_code == 200 and one.json()["id"] == shipment["id"]
    assert one.json()["order_id"] == order["id"]
    other = next(o for o in orders if o["id"] != order["id"])
    assert api.get(f"/orders/{other['id']}/shipments/{shipment['id']}").status_code == 400

    carriers = api.get("/Carriers").json()
    assert isinstance(carriers, list) and carriers
    assert all(list(c) == ["id", "object", "slug", "name"] and c["object"] == "carrier" for c in carriers)
    assert api.get(f"/Carriers/{carriers[0]['id']}").json() == carriers[0]
    named = {s["carrier"] for o in orders for s in o["shipments"] if s["carrier"]}
    assert named <= {c["name"] for c in carriers}
