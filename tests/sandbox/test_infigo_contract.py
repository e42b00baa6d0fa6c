"""The Infigo simulator against the vendor document (seeds/000_66e15589f70b2481.txt).

`tests/contracts/infigo_openapi.json` is a verbatim copy of `vendor-docs/infigo/openapi.json`
(the seed's OpenAPI rebuilt as JSON), kept in the repository so CI needs nothing beside it.
Every response of every served route is validated with openapi-core, and every object must
carry exactly the documented properties (the document has no `required` lists, so the
validator alone would accept missing fields).
"""
from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

SPEC_FILE = Path(__file__).resolve().parent.parent / "contracts" / "infigo_openapi.json"
RATES_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "currency_rates.csv"
FAST = 1_000_000          # requests per window: the contract tests are not about the limit


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.fixture(scope="module")
def infigo(sandbox_tiny):
    sandbox_tiny.control.configure("infigo", rate_limit_per_window=FAST, rate_limit_window_s=10)
    info = sandbox_tiny.vendor("infigo")
    session = requests.Session()
    session.headers["Authorization"] = basic(info["credentials"]["api_token"] + ":")
    spec = json.loads(SPEC_FILE.read_text())
    spec["servers"] = [{"url": info["base_url"]}]
    # spec validation is off: the document itself breaks it (a path parameter `id` on
    # /address/getallbycustomerid, which has no {id}); the schemas are what is checked
    openapi = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))

    class Api:
        base_url = info["base_url"]
        token = info["credentials"]["api_token"]
        control = sandbox_tiny.control
        schemas = spec["components"]["schemas"]

        def get(self, path, **params):
            return session.get(info["base_url"] + path, params=params, timeout=10)

        def valid(self, path, **params):
            """GET, assert 200 (or the status asked for) and validate against the document."""
            status = params.pop("_status", 200)
            response = self.get(path, **params)
            assert response.status_code == status, (path, response.status_code, response.text[:300])
            openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
            return response.json()

    return Api()


def exact_fields(api, instance, schema, where="$") -> int:
    """Every object has exactly its schema's properties, recursively; returns objects checked."""
    if "$ref" in schema:
        schema = api.schemas[schema["$ref"].rsplit("/", 1)[-1]]
    checked = 0
    if isinstance(instance, dict) and schema.get("properties") and schema.get("type") == "object":
        props = schema["properties"]
        assert set(instance) == set(props), (where, set(instance) ^ set(props))
        checked += 1
        for key, value in instance.items():
            checked += exact_fields(api, value, props[key], f"{where}.{key}")
    elif isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            checked += exact_fields(api, item, schema["items"], f"{where}[{i}]")
    return checked


def test_every_served_route_validates_against_the_document(infigo):
    products = infigo.valid("/catalog/v2/product", PageIndex=0, PerPage=5)
    assert len(products) == 5
    assert infigo.valid(f"/catalog/v2/product/{products[0]['Id']}")["Id"] == products[0]["Id"]
    product_ids = infigo.valid("/catalog/product")
    customers = infigo.valid("/customer/v2", PageIndex=0, PerPage=3, Role=["Registered", "Guests"])
    assert customers["Data"]
    customer_ids = infigo.valid("/customer/")
    assert infigo.valid(f"/customer/{customer_ids[0]}")["Id"] == customer_ids[0]
    order_ids = infigo.valid("/order/list/")
    assert infigo.valid("/order/list/", filterByStatus=40)
    order = infigo.valid(f"/order/detail/{order_ids[0]}")
    line = infigo.valid(f"/orderlineitem/get/{order['OrderLineItems'][0]}")
    problem = infigo.valid("/customer/v2", PerPage=10, _status=400)
    assert problem["Status"] == 400 and problem["Errors"][0]["Field"] == "PageIndex"
    assert product_ids and order_ids and line["OrderId"] == order["Id"]


def test_objects_carry_exactly_the_documented_fields(infigo):
    schema = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    checked = exact_fields(infigo, infigo.valid("/catalog/v2/product"), {"type": "array", "items": schema("InfigoProductInfoV2")})
    checked += exact_fields(infigo, infigo.valid("/customer/v2", PageIndex=0, PerPage=0, Role="Guests"),
                            schema("InfigoApiPagedResult_1_ApiCustomer"))
    for order_id in infigo.valid("/order/list/")[:15]:
        order = infigo.valid(f"/order/detail/{order_id}")
        checked += exact_fields(infigo, order, schema("InfigoOrderItem"))
        for job in order["OrderLineItems"]:
            checked += exact_fields(infigo, infigo.valid(f"/orderlineitem/get/{job}"), schema("InfigoOrderlineItem"))
    assert checked > 100


def test_basic_auth_with_token_as_user_and_both_encodings(infigo):
    token = infigo.token
    for header in (basic(token + ":"), basic(token)):
        assert requests.get(infigo.base_url + "/customer/", headers={"Authorization": header}, timeout=10).ok
    for headers in ({}, {"Authorization": basic("wrong-token:")}, {"Authorization": f"Bearer {token}"},
                    {"Authorization": basic(":" + token)}):
        r = requests.get(infigo.base_url + "/order/list/", headers=headers, timeout=10)
        assert r.status_code == 401 and r.headers["Content-Type"].startswith("text/plain")
        assert r.text == "Authorization details are invalid."
        assert "X-RateLimit-Remaining" not in r.headers          # no token, no budget


def test_paths_are_case_insensitive_with_optional_trailing_slash(infigo):
    assert infigo.get("/Order/List").json() == infigo.get("/order/list/").json()
    assert infigo.get("/CUSTOMER").json() == infigo.get("/customer/").json()


def test_products_page_from_zero_and_perpage_zero_means_all(infigo):
    everything = infigo.get("/catalog/v2/product").json()
    ids = infigo.get("/catalog/product").json()
    assert [p["Id"] for p in everything] == ids == sorted(ids)
    paged, index = [], 0
    while True:
        page = infigo.get("/catalog/v2/product", PageIndex=index, PerPage=5).json()
        paged += [p["Id"] for p in page]
        if len(page) < 5:
            break
        index += 1
    assert paged == ids
    assert infigo.get("/catalog/v2/product", PageIndex=999, PerPage=5).json() == []
    assert {p["Published"] for p in infigo.get("/catalog/v2/product", Published="true").json()} <= {True}
    assert set(ids) == set(infigo.control.truth("infigo")["products"]["active"])


def test_customer_list_defaults_to_registered_and_hides_guests(infigo):
    truth = infigo.control.truth("infigo")
    default = infigo.get("/customer/v2", PageIndex=0, PerPage=0).json()
    guests = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role="Guests").json()
    both = infigo.get("/customer/v2", PageIndex=0, PerPage=4, Role=["Registered", "Guests"]).json()
    assert {tuple(c["CustomerRoles"]) for c in default["Data"]} == {("Registered",)}
    assert guests["TotalCount"] == truth["guests"]["count"] > 0
    assert all(c["Email"] is None and c["BillingAddress"]["Email"] for c in guests["Data"])
    assert default["TotalCount"] + guests["TotalCount"] == both["TotalCount"] == truth["customers"]["count"]
    assert both["TotalPages"] == -(-both["TotalCount"] // 4) and len(both["Data"]) == 4
    assert sorted(infigo.get("/customer/").json()) == sorted(
        c["Id"] for c in infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=["Registered", "Guests"]).json()["Data"])


def test_customer_date_filters_are_inclusive(infigo):
    data = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=["Registered", "Guests"]).json()["Data"]
    pivot = sorted(c["CreatedOn"] for c in data)[len(data) // 2]
    created = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=["Registered", "Guests"], CreatedFrom=pivot).json()
    assert created["TotalCount"] == sum(c["CreatedOn"] >= pivot for c in data)
    active = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=["Registered", "Guests"], LastActivityTo=pivot).json()
    assert active["TotalCount"] == sum(c["LastActivityDate"] <= pivot for c in data)
    by_email = infigo.get("/customer/v2", PageIndex=0, PerPage=0, OrderBy=3, OrderDirection=1).json()["Data"]
    assert [c["Email"] for c in by_email] == sorted((c["Email"] for c in by_email), reverse=True)


def test_customer_time_filters_answer_at_the_served_precision(infigo):
    """"Created on or before" / "on or after" a served `CreatedOn` (whole seconds) includes
    that customer, for every customer; the same for `LastActivityDate`."""
    roles = ["Registered", "Guests"]
    data = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=roles).json()["Data"]
    for field, low, high in (("CreatedOn", "CreatedFrom", "CreatedTo"),
                             ("LastActivityDate", "LastActivityFrom", "LastActivityTo")):
        missed = []
        for c in data:
            for bound in (low, high):
                got = infigo.get("/customer/v2", PageIndex=0, PerPage=0, Role=roles,
                                 **{bound: c[field]}).json()["Data"]
                if c["Id"] not in {x["Id"] for x in got}:
                    missed.append((c["Id"], bound, c[field]))
        assert not missed, missed[:5]


def test_order_list_filters(infigo):
    truth = infigo.control.truth("infigo")
    all_ids = infigo.get("/order/list/").json()
    assert len(all_ids) == truth["orders"]["count"]
    at = {d["id"]: d["at"] for d in truth["documents"]}
    pivot = sorted(at.values())[len(at) // 2]
    after = infigo.get("/order/list/", orderedAfter=pivot).json()
    before = infigo.get("/order/list/", orderedBefore=pivot).json()
    assert set(after) == {int(i) for i, t in at.items() if t > pivot}            # exclusive
    assert set(before) == {int(i) for i, t in at.items() if t < pivot}
    naive = datetime.fromisoformat(pivot).astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    assert infigo.get("/order/list/", orderedAfter=naive).json() == after      # naive = UTC
    open_ids = infigo.get("/order/list/", filterByStatus=10).json()
    assert open_ids == truth["open_orders"]["ids"]                             # "not complete/cancelled"
    complete = infigo.get("/order/list/", filterByStatus=40).json()
    assert complete and {d["status"] for d in truth["documents"] if int(d["id"]) in complete} == {"40"}
    assert infigo.get("/order/list/", filterByStatus=99).status_code == 400


def test_orders_add_up_in_whole_units_of_a_known_currency(infigo):
    known = {line.split(",")[0] for line in RATES_SEED.read_text().splitlines()[1:]}
    truth = {d["id"]: d for d in infigo.control.truth("infigo")["documents"]}
    currencies = set()
    for order_id in infigo.get("/order/list/").json():
        o = infigo.get(f"/order/detail/{order_id}").json()
        lines = [infigo.get(f"/orderlineitem/get/{j}").json() for j in o["OrderLineItems"]]
        assert sum(ln["SubTotalPriceExclTax"] for ln in lines) == o["OrderSubtotalExclTax"]
        assert sum(ln["SubTotalPriceInclTax"] for ln in lines) == o["OrderSubtotalInclTax"]
        assert all(ln["SubTotalPriceExclTax"] == ln["Quantity"] * ln["UnitPriceExclTax"] for ln in lines)
        assert o["OrderTotal"] == o["OrderSubtotalInclTax"] + o["OrderShippingInclTax"] - o["OrderSubTotalDiscountInclTax"]
        assert o["OrderTotal"] == (o["OrderSubtotalExclTax"] + o["OrderShippingExclTax"] + o["OrderTax"]
                                   - o["OrderSubTotalDiscountExclTax"]) and o["Tax"] == o["OrderTax"]
        assert f"{o['OrderTotal']}.00" == truth[str(order_id)]["total"]
        assert str(o["Status"]) == truth[str(order_id)]["status"]
        assert [ln["LineNumber"] for ln in lines] == list(range(1, len(lines) + 1))
        if o["Status"] == 50:
            assert all(ln["IsCancelled"] and ln["Status"] == 73 for ln in lines)
            assert o["RefundedAmount"] in (0, o["OrderTotal"]) and o["PaymentState"] in (40, 50)
        currencies.add(o["CustomerCurrencyCode"])
    assert currencies <= known and len(currencies) >= 3


def test_unknown_records_are_404_text(infigo):
    for path in ("/order/detail/1", "/orderlineitem/get/x1", "/catalog/v2/product/1", "/customer/999999"):
        r = infigo.get(path)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/plain"), path


def test_rate_limit_window_headers_and_429(infigo):
    infigo.control.configure("infigo", rate_limit_per_window=5, rate_limit_window_s=2)
    try:
        time.sleep(0.1)
        seen = [infigo.get("/customer/") for _ in range(6)]
        assert [r.status_code for r in seen] == [200] * 5 + [429]
        assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["4", "3", "2", "1", "0", "0"]
        assert all(r.headers["X-RateLimit-Limit"] == "5" for r in seen)
        limited = seen[-1]
        assert limited.text == "Rate limit exceeded. Please try again later."
        assert limited.headers["Content-Type"].startswith("text/plain")
        assert limited.headers["Retry-After"] in ("1", "2")
        reset = datetime.fromisoformat(limited.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
        server_now = datetime.strptime(limited.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
        assert timedelta(0) < reset - server_now <= timedelta(seconds=2)
        time.sleep(int(limited.headers["Retry-After"]) + 0.1)
        assert infigo.get("/customer/").status_code == 200        # the window rolled on
    finally:
        infigo.control.configure("infigo", rate_limit_per_window=FAST, rate_limit_window_s=10)


def test_clock_moves_orders_through_their_lifecycle(fresh_sandbox):
    fresh_sandbox.control.configure("infigo", rate_limit_per_window=FAST)
    before = {d["id"]: d["status"] for d in fresh_sandbox.control.truth("infigo")["documents"]}
    fresh_sandbox.control.advance(days=4)
    truth = fresh_sandbox.control.truth("infigo")
    after = {d["id"]: d["status"] for d in truth["documents"]}
    assert len(after) > len(before)
    moved = [i for i in before if before[i] != after[i]]
    assert moved, "open orders move on"
    order = {"10": 0, "20": 1, "30": 2, "60": 3, "40": 4}
    assert all(after[i] == "50" or order[after[i]] > order[before[i]] for i in moved)
