"""Shirtigo's document examples (`seeds/002_…txt`) behind its documented routes: Bearer API
key; `GET /api/user`; `GET /api/orders` and `GET /api/payments` as `{data, meta.pagination}`
with `page`/`items`, `sort_col`/`sort_dir` and `period` (days back from the server's clock);
`GET /api/products` as one unpaginated `{data}` list.

The document's response examples are cut after a size limit (its own note: the schema
definitions are complete). Only what a record needs to be told apart is completed, from the
document's own fragments: an order's top-level `reference`, prices, status and `updated_at`
are the ones printed in the same example's `sender.parent` (an Order), its `delivery` and
`bill` are the printed `sender` address (an OrderAddress), `fulfillment` is `false` ("or false
if no details are available"), `payments` holds the document's Payment example (without its
embedded order); a product gets an `id` (its
example stops before it). Ids, references and times are varied per copy."""
from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta, timezone

from tests.docexamples.printed import example
from tests.docexamples.server import Request, Response

API_KEY = "docs-shirtigo-key"
NOW = datetime(2017, 1, 10, 12, 0, tzinfo=timezone.utc)
START_DATE = "2016-12-20"
STAMP = "%Y-%m-%d %H:%M:%S"
#: Order fields the list example omits, taken from its printed `sender.parent` (an Order)
PARENT_FIELDS = ("reference", "status_key", "net_price", "vat_amount", "vat_rate", "gross_price", "status",
                 "updated_at")


class ShirtigoExamples:
    def __init__(self, orders: int = 130, payments: int = 57, products: int = 33):
        self.docs = {k: example("shirtigo", k) for k in ("orders", "payments", "products", "user")}
        base = datetime.strptime(self.docs["orders"]["data"][0]["created_at"], STAMP)
        self.orders = [self._order(i, base - timedelta(minutes=37 * i)) for i in range(orders)]
        self.payments = []
        for i in range(payments):
            p = copy.deepcopy(self.docs["payments"]["data"][0])
            p["id"] = p["id"][:-12] + f"{i:012d}"
            p["created_at"] = (base - timedelta(minutes=71 * i)).strftime(STAMP)
            p["order"]["reference"] = self.orders[i % len(self.orders)]["reference"]   # cut from the example
            self.payments.append(p)
        self.products = []
        for i in range(products):
            p = copy.deepcopy(self.docs["products"]["data"][0])
            p["id"] = 1000 + i
            p["custom_name"] = f"{p['custom_name']} {i}"
            self.products.append(p)

    def _order(self, i: int, at: datetime) -> dict:
        order = copy.deepcopy(self.docs["orders"]["data"][0])
        parent = order["sender"]["parent"]
        for field in PARENT_FIELDS:
            order[field] = copy.deepcopy(parent[field])
        order["reference"] = f"{parent['reference']}{i:04d}"
        order["invoice_reference"] = f"RE-{i:06d}"
        order["created_at"] = at.strftime(STAMP)
        order["updated_at"] = at.strftime(STAMP)
        address = {k: v for k, v in order["sender"].items() if k not in ("parent", "children")}
        order["delivery"] = {**address, "firstname": f"{address['firstname']} {i % 29}"}
        order["bill"] = dict(address)
        order["fulfillment"] = False
        payment = {k: v for k, v in copy.deepcopy(self.docs["payments"]["data"][0]).items() if k != "order"}
        payment["id"] = payment["id"][:-12] + f"{i + 900000:012d}"
        order["payments"] = {"data": [payment]}      # the document's Payment example, without its order
        for n, line in enumerate(order["products"]["data"]):
            line["id"] = 500 + n          # printed as "integer"
        return order

    #: the order listing repeats page 1's last order, changed, at the start of page 2 (a
    #: listing that shifted while it was paged, and an order that changed meanwhile)
    shifted = False

    def __call__(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return Response(401, {"message": "Unauthenticated."})
        path = request.path.rstrip("/")
        if path == "/api/user":
            return Response(200, self.docs["user"])
        if path == "/api/products":
            return Response(200, {"data": self.products})
        if path in ("/api/orders", "/api/payments"):
            return self._list(request, self.orders if path == "/api/orders" else self.payments)
        return Response(404, {"message": "Not Found"})

    def _list(self, request: Request, records: list[dict]) -> Response:
        page, size = int(request.arg("page", "1")), int(request.arg("items", "12"))
        period = request.arg("period")
        chosen = records
        if period:
            since = (NOW - timedelta(days=int(period))).replace(tzinfo=None)
            chosen = [r for r in records if datetime.strptime(r["created_at"], STAMP) >= since]
        column = request.arg("sort_col") or "created_at"
        chosen = sorted(chosen, key=lambda r: str(r.get(column)), reverse=request.arg("sort_dir") == "desc")
        if self.shifted and records is self.orders and len(chosen) > size:
            again = copy.deepcopy(chosen[size - 1])          # changed since page 1 served it
            again["updated_at"] = (NOW - timedelta(days=1)).strftime(STAMP)
            chosen = chosen[:size] + [again] + chosen[size:]
        pages = max(1, math.ceil(len(chosen) / size))
        data = chosen[(page - 1) * size: page * size]
        return Response(200, {"data": data, "meta": {"pagination": {
            "total": len(chosen), "count": len(data), "per_page": size, "current_page": page,
            "total_pages": pages, "links": {}}}})
