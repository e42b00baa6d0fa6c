"""Shirtigo Cockpit API simulator (print-on-demand), from the Shirtigo Cockpit API Reference
1.0.0 (API endpoint https://cockpit.shirtigo.de/api).

Readings taken where the document is silent, each one a
choice the source must survive, not rely on:
- Auth: `Authorization: Bearer <api key>`; a missing or wrong key gets
  401 `{"message": "Unauthenticated."}` (Laravel convention).
- Lists are `{"data": [...]}`; `/orders` and `/payments` add Fractal's `meta.pagination`
  (`total, count, per_page, current_page, total_pages, links`; `links` is `[]` on a single
  page). `items` defaults to 12 and is capped at `max_items` (100); `per_page` says so.
  A page past the end is `data: []`. `/products` is one unpaginated `data` list.
- `sort_col` takes a top-level scalar field, `sort_dir` asc|desc, default `created_at asc`;
  `period` = orders created within the last N days of the server clock; a missing
  `filter` means every status (`filter=<id>` uses the status table below).
- Timestamps are Europe/Berlin wall-clock time, `YYYY-MM-DD HH:MM:SS`, no zone.
- Money objects are `{currency_symbol, currency_factor: 100, amount: <cents>, currency_code}`;
  only EUR. Order net = lines + shipping; VAT 19 % of net, rounded half up; gross = net + VAT.
- `shipping` appears once the order is shipped; `fulfillment` is an object or `false`.
- Payments: one "Zahlung" per order a few seconds after it is placed; a cancelled order gets
  a second row, status_title "Erstattung" (refund), same positive amounts, status `refund`.
- Products are hard-deleted: gone from `/products`, 404 on `/products/{id}`.
"""
from __future__ import annotations

import bisect
import string
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from ..base import DayByDay, VendorSim
from ..catalog import Versioned, churn_day, initial_catalog
from ..people import Person
from ..rng import poisson, rng, unit
from ..truth import TruthDocument, truth_payload

BERLIN = ZoneInfo("Europe/Berlin")
API_KEY = "sbx-shirtigo-" + "7f3a9c1e5b2d4f6a8c0e" * 5   # long, like real Cockpit keys
VAT_RATE = 19

#: status key -> (filter id, human readable status, verbose description)
STATUSES = {
    "open": (1, "Bestellung offen", "Die Bestellung ist eingegangen."),
    "preparation": (2, "In Vorbereitung", "Die Bestellung wird vorbereitet."),
    "production": (3, "In Produktion", "Die Bestellung wird produziert."),
    "clarification": (4, "Klärung", "Zu der Bestellung gibt es eine Rückfrage."),
    "shipped": (5, "Versendet", "Die Bestellung wurde versendet."),
    "canceled": (6, "Storniert", "Die Bestellung wurde storniert."),
}
STATUS_BY_FILTER = {v[0]: k for k, v in STATUSES.items()}

BASE_PRODUCTS = [  # id, name, original name, category id, category, base price, sales price
    (235, "Organic Unisex T-Shirt", "Creator T-Shirt", 10, "Unisex-Shirts", 795, 1995),
    (236, "Organic Hoodie", "Cruiser Hoodie", 12, "Hoodies", 1995, 3995),
    (240, "Tote Bag", "Woven Bag", 20, "Taschen", 395, 1295),
    (244, "Organic Sweatshirt", "Changer Sweatshirt", 11, "Sweatshirts", 1695, 3495),
    (250, "Cap", "Dad Cap", 30, "Caps", 695, 1795),
]
COLORS = [(326, "Black", "#000000"), (331, "French Navy", "#1F2A44"), (340, "White", "#FFFFFF"),
          (352, "Heather Grey", "#A6A6A6"), (361, "Bottle Green", "#1E4D2B")]
SIZES = [(63, "S"), (65, "M"), (66, "L"), (67, "XL"), (68, "XXL")]
MOTIFS = ["Bergsee", "Nordlicht", "Hafen", "Alpenglühen", "Kaffeekult", "Stadtwerk", "Pixel",
          "Waldlauf", "Sternwarte", "Leuchtturm", "Rheinufer", "Gipfelglück"]
SORTABLE_ORDER = ("created_at", "updated_at", "reference", "invoice_reference", "total_items",
                  "status", "status_key", "vat_rate")
SORTABLE_PAYMENT = ("created_at", "id", "status", "status_title", "vat_rate")


def berlin(ts: datetime) -> str:
    return ts.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M:%S")


def money_obj(cents: int) -> dict:
    return {"currency_symbol": "€", "currency_factor": 100, "amount": cents, "currency_code": "EUR"}


def vat_of(net_cents: int) -> int:
    return (net_cents * VAT_RATE + 50) // 100   # half up, cents are non-negative


@dataclass(slots=True)
class Product(Versioned):
    id: int
    base: tuple
    project_ref: str
    project_name: str
    description: str
    colors: list[tuple]
    created_at: datetime
    versions: list[tuple[datetime, int, str]]        # (at, net price cents, custom name)
    deleted_at: datetime | None = None


@dataclass(slots=True)
class Line:
    product_id: int
    name: str
    color: str
    size: str
    qty: int
    unit_cents: int


@dataclass(slots=True)
class Order:
    reference: str
    invoice_reference: str
    created_at: datetime
    person: Person
    lines: list[Line]
    shipping_cents: int
    transitions: list[tuple[datetime, str]]
    payment_id: str
    paid_at: datetime
    refund_id: str | None = None
    refunded_at: datetime | None = None
    fulfillment: dict | None = None
    tracking_code: str = ""

    @property
    def net_cents(self) -> int:
        return sum(ln.qty * ln.unit_cents for ln in self.lines) + self.shipping_cents

    @property
    def gross_cents(self) -> int:
        return self.net_cents + vat_of(self.net_cents)

    @property
    def units(self) -> int:
        return sum(ln.qty for ln in self.lines)

    def entries(self, now: datetime) -> list[tuple[datetime, str]]:
        return [t for t in self.transitions if t[0] <= now]

    def status_key(self, now: datetime) -> str:
        return self.entries(now)[-1][1]

    def updated_at(self, now: datetime) -> datetime:
        stamps = [self.entries(now)[-1][0]]
        if self.paid_at <= now:
            stamps.append(self.paid_at)
        if self.refunded_at and self.refunded_at <= now:
            stamps.append(self.refunded_at)
        return max(stamps)


@dataclass(slots=True)
class Payment:
    id: str
    created_at: datetime
    order: Order
    is_refund: bool


@dataclass
class ShirtigoWorld:
    products: dict[int, Product] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    order_times: list[datetime] = field(default_factory=list)
    by_reference: dict[str, Order] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)


class ShirtigoSim(DayByDay, VendorSim):
    name = "shirtigo"
    api_prefix = "/api"
    port_offset = 1
    people_window = 0.0      # where in the shared pool this vendor's buyers start (fraction)

    def __init__(self, *args, **kwargs):
        self.max_items = 100
        self.product_churn = 1.0      # multiplier of the daily edit/deletion rates (tests raise it)
        self.schema_drift = False     # serve drifted orders (see `_drift`)
        self.products_served = 1.0    # share of the catalog /products lists (a cut list, for tests)
        self.w = ShirtigoWorld()
        super().__init__(*args, **kwargs)
        self._next_product_id = 48000
        self._seq = 0

    # --- routes, auth, errors ----------------------------------------------------------
    def register_routes(self) -> None:
        p = self.api_prefix
        self.route("GET", f"{p}/user", self.get_user)
        self.route("GET", f"{p}/orders", self.list_orders)
        self.route("GET", f"{p}/orders/{{reference}}", self.get_order)
        self.route("GET", f"{p}/products", self.list_products)
        self.route("GET", f"{p}/products/{{product_id}}", self.get_product)
        self.route("GET", f"{p}/payments", self.list_payments)
        self.route("GET", f"{p}/delivery-countries", self.delivery_countries)

    def authenticate(self, request: web.Request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip() == API_KEY:
            return None
        return self.error(401, "Unauthenticated.")

    def error(self, status: int, message: str) -> web.Response:
        messages = {401: "Unauthenticated.", 404: message, 429: "Too Many Attempts.",
                    500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return self.json({"message": messages.get(status, message)}, status=status)

    def validation_error(self, errors: dict[str, str]) -> web.Response:
        return self.json({"message": "The given data was invalid.",
                          "errors": {k: [v] for k, v in errors.items()}}, status=422)

    def credentials(self) -> dict:
        return {"api_key": API_KEY}

    def configure(self, max_items: int | None = None, product_churn: float | None = None,
                  schema_drift: bool | None = None, products_served: float | None = None) -> dict:
        """Knobs for tests: the page-size cap, how fast the catalog changes on days generated
        from now on, and whether orders are served with schema drift."""
        if max_items is not None:
            self.max_items = int(max_items)
        if product_churn is not None:
            self.product_churn = float(product_churn)
        if schema_drift is not None:
            self.schema_drift = bool(schema_drift)
        if products_served is not None:
            self.products_served = float(products_served)
        return {"max_items": self.max_items, "product_churn": self.product_churn,
                "schema_drift": self.schema_drift, "products_served": self.products_served}

    def drift_kind(self, reference: str) -> str | None:
        """With schema drift on, which drift an order gets (deterministic per order)."""
        if not self.schema_drift:
            return None
        u = unit(self.seed, "drift", reference)
        return "string_object" if u < 0.08 else "string_number" if u < 0.2 else \
            "unknown_status" if u < 0.26 else None

    def _drift(self, data: dict, kind: str | None) -> dict:
        """Every order gains a field the document does not know; some get a number as a
        string (readable), a string where the Money object was (unreadable), or a status
        key the document never listed."""
        data["gift_message"] = "Alles Gute!"
        if kind == "string_number":
            data["net_price"]["amount"] = str(data["net_price"]["amount"])
        elif kind == "string_object":
            data["gross_price"] = f"{data['gross_price']['amount'] / 100:.2f} EUR"
        elif kind == "unknown_status":
            data["status_key"], data["status"] = "on_hold", "Angehalten"
        return data

    # --- world generation --------------------------------------------------------------
    def _new_product(self, r, at: datetime) -> Product:
        base = r.choice(BASE_PRODUCTS)
        motif = r.choice(MOTIFS)
        pid = self._next_product_id
        self._next_product_id += 1
        price = base[5] + r.choice([0, 200, 500, 800]) - 5 + r.randint(0, 1) * 100
        name = f"{motif} {base[1].split()[-1]}"
        return Product(
            id=pid, base=base, project_ref=str(uuid.UUID(int=r.getrandbits(128), version=4)),
            project_name=f"{motif} Kollektion", description=f"<p>{motif}-Motiv auf {base[1]}.</p>",
            colors=r.sample(COLORS, r.randint(1, 3)), created_at=at, versions=[(at, price, name)])

    def seed_world(self, at: datetime) -> None:
        r = rng(self.seed, self.name, "catalog")
        self.w.products.update((p.id, p) for p in initial_catalog(r, self.scale.products, at, self._new_product))

    def generate_day(self, day: date) -> None:
        r = rng(self.seed, self.name, "day", day.isoformat())
        start = datetime.combine(day, time(), timezone.utc)

        def at_random() -> datetime:
            return start + timedelta(seconds=r.randint(0, 86399))

        # catalog churn: edits (price, sometimes the name), hard deletions, new products
        for product in churn_day(
                r, self.w.products.values(), start, rate=self.product_churn, delete_below=0.004,
                edit_below=0.016, new_mean=0.004 * max(1, self.scale.products), new=self._new_product,
                edit=lambda r, v: (v[1] + r.choice([-200, -100, 100, 200, 300]),
                                   v[2] if r.random() < 0.7 else f"{v[2]} Edition")):
            self.w.products[product.id] = product

        # orders
        weekday_factor = (1.0, 1.0, 1.05, 1.1, 1.2, 0.8, 0.7)[day.weekday()]
        times = sorted(at_random() for _ in range(poisson(r, self.scale.orders_per_day * weekday_factor)))
        for created in times:
            live = [p for p in self.w.products.values() if p.visible(created)]
            if not live:
                continue
            self._add_order(r, created, live)

    def _reference(self, r) -> str:
        alphabet = string.ascii_uppercase + string.digits
        while True:
            ref = "".join(r.choice(alphabet) for _ in range(7))
            if ref not in self.w.by_reference:
                return ref

    def _add_order(self, r, created: datetime, live: list[Product]) -> None:
        self._seq += 1
        person = self.people.pick(r, self.people_window)
        lines = []
        for product in r.sample(live, min(len(live), 1 + min(3, poisson(r, 0.9)))):
            _, price, name = product.version(created)
            color = r.choice(product.colors)[1]
            lines.append(Line(product.id, name, color, r.choice(SIZES)[1],
                              r.choices([1, 2, 3, 5], [70, 20, 8, 2])[0], price))
        shipping = 390 if person.country == "DE" else 590 if person.country in ("AT", "FR", "NL") else 990
        h = lambda lo, hi: timedelta(hours=r.uniform(lo, hi))  # noqa: E731
        transitions = [(created, "open")]
        refund_id = refunded_at = None
        roll = r.random()
        if roll < 0.05:
            cancel_at = created + h(1, 20)
            transitions.append((cancel_at, "canceled"))
            refund_id, refunded_at = str(uuid.UUID(int=r.getrandbits(128), version=4)), cancel_at
        else:
            t = created
            if roll < 0.09:
                t += h(1, 8)
                transitions.append((t, "clarification"))
            t += h(2, 12)
            transitions.append((t, "preparation"))
            t += h(8, 30)
            transitions.append((t, "production"))
            t += h(10, 48)
            transitions.append((t, "shipped"))
            if r.random() < 0.02:   # a late complaint on an old order: exercises the lookback
                late = t + timedelta(days=r.uniform(10, 30))
                transitions += [(late, "clarification"), (late + h(24, 72), "shipped")]
        order = Order(
            reference=self._reference(r),
            invoice_reference=f"R-{created.year}-{self._seq:06d}",
            created_at=created, person=person, lines=lines, shipping_cents=shipping,
            transitions=transitions,
            payment_id=str(uuid.UUID(int=r.getrandbits(128), version=4)),
            paid_at=created + timedelta(seconds=r.randint(3, 90)),
            refund_id=refund_id, refunded_at=refunded_at,
            fulfillment={"provider": "cockpit", "warehouse": r.choice(["Köln", "Leipzig"])}
            if r.random() < 0.2 else None,
            tracking_code=f"00340434{r.randint(10**11, 10**12 - 1)}",
        )
        self.w.orders.append(order)
        self.w.order_times.append(created)
        self.w.by_reference[order.reference] = order
        # payments stay sorted by (created_at, id): the listing's default order
        by_time = lambda p: (p.created_at, p.id)  # noqa: E731
        bisect.insort(self.w.payments, Payment(order.payment_id, order.paid_at, order, False), key=by_time)
        if refund_id:
            bisect.insort(self.w.payments, Payment(refund_id, refunded_at, order, True), key=by_time)

    # --- rendering ---------------------------------------------------------------------
    def _address(self, person: Person) -> dict:
        return {"postcode": person.postcode, "lastname": person.last_name, "country": person.country,
                "parent": None, "firstname": person.first_name, "street": person.street,
                "city": person.city, "company": person.company, "title": person.title,
                "children": {"data": []}}

    @staticmethod
    @lru_cache(maxsize=1)
    def _merchant() -> dict:
        return {"postcode": "80331", "lastname": "Weber", "country": "DE", "parent": None,
                "firstname": "Anna", "street": "Hauptstraße 5", "city": "München",
                "company": "Bergsee Merch UG", "title": "", "children": {"data": []}}

    def order_json(self, o: Order, now: datetime) -> dict:
        entries = o.entries(now)
        key = entries[-1][1]
        net, gross = o.net_cents, o.gross_cents
        payment_status = "refunded" if o.refunded_at and o.refunded_at <= now else "paid"
        data = {
            "orderStatusEntries": {"data": [
                {"created_at": berlin(t), "description": STATUSES[k][2], "key": k,
                 "status": STATUSES[k][1], "updated_at": berlin(t)} for t, k in entries]},
        }
        if key == "shipped" or any(k == "shipped" for _, k in entries):
            shipped_at = next(t for t, k in entries if k == "shipped")
            data["shipping"] = {
                "cost": money_obj(o.shipping_cents), "created_at": berlin(shipped_at),
                "country_code": o.person.country, "tracking_code": o.tracking_code,
                "tracking_url": f"https://tracking.example.com/dhl/{o.tracking_code}",
                "type": "delivery", "is_shipped": True, "updated_at": berlin(shipped_at)}
        data.update({
            "total_items": o.units,
            "created_at": berlin(o.created_at),
            "products": {"data": [
                {"amount": ln.qty, "size": ln.size,
                 "images": [{"urls": {"large": f"https://cdn.example.com/renders/{ln.product_id}/large.png",
                                      "small": f"https://cdn.example.com/renders/{ln.product_id}/small.png"},
                             "color": ln.color, "area": "front"}],
                 "net_total_price": money_obj(ln.qty * ln.unit_cents), "name": ln.name,
                 "id": ln.product_id, "net_unit_price": money_obj(ln.unit_cents), "color": ln.color}
                for ln in o.lines]},
            "sender": self._merchant(),
            "reference": o.reference,
            "invoice_reference": o.invoice_reference,
            "delivery": self._address(o.person),
            "fulfillment": o.fulfillment if o.fulfillment else False,
            "net_price": money_obj(net),
            "vat_amount": money_obj(gross - net),
            "bill": self._merchant(),
            "vat_rate": VAT_RATE,
            "status_key": key,
            "gross_price": money_obj(gross),
            "payments": {"data": [
                {"gross_amount": money_obj(gross), "vat_amount": money_obj(gross - net),
                 "vat_rate": VAT_RATE, "status_details": "", "id": o.payment_id,
                 "net_amount": money_obj(net), "type": "creditcard", "status": payment_status,
                 "updated_at": berlin(o.refunded_at if payment_status == "refunded" else o.paid_at)}]
                if o.paid_at <= now else []},
            "status": STATUSES[key][1],
            "updated_at": berlin(o.updated_at(now)),
        })
        return self._drift(data, self.drift_kind(o.reference)) if self.schema_drift else data

    def product_json(self, p: Product, now: datetime) -> dict:
        at, price, name = p.version(now)
        bid, bname, borig, cat_id, cat, bprice, sprice = p.base
        colors = [{"id": cid, "color": cname, "is_colored": chex != "#FFFFFF",
                   "sizes": [{"is_onlocalstock": True, "id": sid, "size": s, "is_available": True,
                              "sort_position": i} for i, (sid, s) in enumerate(SIZES, 1)],
                   "color_hex": chex} for cid, cname, chex in p.colors]
        return {
            "active_integration_syncs": [],
            "name": bname,
            "custom_name": name,
            "base_product": {
                "category": cat, "category_id": cat_id, "is_active": True,
                "processing_areas": {"data": [{"position_name": "front", "printable_area_margin_from_top": 80,
                                               "position_id": 1, "template": f"https://cdn.example.com/templates/{bid}/front.png",
                                               "template_width": 1000, "height_in_mm": 400, "height": 4724,
                                               "width_in_mm": 300, "width": 3543, "template_height": 1000}]},
                "manufacturer": {"id": 12, "name": "Stanley/Stella"},
                "sizechart_image": f"https://cdn.example.com/sizecharts/{bid}.png",
                "shipping_category": 1, "name": bname,
                "price": {"data": [{"type": "generic", "price": money_obj(bprice)}]},
                "images": {"data": [{"sort_position": 1, "url": f"https://cdn.example.com/base-products/{bid}/front.jpg"}]},
                "short_description": f"{bname} aus Bio-Baumwolle", "description": f"<p>{bname}</p>",
                "id": bid, "original_name": borig,
                "sales_price": {"data": [{"type": "generic", "price": money_obj(sprice)}]},
                "colors": {"data": colors},
            },
            "integration_products": [],
            "project_name": p.project_name,
            "project": p.project_ref,
            "has_express": p.id % 3 == 0,
            "price": money_obj(price),
            "images": [{"urls": {"large": f"https://cdn.example.com/renders/{p.id}/large.png",
                                 "small": f"https://cdn.example.com/renders/{p.id}/small.png"},
                        "color": p.colors[0][1], "area": "front"}],
            "is_rendered": True,
            "description": p.description,
            "id": p.id,
            "updated_at": berlin(at),
            "integration_sync_log": [],
            "is_available": True,
            "colors": colors,
        }

    def payment_json(self, pay: Payment, now: datetime) -> dict:
        o = pay.order
        net, gross = o.net_cents, o.gross_cents
        return {
            "gross_amount": money_obj(gross),
            "status_title": "Erstattung" if pay.is_refund else "Zahlung",
            "payment_reference": "Kreditkarte",
            "vat_amount": money_obj(gross - net),
            "vat_rate": VAT_RATE,
            "created_at": berlin(pay.created_at),
            "id": pay.id,
            "net_amount": money_obj(net),
            "status": "refund" if pay.is_refund else "invoice",
            "order": self.order_json(o, now),
        }

    # --- handlers ------------------------------------------------------------------------
    def _int_params(self, request: web.Request, names: dict[str, int | None]) -> dict | web.Response:
        values, errors = {}, {}
        for name, default in names.items():
            raw = request.query.get(name)
            if raw is None or raw == "":
                values[name] = default
                continue
            try:
                values[name] = int(raw)
            except ValueError:
                errors[name] = f"The {name} must be an integer."
        return self.validation_error(errors) if errors else values

    def _paginate(self, request: web.Request, items: list, render, params: dict) -> web.Response:
        per_page = max(1, min(params["items"], self.max_items))
        page = max(1, params["page"])
        total = len(items)
        total_pages = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        links: dict | list = {}
        query = dict(request.query)

        def link(n: int) -> str:
            return f"{request.url.origin()}{request.path}?{urlencode({**query, 'page': n})}"

        if page > 1:
            links["previous"] = link(page - 1)
        if page < total_pages:
            links["next"] = link(page + 1)
        now = self.now()
        data = [render(x, now) for x in self.page_items(request, chunk)]
        return self.json({
            "data": data,
            "meta": {"pagination": {"total": total, "count": len(data), "per_page": per_page,
                                    "current_page": page, "total_pages": total_pages,
                                    "links": links or []}},
        })

    def _sorted(self, request: web.Request, items: list, allowed: tuple, key_of) -> list | web.Response:
        col = request.query.get("sort_col") or "created_at"
        direction = request.query.get("sort_dir") or "asc"
        errors = {}
        if col not in allowed:
            errors["sort_col"] = "The selected sort col is invalid."
        if direction not in ("asc", "desc"):
            errors["sort_dir"] = "The selected sort dir is invalid."
        if errors:
            return self.validation_error(errors)
        if col != "created_at":
            items = sorted(items, key=lambda x: key_of(x, col))
        return items[::-1] if direction == "desc" else items

    def _since(self, period: int | None) -> datetime | None:
        return None if period is None else self.now() - timedelta(days=period)

    def get_user(self, request: web.Request) -> web.Response:
        m = self._merchant()
        return self.json({
            "integrations": [{"id": 4711, "app": "shopify", "name": "bergsee-merch.myshopify.com",
                              "expires_in": "2027-01-01 00:00:00"}],
            "is_billing_valid": True, "city": m["city"], "lastname": m["lastname"],
            "sender_type": "company", "street": m["street"], "sender_street": m["street"],
            "sender_title": "", "sender_state": "", "has_orders": bool(self.w.orders),
            "sender_company_name": m["company"], "phone": "00498912345678",
            "company_name": m["company"], "title": "",
            "user_group": {"created_at": "2017-01-01 12:34:56", "quantity": 1000, "id": 1,
                           "cockpit_discount": 20, "type": "premium", "updated_at": "2017-01-01 12:34:56"},
            "email": "anna.weber@bergsee-merch.example", "firstname": m["firstname"],
            "sender_firstname": m["firstname"], "country": "Deutschland", "is_business": True,
            "postcode": m["postcode"], "sender_lastname": m["lastname"], "sender_postcode": m["postcode"],
            "display_name": "Anna Weber", "sender_country": "DE",
            "updated_at": "2024-01-15 11:02:37", "sender_city": m["city"],
        })

    def list_orders(self, request: web.Request) -> web.Response:
        params = self._int_params(request, {"page": 1, "items": 12, "period": None, "filter": None,
                                            "search": None})
        if isinstance(params, web.Response):
            return params
        if params["period"] is not None and params["period"] < 1:
            return self.validation_error({"period": "The period must be at least 1."})
        now = self.now()
        hi = bisect.bisect_right(self.w.order_times, now)
        since = self._since(params["period"])
        lo = 0 if since is None else bisect.bisect_left(self.w.order_times, since, 0, hi)
        orders = self.w.orders[lo:hi]
        if params["filter"] is not None:
            wanted = STATUS_BY_FILTER.get(params["filter"])
            orders = [o for o in orders if o.status_key(now) == wanted]
        if params["search"] is not None:
            needle = str(params["search"])
            orders = [o for o in orders if needle in o.invoice_reference or needle in o.reference]

        def key_of(o: Order, col: str):
            if col == "updated_at":
                return o.updated_at(now)
            if col in ("status", "status_key"):
                return o.status_key(now)
            if col == "total_items":
                return o.units
            if col == "vat_rate":
                return VAT_RATE
            return getattr(o, col)

        orders = self._sorted(request, orders, SORTABLE_ORDER, key_of)
        if isinstance(orders, web.Response):
            return orders
        return self._paginate(request, orders, self.order_json, params)

    def get_order(self, request: web.Request, reference: str) -> web.Response:
        o = self.w.by_reference.get(reference)
        if o is None or o.created_at > self.now():
            return self.error(404, "Order not found")
        return self.json(self.order_json(o, self.now()))

    def list_products(self, request: web.Request) -> web.Response:
        now = self.now()
        live = [p for p in self.w.products.values() if p.visible(now)]
        live = live[: round(len(live) * self.products_served)]
        return self.json({"data": [self.product_json(p, now) for p in live]})

    def get_product(self, request: web.Request, product_id: str) -> web.Response:
        p = self.w.products.get(int(product_id)) if product_id.isdigit() else None
        if p is None or not p.visible(self.now()):
            return self.error(404, "Product not found")
        return self.json(self.product_json(p, self.now()))

    def list_payments(self, request: web.Request) -> web.Response:
        params = self._int_params(request, {"page": 1, "items": 12, "period": None, "action": None,
                                            "search": None})
        if isinstance(params, web.Response):
            return params
        now = self.now()
        since = self._since(params["period"])
        payments = [p for p in self.w.payments
                    if p.created_at <= now and (since is None or p.created_at >= since)]
        def key_of(p: Payment, col: str):
            if col in ("status", "status_title"):
                return p.is_refund
            return VAT_RATE if col == "vat_rate" else getattr(p, col)

        payments = self._sorted(request, payments, SORTABLE_PAYMENT, key_of)
        if isinstance(payments, web.Response):
            return payments
        return self._paginate(request, payments, self.payment_json, params)

    def delivery_countries(self, request: web.Request) -> web.Response:
        names = {"DE": "Germany", "AT": "Austria", "CH": "Switzerland", "FR": "France",
                 "NL": "Netherlands", "GB": "United Kingdom", "US": "United States"}
        return self.json({"data": [{"iso": k, "name": v} for k, v in names.items()]})

    # --- ground truth ----------------------------------------------------------------------
    @staticmethod
    def customer_identity(person) -> tuple:
        """A customer as Shirtigo holds one: a delivery address (the API has no customer id or
        e-mail), so two people of the same name at the same address are one customer to it
        (the pool makes a few such pairs at medium scale)."""
        return (person.first_name, person.last_name, person.company, person.street, person.postcode,
                person.city, person.country)

    def truth(self) -> dict:
        now = self.now()
        orders = self.w.orders[: bisect.bisect_right(self.w.order_times, now)]
        docs = [TruthDocument(o.reference, o.created_at, "EUR", o.gross_cents, o.units, False,
                              o.status_key(now) != "canceled", self.customer_identity(o.person),
                              o.status_key(now)) for o in orders]
        made = [p for p in self.w.products.values() if p.created_at <= now]
        return truth_payload(
            self.name, now, docs,
            customers=len({self.customer_identity(o.person) for o in orders}),
            products_active=[p.id for p in made if p.visible(now)],
            products_deleted=[p.id for p in made if not p.visible(now)],
            lines=sum(len(o.lines) for o in orders),
            payments={"count": sum(1 for p in self.w.payments if p.created_at <= now)},
            drift={kind: [o.reference for o in orders if self.drift_kind(o.reference) == kind]
                   for kind in ("string_object", "string_number", "unknown_status")},
        )
