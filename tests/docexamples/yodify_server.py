"""Yodify's document examples (`seeds/003_…txt`, schema section) behind its documented routes
under `/api/v1`: Bearer token from an OAuth2 client-credentials endpoint (`/connect/token`: the
document lost the flow, this is the project's reading), `Page` (1-based) / `Limit` (<= 100);
the envelope `{object, data, has_more, total_items, url, count}` on SKUs, Accounts and
AccountUsers, bare arrays on Products, Orders, Carriers and Shipments; `Ids`, `SinceId`,
`CreatedOnMin`/`CreatedOnMax` (on `ordered_date`), `Statuses` on Orders; single orders'
shipments at `/orders/{orderId}/shipments[/{id}]`.

The document prints each object's example as its members with the closing lines lost, and
its nested arrays empty (`"items": [`): an order gets one item (the document's OrderItem
example) and one shipment (its Shipment example), each with its id varied. An account embeds
its users (`user_accounts`) as AccountUser examples; a user is a member of `SHARED_USER_ACCOUNTS`
accounts when `shared_user` is set (the same id under several accounts)."""
from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta, timezone

from tests.docexamples.printed import example
from tests.docexamples.server import Request, Response

CLIENT_ID, CLIENT_SECRET, TOKEN = "docs-client", "docs-secret-2", "docs-yodify-token"
NOW = datetime(2020, 12, 10, 12, 0, tzinfo=timezone.utc)
START_DATE = "2020-11-01"
SHARED_USER = "shared-user-1"
SHARED_USER_ACCOUNTS = (3, 5, 8)


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class YodifyExamples:
    def __init__(self, orders: int = 230, products: int = 140, skus: int = 170, accounts: int = 12,
                 users_per_account: int = 3, shared_user: bool = False):
        self.docs = {k: example("yodify", k) for k in ("order", "orderitem", "shipment", "product", "sku",
                                                         "account", "accountuser", "carrier")}
        base = _parse(self.docs["order"]["ordered_date"])
        self.orders = [self._order(i, base - timedelta(hours=3 * i)) for i in range(orders)]
        self.products = [{**copy.deepcopy(self.docs["product"]), "id": 4000 + i, "name": f"Product {i}"}
                         for i in range(products)]
        self.skus = [{**copy.deepcopy(self.docs["sku"]), "id": 90000 + i, "sku_identifier": f"PDA111-{i}"}
                     for i in range(skus)]
        self.accounts, self.users = [], {}
        for a in range(accounts):
            account = copy.deepcopy(self.docs["account"])
            account.update(id=12000 + a, account_number=f"ACCOUNT_{a:03d}", name=f"Account {a}")
            for u in range(users_per_account):
                account["user_accounts"].append(self._user(f"user-{a}-{u}", account["id"]))
            if shared_user and a in SHARED_USER_ACCOUNTS:
                account["user_accounts"].append(self._user(SHARED_USER, account["id"]))
            self.accounts.append(account)
        self.carriers = [{**copy.deepcopy(self.docs["carrier"]), "id": 8 + i, "slug": f"Carrier{i}"}
                         for i in range(3)]
        #: order ids whose `total` changes right after a listing first serves them
        self.change_after_listing: set[int] = set()

    def add_order(self, status: str) -> dict:
        """A new order (the next id), placed a day before `NOW`, in `status`."""
        order = self._order(len(self.orders), NOW - timedelta(days=1))
        order["order_status"] = status
        self.orders.append(order)
        return order

    def _user(self, user_id: str, account_id: int) -> dict:
        user = copy.deepcopy(self.docs["accountuser"])
        user.update(id=user_id, account_id=account_id, email=f"{user_id}@example.com")
        user["account"] = {}          # not expanded
        if user_id not in self.users:
            self.users[user_id] = user
        return user

    def _order(self, i: int, at: datetime) -> dict:
        order = copy.deepcopy(self.docs["order"])
        order_id = 1000 + i
        order.update(id=order_id, order_number=f"ORD-{order_id:09d}", ordered_date=_z(at),
                     customer_id=f"e49fe4dd-b087-439f-8897-{i % 41:012d}")
        order["customer"]["id"] = order["customer_id"]
        item = copy.deepcopy(self.docs["orderitem"])
        item.update(id=order_id * 10, order_id=order_id)
        shipment = copy.deepcopy(self.docs["shipment"])
        shipment.update(id=order_id * 10 + 1, order_id=order_id)
        order["items"], order["shipments"] = [item], [shipment]
        return order

    # --- routes ------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        if request.path == "/connect/token" and request.method == "POST":
            form = dict(pair.split("=", 1) for pair in request.body.decode().split("&") if "=" in pair)
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return Response(400, {"error": "invalid_client"})
            return Response(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600,
                                  "scope": "yodify"})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"title": "Unauthorized", "status": 401})
        path = request.path.rstrip("/").lower()
        parts = path.split("/")
        if path == "/api/v1/orders":
            response = self._list(request, self._orders(request), envelope=False)
            response.body = copy.deepcopy(response.body)
            for order in self.orders:
                if order["id"] in self.change_after_listing and any(o["id"] == order["id"] for o in response.body):
                    self.change_after_listing.discard(order["id"])
                    order["total"] = round(order["total"] + 1, 2)
            return response
        if path == "/api/v1/products":
            return self._list(request, self.products, envelope=False)
        if path == "/api/v1/skus":
            return self._list(request, self.skus, envelope=True)
        if path == "/api/v1/accounts":
            expand = [e.lower() for e in request.args("Expand")]
            accounts = self.accounts if "user_accounts" in expand else \
                [{**a, "user_accounts": None} for a in self.accounts]
            return self._list(request, accounts, envelope=True)
        if path == "/api/v1/accountusers":
            return self._list(request, list(self.users.values()), envelope=True)
        if path == "/api/v1/carriers":
            return self._list(request, self.carriers, envelope=False)
        if len(parts) in (6, 7) and parts[:3] == ["", "api", "v1"] and parts[3] == "orders" and parts[5] == "shipments":
            order = next((o for o in self.orders if str(o["id"]) == parts[4]), None)
            shipments = order["shipments"] if order else []
            if len(parts) == 6:
                return Response(200, shipments)
            found = next((s for s in shipments if str(s["id"]) == parts[6]), None)
            return Response(200, found) if found else Response(404, None)
        return Response(404, None)

    def _orders(self, request: Request) -> list[dict]:
        chosen = self.orders
        ids = {int(i) for i in request.args("Ids")}
        if ids:
            chosen = [o for o in chosen if o["id"] in ids]
        if request.arg("SinceId"):
            chosen = [o for o in chosen if o["id"] > int(request.arg("SinceId"))]
        low, high = _parse(request.arg("CreatedOnMin")), _parse(request.arg("CreatedOnMax"))
        if low:
            chosen = [o for o in chosen if _parse(o["ordered_date"]) >= low]
        if high:
            chosen = [o for o in chosen if _parse(o["ordered_date"]) <= high]
        statuses = set(request.args("Statuses"))
        if statuses:
            chosen = [o for o in chosen if o["order_status"] in statuses]
        return sorted(chosen, key=lambda o: o["id"])

    @staticmethod
    def _list(request: Request, records: list, envelope: bool) -> Response:
        page, limit = int(request.arg("Page", "1")), int(request.arg("Limit", "100"))
        if not 1 <= limit <= 100 or page < 1:
            return Response(400, {"title": "Bad Request", "status": 400,
                                  "errors": {"Limit": ["between 1 and 100"]}})
        data = records[(page - 1) * limit: page * limit]
        if not envelope:
            return Response(200, data)
        return Response(200, {"object": "list", "data": data, "has_more": page < math.ceil(len(records) / limit),
                              "total_items": len(records), "url": request.path, "count": len(data)})
