"""Infigo API simulator (web-to-print storefront platform), from the Infigo API Documentation
(OpenAPI 3.0.1, version 15696; `tests/contracts/infigo_openapi.json` is a verbatim copy).

Served: `/catalog/v2/product` (+`/{id}`), `/catalog/product`, `/customer/v2`, `/customer/`
(+`/{id}`), `/order/list/`, `/order/detail/{id}`, `/orderlineitem/get/{id}`, all under
`/services/api`, matched case-insensitively with or without a trailing slash (ASP.NET).
Every JSON body validates against the document's schema (tests/sandbox/test_infigo_contract.py).

Readings taken where the document is silent or contradicts itself;
the source must survive them, not rely on them:
- Auth: `Authorization: Basic base64(token + ":")` (token as user, empty password) and, as the
  document's own example shows, `Basic base64(token)`. Anything else (Bearer included): 401,
  `text/plain` "Authorization details are invalid.".
- Rate limit (prose of the security scheme): `rate_limit_per_window` requests (default 50) per
  rolling `rate_limit_window_s` (10 s) per token. Every authenticated response carries
  `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (ISO UTC of the simulated
  clock + the seconds until a slot frees); over the limit: 429 `text/plain` "Rate limit exceeded.
  Please try again later." with `Retry-After` in whole seconds (rounded up). Both knobs are
  settable with `configure(...)` (control API `PUT /settings/infigo`) for fast tests.
- Paging: `PageIndex` is 0-based; missing or 0 `PerPage` = every item (the text says "Default
  returns all items" although it is `required`); a page past the end is `[]`. Products are
  sorted by Id. `/customer/v2` answers `{Data, PerPage, PageIndex, TotalCount, TotalPages}`;
  a missing or non-integer `PageIndex`/`PerPage` there is a 400 `InfigoProblemDetailsV2`.
- `/customer/v2` `Role` defaults to `Registered`: guest-checkout customers (role `Guests`) are
  listed only when asked for (`Role=Guests`, repeatable). `Created*`/`LastActivity*` are
  inclusive, compared at the whole seconds the timestamps are served with;
  `OrderBy`/`OrderDirection` take the numeric codes or the names.
- `/order/list/`: `orderedAfter`/`orderedBefore` are exclusive ("after"/"before"); naive
  timestamps are UTC. `filterByStatus=10` ("Open (not complete/cancelled)") returns every order
  that is neither Complete (40) nor Cancelled (50); other values match the status exactly.
- Enums: integers (the document types every numeric enum so; names never appear on the wire).
- Money: every amount is an integer in the document; it is read as whole **major** units of the
  order's `CustomerCurrencyCode` (the document's examples: a box of business cards at 27, tax
  rates as percentages), so the simulator prices in whole units. Internally everything is in
  integer minor units (multiples of 100). Products are priced in the store currency (GBP);
  `CurrencyRate` is customer-currency units per GBP, rounded to an integer as the schema types it.
- Order lifecycle: Open(10) -> Paid(20) -> Shipped(30) -> [Delivered(60)] -> Complete(40), or
  Cancelled(50) from Open/Paid (PaymentState Voided, or Refunded with `RefundedAmount` = total
  when it was paid). A few orders wait weeks before shipping; a few are committed up to 30 h after
  their `OrderDate` (late-arriving). Lines follow their order (Ordered, InProduction, Printed,
  Shipped / Cancelled) and record every status in `History`.
- Totals: lines are priced per unit excl. tax, tax per unit rounded half up to whole units;
  `OrderTotal = OrderSubtotalInclTax + OrderShippingInclTax - OrderSubTotalDiscountInclTax`,
  `OrderTax = Tax` = all tax after discount; `OrderDiscount`, payment and handling fees are 0.
- Customers: a person shops either registered (one customer, created at sign-up or first
  checkout) or as a guest (a new `Guests` customer per checkout, e-mail only on the order and
  its billing address). Products are hard-deleted (gone from the lists, 404 on detail).
"""
from __future__ import annotations

import base64
import bisect
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from aiohttp import web

from ..base import DayByDay, VendorSim
from ..catalog import Versioned
from ..drift import SchemaDrift
from ..people import Person
from ..ratelimit import RollingWindowLimiter
from ..rng import poisson, rng, unit
from ..truth import TruthDocument, truth_payload

API_TOKEN = "5d0c7a3e-2b9f-4c61-8e4d-9a1f3b7c2e60"       # tokens look like GUIDs (document's example)
STORE_CURRENCY = "GBP"
#: customer-currency units per GBP (CurrencyRate is this, rounded), and shipping excl. tax
CURRENCIES = {"GBP": (1.0, 10), "EUR": (1.17, 12), "USD": (1.27, 15), "CHF": (1.12, 12),
              "SEK": (13.4, 130), "DKK": (8.7, 90), "PLN": (5.0, 50), "NOK": (13.6, 130)}
COUNTRY_CURRENCY = {"GB": "GBP", "US": "USD", "CH": "CHF"}
VAT = {"GB": 20, "DE": 19, "AT": 20, "FR": 20, "NL": 21, "CH": 8, "US": 0}
COUNTRY_NAMES = {"DE": "Germany", "AT": "Austria", "CH": "Switzerland", "FR": "France",
                 "NL": "Netherlands", "GB": "United Kingdom", "US": "United States"}

ORDER_STATUS = {10: "Open", 20: "Paid", 30: "Shipped", 40: "Complete", 50: "Cancelled", 60: "Delivered"}
OPEN_FILTER_EXCLUDES = (40, 50)
#: line-item status codes used (InfigoOrderlineItem.Status numbering, the canonical one)
IN_BASKET, ORDERED, OUTPUT_CREATED, IN_PRODUCTION, PRINTED, SHIPPED, CANCELLED = 2, 3, 5, 17, 8, 9, 73
JOB_PREFIX = {10: "n", 20: "v", 30: "s", 40: "m", 50: "d", 70: "g"}

#: name, sku prefix, line type, tag (category), price in GBP, product group
BASE_PRODUCTS = [
    ("Business Cards - Premium Matt 400gsm (box of 250)", "BC-PM400", 20, "business-cards", 27, 12),
    ("Flyers A5 - 170gsm Gloss (pack of 500)", "FL-A5G", 30, "flyers", 45, 14),
    ("Letterheads A4 - 120gsm Uncoated (pack of 500)", "LH-A4U", 20, "stationery", 62, 15),
    ("Roll-up Banner 850 x 2000 mm", "RB-850", 30, "banners", 89, 16),
    ("Posters A2 - 200gsm Silk (pack of 10)", "PO-A2S", 30, "posters", 38, 16),
    ("Presentation Folders A4 (pack of 100)", "PF-A4", 40, "stationery", 145, 15),
    ("Booklets A5 - 16 pages (pack of 50)", "BK-A5-16", 40, "booklets", 120, 17),
    ("Stickers Round 50 mm (sheet of 24)", "ST-R50", 50, "stickers", 12, 18),
    ("Postcards A6 - 350gsm (pack of 100)", "PC-A6", 50, "postcards", 24, 14),
    ("Compliment Slips DL (pack of 500)", "CS-DL", 20, "stationery", 41, 15),
    ("Branded Notebooks A5 (pack of 25)", "NB-A5", 10, "merchandise", 95, 19),
    ("Event Tickets - numbered (pack of 200)", "ET-200", 70, "events", 56, 20),
]
VARIANTS = ["Standard", "Recycled", "Soft-touch", "Express", "Corporate template", "Franchise template"]
GROUP_NAMES = {12: "Business Cards", 14: "Flyers & Postcards", 15: "Stationery", 16: "Large Format",
               17: "Booklets", 18: "Stickers", 19: "Merchandise", 20: "Events"}


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_served(ts: datetime) -> datetime:
    """`ts` at the precision `iso` serves it (whole seconds): filters compare what a client
    can see, so "created on or before" a served `CreatedOn` includes that customer."""
    return ts.replace(microsecond=0)


def units(minor: int) -> int:
    """Minor units to the whole major units the document's integer amounts carry."""
    return minor // 100


def vat_minor(net_minor: int, rate: int) -> int:
    """Tax on a net amount, rounded half up to whole major units, in minor units."""
    return (net_minor * rate + 5000) // 10000 * 100


def guid(r) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


@dataclass(slots=True)
class Product(Versioned):
    id: int
    base: tuple
    name: str
    sku: str
    created_at: datetime
    versions: list[tuple[datetime, int, bool]]        # (at, price GBP whole units, published)
    deleted_at: datetime | None = None



@dataclass(slots=True)
class Customer:
    id: int
    guid: str
    person: Person
    is_guest: bool
    created_at: datetime
    currency: str
    activity: list[datetime] = field(default_factory=list)    # order times, ascending

    def last_activity(self, now: datetime) -> datetime:
        i = bisect.bisect_right(self.activity, now)
        return self.activity[i - 1] if i else self.created_at


@dataclass(slots=True)
class Line:
    job_id: str
    opv_id: int
    guid: str
    product_id: int
    name: str
    sku: str
    type: int
    tag: str
    group: int
    quantity: int
    unit_excl: int        # minor units
    unit_incl: int
    line_number: int
    created_at: datetime


@dataclass(slots=True)
class Order:
    id: int
    guid: str
    customer: Customer
    ordered_at: datetime
    visible_at: datetime
    currency: str
    vat_rate: int
    lines: list[Line]
    ship_excl: int
    discount_excl: int
    transitions: list[tuple[datetime, int]]
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    payment_method: str
    tracking: str
    ip: str

    @property
    def goods_excl(self) -> int:
        return sum(ln.quantity * ln.unit_excl for ln in self.lines)

    @property
    def goods_incl(self) -> int:
        return sum(ln.quantity * ln.unit_incl for ln in self.lines)

    @property
    def ship_incl(self) -> int:
        return self.ship_excl + vat_minor(self.ship_excl, self.vat_rate)

    @property
    def discount_incl(self) -> int:
        return self.discount_excl + vat_minor(self.discount_excl, self.vat_rate)

    @property
    def total(self) -> int:
        return self.goods_incl + self.ship_incl - self.discount_incl

    @property
    def tax(self) -> int:
        return self.total - (self.goods_excl + self.ship_excl - self.discount_excl)

    @property
    def units(self) -> int:
        return sum(ln.quantity for ln in self.lines)

    def status(self, now: datetime) -> int:
        current = self.transitions[0][1]
        for at, code in self.transitions:
            if at <= now:
                current = code
        return current


@dataclass
class InfigoWorld:
    products: dict[int, Product] = field(default_factory=dict)
    customers: list[Customer] = field(default_factory=list)
    customers_by_id: dict[int, Customer] = field(default_factory=dict)
    registered: dict[int, Customer] = field(default_factory=dict)      # person id -> customer
    orders: list[Order] = field(default_factory=list)                    # by OrderDate
    order_times: list[datetime] = field(default_factory=list)
    orders_by_id: dict[int, Order] = field(default_factory=dict)
    lines_by_job: dict[str, tuple[Order, Line]] = field(default_factory=dict)


class InfigoSim(DayByDay, VendorSim):
    name = "infigo"
    api_prefix = "/services/api"
    port_offset = 4
    case_insensitive_paths = True
    people_window = 0.4

    def __init__(self, *args, **kwargs):
        self.product_churn = 1.0
        self.rate_limit_per_window = 50
        self.rate_limit_window_s = 10.0
        self.limiter = RollingWindowLimiter(self.rate_limit_per_window, self.rate_limit_window_s)
        self.w = InfigoWorld()
        super().__init__(*args, **kwargs)
        self._next = {"product": 301, "customer": 2001, "order": 10001, "job": 20001}
        self._tokens = {base64.b64encode(f"{API_TOKEN}:".encode()).decode(),
                        base64.b64encode(API_TOKEN.encode()).decode()}
        #: served with `configure(schema_drift=True)`: see `_drift_order`, `_drift_product`
        self.order_drift = SchemaDrift(self.seed, "infigo/orders",
                                       {"formatted_amount": 0.08, "string_number": 0.12, "unknown_status": 0.06})
        self.product_drift = SchemaDrift(self.seed, "infigo/products",
                                         {"product_formatted_price": 0.15, "product_string_number": 0.25})

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    # --- routes, auth, errors, rate limit ----------------------------------------------
    def register_routes(self) -> None:
        p = self.api_prefix
        self.route("GET", f"{p}/catalog/v2/product", self.list_products)
        self.route("GET", f"{p}/catalog/v2/product/{{product_id}}", self.get_product)
        self.route("GET", f"{p}/catalog/product", self.list_product_ids)
        self.route("GET", f"{p}/customer/v2", self.list_customers)
        self.route("GET", f"{p}/customer/", self.list_customer_ids)
        self.route("GET", f"{p}/customer/{{identifier}}", self.get_customer)
        self.route("GET", f"{p}/order/list/", self.list_order_ids)
        self.route("GET", f"{p}/order/detail/{{order_id}}", self.get_order)
        self.route("GET", f"{p}/orderlineitem/get/{{job_id}}", self.get_line_item)

    def authenticate(self, request: web.Request):
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic" and value.strip() in self._tokens:
            return None
        return self.error(401, "Authorization details are invalid.")

    def error(self, status: int, message: str) -> web.Response:
        texts = {401: "Authorization details are invalid.", 403: "Authorization details are invalid.",
                 429: "Rate limit exceeded. Please try again later.", 500: "Internal server error"}
        return web.Response(text=texts.get(status, message), status=status, content_type="text/plain")

    def problem(self, field_name: str, message: str) -> web.Response:
        """400 `InfigoProblemDetailsV2`, as `/customer/v2` documents for invalid input."""
        return self.json({"Title": "One or more validation errors occurred.", "Status": 400,
                          "Detail": message, "Instance": None, "AttemptedValue": {},
                          "Errors": [{"Message": message, "Field": field_name}]}, status=400)

    def rate_limit(self, request: web.Request):
        decision = self.limiter.hit(API_TOKEN)
        request["rate_limit"] = decision
        if decision.allowed:
            return None
        response = self.error(429, "")
        response.headers["Retry-After"] = str(max(1, math.ceil(decision.reset_s)))
        return response

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        decision = request.get("rate_limit")
        if decision is None:
            return
        response.headers["X-RateLimit-Limit"] = str(decision.limit)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        response.headers["X-RateLimit-Reset"] = iso(self.now() + timedelta(seconds=math.ceil(decision.reset_s)))

    def credentials(self) -> dict:
        return {"api_token": API_TOKEN}

    def configure(self, rate_limit_per_window: int | None = None, rate_limit_window_s: float | None = None,
                  product_churn: float | None = None, schema_drift: bool | None = None) -> dict:
        """Knobs for tests and the demo: the documented rate limit (raise it for speed; the
        source's budget must be raised with it), how fast the catalog changes on days
        generated from now on, and whether orders and products are served with schema drift."""
        if schema_drift is not None:
            self.order_drift.enabled = self.product_drift.enabled = bool(schema_drift)
        if rate_limit_per_window is not None or rate_limit_window_s is not None:
            limit = int(rate_limit_per_window if rate_limit_per_window is not None else self.rate_limit_per_window)
            window = float(rate_limit_window_s if rate_limit_window_s is not None else self.rate_limit_window_s)
            if limit < 1 or window <= 0:
                raise ValueError("rate_limit_per_window must be >= 1 and rate_limit_window_s > 0")
            self.rate_limit_per_window, self.rate_limit_window_s = limit, window
            self.limiter = RollingWindowLimiter(limit, window)
        if product_churn is not None:
            self.product_churn = float(product_churn)
        return {"rate_limit_per_window": self.rate_limit_per_window,
                "rate_limit_window_s": self.rate_limit_window_s, "product_churn": self.product_churn,
                "schema_drift": self.order_drift.enabled}

    # --- world generation --------------------------------------------------------------
    def _new_product(self, r, at: datetime) -> Product:
        base = r.choice(BASE_PRODUCTS)
        pid = self._id("product")
        price = max(1, base[4] + r.choice([-3, 0, 0, 2, 5, 10]))
        return Product(id=pid, base=base, name=f"{base[0]} - {r.choice(VARIANTS)}",
                       sku=f"{base[1]}-{pid}", created_at=at,
                       versions=[(at, price, r.random() < 0.92)])

    def seed_world(self, at: datetime) -> None:
        r = rng(self.seed, self.name, "catalog")
        for _ in range(self.scale.products):
            product = self._new_product(r, at + timedelta(minutes=r.randint(0, 600)))
            self.w.products[product.id] = product

    def _currency_of(self, person: Person) -> str:
        """By country, except some B2B buyers who pay from Nordic or Polish offices."""
        u = unit(self.seed, self.name, "currency", person.id)
        if u < 0.12:
            return ("SEK", "DKK", "PLN", "NOK")[int(u / 0.03)]
        return COUNTRY_CURRENCY.get(person.country, "EUR")

    def _new_customer(self, person: Person, at: datetime, is_guest: bool, r) -> Customer:
        customer = Customer(self._id("customer"), guid(r), person, is_guest, at, self._currency_of(person))
        self.w.customers.append(customer)
        self.w.customers_by_id[customer.id] = customer
        if not is_guest:
            self.w.registered[person.id] = customer
        return customer

    def generate_day(self, day: date) -> None:
        r = rng(self.seed, self.name, "day", day.isoformat())
        start = datetime.combine(day, time(), timezone.utc)

        def at_random() -> datetime:
            return start + timedelta(seconds=r.randint(0, 86399))

        # catalog churn: price edits, (un)publishing, hard deletions, new products
        for product in list(self.w.products.values()):
            if not product.visible(start):
                continue
            roll = r.random() / self.product_churn
            if roll < 0.003:
                product.deleted_at = at_random()
            elif roll < 0.015:
                when = at_random()
                _, price, published = product.version(when)
                if r.random() < 0.8:
                    product.versions.append((when, max(1, price + r.choice([-2, -1, 1, 2, 4])), published))
                else:
                    product.versions.append((when, price, not published))
        for _ in range(poisson(r, 0.004 * max(1, self.scale.products) * self.product_churn)):
            product = self._new_product(r, at_random())
            self.w.products[product.id] = product

        # sign-ups that may never order
        for _ in range(poisson(r, 0.15 * self.scale.orders_per_day)):
            person = self.people.pick(r, self.people_window)
            if person.id not in self.w.registered and not self._shops_as_guest(person):
                self._new_customer(person, at_random(), False, r)

        weekday_factor = (1.1, 1.15, 1.1, 1.1, 1.0, 0.45, 0.35)[day.weekday()]   # B2B: quiet weekends
        times = sorted(at_random() for _ in range(poisson(r, self.scale.orders_per_day * weekday_factor)))
        end = start + timedelta(days=1)
        steady, changing = [], []          # buyable all day / changing today (checked per order)
        for p in self.w.products.values():
            if p.created_at >= end or (p.deleted_at is not None and p.deleted_at < start):
                continue
            if p.created_at <= start and p.deleted_at is None and p.version(start)[2] \
                    and not any(start <= v[0] < end for v in p.versions):
                steady.append(p)
            else:
                changing.append(p)
        for ordered_at in times:
            live = steady + [p for p in changing if p.visible(ordered_at) and p.version(ordered_at)[2]]
            if live:
                self._add_order(r, ordered_at, live)

    def _shops_as_guest(self, person: Person) -> bool:
        return unit(self.seed, self.name, "guest", person.id) < 0.25

    def _add_order(self, r, ordered_at: datetime, live: list[Product]) -> None:
        person = self.people.pick(r, self.people_window)
        basket_at = ordered_at - timedelta(minutes=r.uniform(2, 60))
        if self._shops_as_guest(person):
            customer = self._new_customer(person, basket_at, True, r)
        else:
            customer = self.w.registered.get(person.id) or self._new_customer(person, basket_at, False, r)
        customer.activity.append(ordered_at)
        currency = customer.currency
        fx, shipping_units = CURRENCIES[currency]
        vat_rate = VAT.get(person.country, 20)
        lines = []
        for n, product in enumerate(r.sample(live, min(len(live), 1 + min(3, poisson(r, 0.8)))), 1):
            _, price, _ = product.version(ordered_at)
            unit_excl = max(1, round(price * fx)) * 100
            job = self._id("job")
            base = product.base
            lines.append(Line(f"{JOB_PREFIX[base[2]]}{job}", job, guid(r), product.id, product.name,
                              product.sku, base[2], base[3], base[5],
                              r.choices([1, 2, 3, 5, 10], [55, 20, 12, 9, 4])[0],
                              unit_excl, unit_excl + vat_minor(unit_excl, vat_rate), n, basket_at))
        goods = sum(ln.quantity * ln.unit_excl for ln in lines)
        ship_excl = 0 if r.random() < 0.15 else shipping_units * 100
        discount = (goods // 1000) * 100 if r.random() < 0.08 else 0          # 10 %, whole units

        h = lambda lo, hi: timedelta(hours=r.uniform(lo, hi))  # noqa: E731
        purchase_order = r.random() < 0.3
        paid_at = ordered_at + (h(4, 72) if purchase_order else timedelta(minutes=r.uniform(1, 30)))
        transitions = [(ordered_at, 10)]
        shipped = delivered = cancelled = None
        if r.random() < 0.05:
            cancelled = ordered_at + h(0.5, 30)
            if paid_at < cancelled:
                transitions.append((paid_at, 20))
            else:
                paid_at = None
            transitions.append((cancelled, 50))
        else:
            transitions.append((paid_at, 20))
            shipped = paid_at + h(18, 72) + (timedelta(days=r.uniform(10, 40)) if r.random() < 0.03 else timedelta())
            transitions.append((shipped, 30))
            done = shipped
            if r.random() < 0.5:
                delivered = done = shipped + h(20, 96)
                transitions.append((delivered, 60))
            transitions.append((done + timedelta(days=r.uniform(3, 10)), 40))
        late = r.random() < 0.02
        order = Order(
            id=self._id("order"), guid=guid(r), customer=customer, ordered_at=ordered_at,
            visible_at=ordered_at + h(2, 30) if late else ordered_at, currency=currency,
            vat_rate=vat_rate, lines=lines, ship_excl=ship_excl, discount_excl=discount,
            transitions=transitions, paid_at=paid_at, shipped_at=shipped, delivered_at=delivered,
            cancelled_at=cancelled,
            payment_method="Payments.PurchaseOrder" if purchase_order else "Payments.Stripe",
            tracking=f"JD0146{r.randint(10**13, 10**14 - 1)}",
            ip=f"81.2.{r.randint(0, 255)}.{r.randint(1, 254)}")
        self.w.orders.append(order)
        self.w.order_times.append(ordered_at)
        self.w.orders_by_id[order.id] = order
        for line in lines:
            self.w.lines_by_job[line.job_id.lower()] = (order, line)

    # --- visibility ------------------------------------------------------------------
    def _visible_orders(self, now: datetime) -> list[Order]:
        hi = bisect.bisect_right(self.w.order_times, now)
        return [o for o in self.w.orders[:hi] if o.visible_at <= now]

    def _visible_customers(self, now: datetime) -> list[Customer]:
        return [c for c in self.w.customers if c.created_at <= now]

    # --- JSON -------------------------------------------------------------------------
    def address_json(self, person: Person, address_id: int, billing: bool) -> dict:
        return {"Id": address_id, "FirstName": person.first_name, "LastName": person.last_name,
                "CompanyName": person.company or None, "AddressLine1": person.street, "AddressLine2": None,
                "Town": person.city, "ZipPostalCode": person.postcode, "StateProvince": None,
                "Country": COUNTRY_NAMES[person.country], "Telephone": person.phone, "FaxNumber": None,
                "Email": person.email, "IsUsableAsShippingAddress": True, "IsUsableAsBillingAddress": billing,
                "IsEditableName": True, "IsEditableAddress": True, "IsEditableCompany": True,
                "IsEditableContact": True, "MisConfigurations": []}

    def customer_json(self, c: Customer, now: datetime) -> dict:
        p = c.person
        billing = self.address_json(p, c.id * 2, True)
        shipping = self.address_json(p, c.id * 2 + 1, False)
        named = not c.is_guest
        return {
            "Password": None, "TimeZoneId": "Europe/London" if p.country == "GB" else "Europe/Berlin",
            "IsTaxExempt": p.country == "US", "AffiliateId": None, "PrintLocationId": "2",
            "PrintLocationName": "Manchester Print Hub", "AdditionalAttributes": [],
            "PromotionCardNumber": None, "PromotionCardPoints": None,
            "BillingAddress": billing, "ShippingAddress": shipping,
            "WorkflowTrustLevelEnabled": False, "WorkflowTrustLevel": None, "Approvers": [],
            "BudgetManagers": [], "AdminContent": None, "LastIpAddress": None, "LastVisitedPage": None,
            "MisConfigurations": [], "LoginMessage": None, "ApplyDefaultStyling": True, "NotifyMis": False,
            "CustomCheckbox": None, "RewardPointsBalance": 0 if named else None,
            "Addresses": [billing, shipping],
            "Id": c.id, "Guid": c.guid,
            "Username": p.email if named else None, "Email": p.email if named else None,
            "Active": True, "Status": 1,
            "Title": (p.title or None) if named else None, "Gender": None,
            "FullName": p.full_name if named else None,
            "FirstName": p.first_name if named else None, "LastName": p.last_name if named else None,
            "DateOfBirth": None, "Custom1": None, "Custom2": None, "Custom3": None, "IsAdmin": False,
            "CustomerRoles": ["Guests"] if c.is_guest else ["Registered"],
            "Department": None, "VatNumber": None, "VatNumberStatus": None,
            "CompanyName": (p.company or None) if named else None,
            "AddressLine1": p.street if named else None, "AddressLine2": None,
            "City": p.city if named else None, "ZipPostalCode": p.postcode if named else None,
            "StateProvince": None, "Country": COUNTRY_NAMES[p.country] if named else None,
            "Phone": p.phone if named else None, "Fax": None,
            "CreatedOn": iso(c.created_at), "LastActivityDate": iso(c.last_activity(now)),
        }

    def product_json(self, p: Product, now: datetime) -> dict:
        _, price, published = p.version(now)
        name, prefix, line_type, tag, _, group = p.base
        data = {
            "Description": f"<p>{p.name}, printed and dispatched by our Manchester hub.</p>",
            "AdminComment": None, "CategoryIds": [group], "AvailableStartDateTimeUtc": None,
            "AvailableEndDateTimeUtc": None, "SkipProductDetails": False, "DefaultBasketQuantity": 1,
            "MinimumBasketQuantity": 1, "MaximumBasketQuantity": 0, "HasQuantityBasedPricing": False,
            "ShowOrderlineTotal": True, "TierPrices": [], "ProductGroupId": group,
            "SpecificationAttributes": [], "Variables": [],
            "PricingScript": {"Id": 0, "Name": None, "Config": []},
            "Id": p.id, "Name": p.name, "LongDescription": None,
            "Type": line_type, "Price": price, "StockValue": 0, "Sku": p.sku, "OrderPackQuantity": 1,
            "QuantitySelectorMode": 1, "PreviewUrls": [f"https://print.example.com/CF/FileCache/Get/{p.id}?name=preview"],
            "ThumbnailUrls": [f"https://print.example.com/CF/FileCache/Get/{p.id}?name=thumb"],
            "Tags": [tag], "IsShippingEnabled": True, "ProductAttributes": [], "AttributeCombinations": [],
            "MisConfigurations": [], "ManageInventoryMethod": 0, "DisplayStockAvailability": False,
            "DisplayStockQuantity": False, "MinStockQuantity": 0, "LowStockActivity": 0,
            "NotifyAdminForQuantityBelow": 1, "BackorderMode": 0, "AllowBackInStockSubscriptions": False,
            "OldPrice": 0, "ProductCost": max(1, price // 3), "SpecialPrice": None,
            "SpecialPriceStartDateTimeUtc": None, "SpecialPriceEndDateTimeUtc": None, "CallForPrice": False,
            "CustomerEntersPrice": False, "MinimumCustomerEnteredPrice": 0, "MaximumCustomerEnteredPrice": 0,
            "DisableBuyButton": False, "DisableWishlistButton": True, "RequiresQuote": False,
            "IsFreeShipping": False, "AdditionalShippingCharge": 0, "AdditionalShippingChargeType": 0,
            "Weight": 1, "Length": 30, "Width": 21, "Height": 2, "UseMultiTierSpread": False,
            "UseInterpolationForTierPricing": False, "ShareTiersOnCart": 0, "IsTaxExempt": False,
            "TaxCategoryIds": [1], "DisplayOrder": p.id, "EnableDeliveryCountdown": False, "IsDownload": False,
            "UnlimitedDownloads": False, "MaxNumberOfDownloads": 0, "DownloadExpirationDays": None,
            "DownloadActivationType": 1, "HasSampleDownload": False, "HasUserAgreement": False,
            "UserAgreementText": None, "IsRecurring": False, "RecurringCycleLength": 0,
            "RecurringCyclePeriod": 0, "RecurringTotalCycles": 0, "IsGiftCard": False, "GiftCardType": 0,
            "IsPrepayProduct": None, "PrepayAmount": None, "Published": published, "ShowOnHomePage": False,
            "HomePageProductOrder": None, "ShowProductInSearch": True,
            "AllowToUseProductWhereNotSearchable": False, "AllowCustomerReviews": False,
            "RequestPriceOnLandingPage": False, "RequiresApproval": False, "AdditionalDescription": None,
            "AdditionalTabText": None, "TeaserDetails": "Dispatched next working day for orders placed before 2pm.",
            "EmbedVideoCode": None, "Preview360": None,
        }
        return self._drift_product(data, self.product_drift.kind(p.id)) if self.product_drift.enabled else data

    @staticmethod
    def _drift_product(data: dict, kind: str | None) -> dict:
        """Some products send their integer `Price` as a numeric string (readable) or as a
        formatted amount with its currency (unreadable)."""
        if kind == "product_string_number":
            data["Price"] = str(data["Price"])
        elif kind == "product_formatted_price":
            data["Price"] = f"{data['Price']:.2f} {STORE_CURRENCY}"
        return data

    def order_json(self, o: Order, now: datetime) -> dict:
        status = o.status(now)
        c, p = o.customer, o.customer.person
        shipped = o.shipped_at if o.shipped_at and o.shipped_at <= now else None
        delivered = o.delivered_at if o.delivered_at and o.delivered_at <= now else None
        paid = o.paid_at is not None and o.paid_at <= now
        cancelled = status == 50
        order_state = {10: 10, 20: 20, 30: 20, 60: 20, 40: 30, 50: 40}[status]
        shipping_state = 40 if delivered else 30 if shipped else 20
        payment_state = (40 if paid else 50) if cancelled else 30 if paid else 10
        tax = units(o.tax)
        data = {
            "Id": o.id, "OrderGuid": o.guid, "CustomerId": c.id, "CustomerEmail": p.email,
            "CustomerUserName": None if c.is_guest else p.email, "UserIdentifier": c.guid,
            "CustomerLanguageId": 1, "CustomerIp": o.ip, "OrderLineItems": [ln.job_id for ln in o.lines],
            "DepartmentId": None, "Status": status,
            "BillingAddress": self.address_json(p, c.id * 2, True),
            "ShippingAddress": self.address_json(p, c.id * 2 + 1, False),
            "ShippingType": "Standard Delivery", "CustomerCurrencyCode": o.currency,
            "ShippingCost": units(o.ship_incl), "Tax": tax, "OrderTotal": units(o.total),
            "PurchaseOrderNumber": f"PO-{o.id}" if o.payment_method == "Payments.PurchaseOrder" else None,
            "OrderDate": iso(o.ordered_at), "BudgetUsed": 0,
            "CustomTags": {"CustomTag1": None, "CustomTag2": None, "CustomTag3": None, "CustomTag4": None},
            "CustomData1": None, "TrackingNumber": o.tracking if shipped else None,
            "OrderState": order_state, "ShippingState": shipping_state, "PaymentState": payment_state,
            "MisConfigurations": [], "CheckoutAttributes": [], "Data": [],
            "CurrencyRate": max(1, round(CURRENCIES[o.currency][0])), "VatNumber": None,
            "OrderSubtotalInclTax": units(o.goods_incl), "OrderSubtotalExclTax": units(o.goods_excl),
            "OrderSubTotalDiscountInclTax": units(o.discount_incl),
            "OrderSubTotalDiscountExclTax": units(o.discount_excl),
            "DiscountCodes": ["WELCOME10"] if o.discount_excl else [],
            "TaxRates": f"{o.vat_rate}:{tax};",
            "TaxRatesList": [{"Rate": o.vat_rate, "TaxCategoryId": 1, "TaxCategoryName": "Standard rate",
                              "Value": tax}],
            "OrderTax": tax, "OrderDiscount": 0,
            "RefundedAmount": units(o.total) if cancelled and paid else 0,
            "OrderWeight": o.units, "RewardPointsWereAdded": False, "AffiliateId": None,
            "PaymentMethodSystemName": o.payment_method, "PaymentMethodAdditionalFeeInclTax": 0,
            "PaymentMethodAdditionalFeeExclTax": 0,
            "AuthorizationTransactionId": None, "AuthorizationTransactionCode": None,
            "AuthorizationTransactionResult": None,
            "CaptureTransactionId": f"ch_{o.guid[:18]}" if paid and o.payment_method == "Payments.Stripe" else None,
            "CaptureTransactionResult": None, "SubscriptionTransactionId": None,
            "ActualShippingMethod": "Standard Delivery", "ShippingMethodSystemName": "Shipping.FixedRate",
            "ShippingMethodCode": "STD", "ShippingRateComputationMethodSystemName": "Shipping.FixedRate",
            "OrderShippingInclTax": units(o.ship_incl), "OrderShippingExclTax": units(o.ship_excl),
            "ShippingTaxRate": o.vat_rate, "ShippedDateUtc": iso(shipped), "DeliveryDateUtc": iso(delivered),
            "DispatchBy": iso(o.ordered_at + timedelta(days=3)), "DeliverBy": iso(o.ordered_at + timedelta(days=6)),
            "OrderProcessingFeeExclTax": 0, "OrderProcessingFeeInclTax": 0,
            "OrderLineHandlingFeeExclTax": 0, "OrderLineHandlingFeeInclTax": 0,
            "ProductHandlingFeeExclTax": 0, "ProductHandlingFeeInclTax": 0,
        }
        return self._drift_order(data, self.order_drift.kind(o.id)) if self.order_drift.enabled else data

    @staticmethod
    def _drift_order(data: dict, kind: str | None) -> dict:
        """Every order gains a field the document does not know; some send their integer
        amounts as numeric strings (readable), `OrderTotal` as a formatted amount with its
        currency (unreadable), or a `Status` code outside the document's enum."""
        data["SalesChannel"] = "Storefront B2B"
        if kind == "string_number":
            for name in ("ShippingCost", "Tax", "OrderTotal", "OrderTax", "OrderSubtotalExclTax"):
                data[name] = str(data[name])
        elif kind == "formatted_amount":
            data["OrderTotal"] = f"{data['OrderTotal']:.2f} {data['CustomerCurrencyCode']}"
        elif kind == "unknown_status":
            data["Status"] = 70
        return data

    @staticmethod
    def line_history(o: Order, line: Line) -> list[tuple[datetime, int, str | None]]:
        """Every status the line goes through, planned from its order's lifecycle."""
        events = [(line.created_at, IN_BASKET, None), (o.ordered_at, ORDERED, None),
                  (o.ordered_at + timedelta(minutes=2), OUTPUT_CREATED, None)]
        if o.cancelled_at is not None:
            return events + [(o.cancelled_at, CANCELLED, None)]
        production = o.paid_at + timedelta(hours=1)
        events.append((production, IN_PRODUCTION, "Press 2"))
        events.append((max(production, o.shipped_at - timedelta(hours=2)), PRINTED, None))
        events.append((o.shipped_at, SHIPPED, f"DPD {o.tracking}"))
        return events

    def line_json(self, o: Order, line: Line, now: datetime) -> dict:
        history = [e for e in self.line_history(o, line) if e[0] <= now]
        status = history[-1][1]
        subtotal_excl, subtotal_incl = line.quantity * line.unit_excl, line.quantity * line.unit_incl
        c = o.customer
        return {
            "Id": line.job_id, "OrderId": o.id, "OpvId": line.opv_id, "OrderLineItemGuid": line.guid,
            "ProductId": line.product_id, "CustomerId": c.id, "Name": line.name,
            "CreatedOnUtc": iso(line.created_at), "Status": status, "IsCancelled": status == CANCELLED,
            "Type": line.type, "DownloadCount": 1 if status in (PRINTED, SHIPPED) else 0,
            "PreviewUrls": [f"https://print.example.com/CF/FileCache/Get/{line.guid}?name={line.job_id}-preview"],
            "ThumbnailUrls": [f"https://print.example.com/CF/FileCache/Get/{line.guid}?name={line.job_id}-thumb"],
            "Tags": [line.tag], "Price": units(subtotal_incl), "Quantity": line.quantity,
            "ShippedQuantity": line.quantity if status == SHIPPED else 0, "Notes": None, "CustomName": None,
            "Sku": line.sku, "UnitPriceInclTax": units(line.unit_incl), "UnitPriceExclTax": units(line.unit_excl),
            "SubTotalPriceInclTax": units(subtotal_incl), "SubTotalPriceExclTax": units(subtotal_excl),
            "DiscountAmountInclTax": 0, "DiscountAmountExclTax": 0,
            "Quote": {"Id": 0, "CustomReference": None},
            "CustomTags": {"CustomTag1": None, "CustomTag2": None, "CustomTag3": None, "CustomTag4": None},
            "CustomData1": None,
            "History": [{"Status": code, "Timestamp": iso(at), "Info": info} for at, code, info in history],
            "Group": {"Id": line.group, "Name": GROUP_NAMES[line.group], "Description": None},
            "MisConfigurations": [], "ProductAttributes": [], "DeliveryType": ["print"],
            "LineNumber": line.line_number, "Variables": [], "AssetDetails": [], "GenericJobFiles": [],
        }

    # --- query parsing ----------------------------------------------------------------
    @staticmethod
    def _query(request: web.Request) -> dict[str, list[str]]:
        """Query parameters by lower-case name (ASP.NET binds them case-insensitively)."""
        out: dict[str, list[str]] = {}
        for key, value in request.query.items():
            out.setdefault(key.lower(), []).append(value)
        return out

    @staticmethod
    def _int(q: dict, name: str, default: int | None) -> int | None:
        values = q.get(name.lower())
        if not values or values[0] == "":
            return default
        return int(values[0])          # ValueError -> the caller's 400

    @staticmethod
    def _bool(q: dict, name: str) -> bool | None:
        values = q.get(name.lower())
        if not values or values[0] == "":
            return None
        if values[0].lower() not in ("true", "false"):
            raise ValueError(name)
        return values[0].lower() == "true"

    @staticmethod
    def _when(q: dict, name: str) -> datetime | None:
        values = q.get(name.lower())
        if not values or values[0] == "":
            return None
        text = values[0].strip().replace(" ", "+")       # a '+' offset sent unencoded reads as a space
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    @staticmethod
    def _page(items: list, page_index: int, per_page: int) -> list:
        if per_page <= 0:
            return items if page_index == 0 else []
        return items[page_index * per_page:(page_index + 1) * per_page]

    # --- handlers ------------------------------------------------------------------------
    def list_products(self, request: web.Request) -> web.Response:
        q = self._query(request)
        try:
            page_index, per_page = self._int(q, "PageIndex", 0), self._int(q, "PerPage", 0)
            category, published = self._int(q, "CategoryId", None), self._bool(q, "Published")
        except ValueError:
            return self.error(400, "The request is invalid.")
        now = self.now()
        items = [p for p in sorted(self.w.products.values(), key=lambda p: p.id) if p.visible(now)
                 and (category is None or p.base[5] == category)
                 and (published is None or p.version(now)[2] == published)]
        page = self.page_items(request, self._page(items, max(0, page_index), per_page))
        return self.json([self.product_json(p, now) for p in page])

    def get_product(self, request: web.Request, product_id: str) -> web.Response:
        p = self.w.products.get(int(product_id)) if product_id.isdigit() else None
        if p is None or not p.visible(self.now()):
            return self.error(404, "No product was found by supplied product id")
        return self.json(self.product_json(p, self.now()))

    def list_product_ids(self, request: web.Request) -> web.Response:
        q = self._query(request)
        try:
            category, group = self._int(q, "id", None), self._int(q, "groupId", None)
        except ValueError:
            return self.error(400, "The request is invalid.")
        if category is not None and category not in GROUP_NAMES:
            return self.error(404, "No category was found by supplied Category identifier")
        now = self.now()
        wanted = category if category is not None else group
        return self.json(sorted(p.id for p in self.w.products.values()
                                if p.visible(now) and (wanted is None or p.base[5] == wanted)))

    def list_customers(self, request: web.Request) -> web.Response:
        q = self._query(request)
        for name in ("PageIndex", "PerPage"):
            raw = (q.get(name.lower()) or [""])[0]
            if not raw.lstrip("-").isdigit():
                return self.problem(name, f"The value '{raw}' is not valid for {name}." if raw
                                    else f"The {name} field is required.")
        page_index, per_page = int(q["pageindex"][0]), int(q["perpage"][0])
        try:
            created_from, created_to = self._when(q, "CreatedFrom"), self._when(q, "CreatedTo")
            active_from, active_to = self._when(q, "LastActivityFrom"), self._when(q, "LastActivityTo")
        except ValueError as exc:
            return self.problem("date", f"Invalid date-time: {exc}")
        roles = {r.lower() for r in q.get("role", []) if r} or {"registered"}
        statuses = set(q.get("status", []))
        order_by = (q.get("orderby") or ["0"])[0]
        direction = (q.get("orderdirection") or ["0"])[0]
        sort_keys = {"0": "id", "id": "id", "1": "first", "firstname": "first", "2": "last",
                     "lastname": "last", "3": "email", "email": "email"}
        if order_by.lower() not in sort_keys or direction.lower() not in ("0", "1", "asc", "desc"):
            return self.problem("OrderBy", "Invalid sort column or direction.")
        now = self.now()
        chosen = []
        for c in self._visible_customers(now):
            role = "guests" if c.is_guest else "registered"
            last, created = as_served(c.last_activity(now)), as_served(c.created_at)
            if role not in roles or (statuses and "1" not in statuses and "Active" not in statuses):
                continue
            if (created_from and created < created_from) or (created_to and created > created_to):
                continue
            if (active_from and last < active_from) or (active_to and last > active_to):
                continue
            chosen.append(c)
        key = sort_keys[order_by.lower()]
        if key != "id":
            chosen.sort(key=lambda c: (getattr(c.person, {"first": "first_name", "last": "last_name",
                                                           "email": "email"}[key]) if not c.is_guest else "", c.id))
        if direction.lower() in ("1", "desc"):
            chosen.reverse()
        total = len(chosen)
        pages = 1 if per_page <= 0 else max(1, -(-total // per_page))
        page = self.page_items(request, self._page(chosen, max(0, page_index), per_page))
        return self.json({"Data": [self.customer_json(c, now) for c in page],
                          "PerPage": per_page if per_page > 0 else total, "PageIndex": page_index,
                          "TotalCount": total, "TotalPages": pages})

    def list_customer_ids(self, request: web.Request) -> web.Response:
        return self.json([c.id for c in self._visible_customers(self.now())])

    def get_customer(self, request: web.Request, identifier: str) -> web.Response:
        """The document's customer identifier: numeric Id, GUID, username or e-mail."""
        now = self.now()
        text = identifier.strip().lower()
        found = None
        for c in self._visible_customers(now):
            if (text.isdigit() and c.id == int(text)) or c.guid == text \
                    or (not c.is_guest and c.person.email.lower() == text):
                found = c
                break
        if found is None:
            return self.error(404, "Customer not found")
        return self.json(self.customer_json(found, now))

    def list_order_ids(self, request: web.Request) -> web.Response:
        q = self._query(request)
        try:
            after, before = self._when(q, "orderedAfter"), self._when(q, "orderedBefore")
            status = self._int(q, "filterByStatus", None)
        except ValueError:
            return self.error(400, "The request is invalid.")
        if status is not None and status not in ORDER_STATUS:
            return self.error(400, f"'{status}' is not a valid order status.")
        now = self.now()
        orders = self._visible_orders(now)
        if after is not None:
            orders = orders[bisect.bisect_right([o.ordered_at for o in orders], after):]
        if before is not None:
            orders = [o for o in orders if o.ordered_at < before]
        if status == 10:
            orders = [o for o in orders if o.status(now) not in OPEN_FILTER_EXCLUDES]
        elif status is not None:
            orders = [o for o in orders if o.status(now) == status]
        return self.json([o.id for o in orders])

    def get_order(self, request: web.Request, order_id: str) -> web.Response:
        o = self.w.orders_by_id.get(int(order_id)) if order_id.isdigit() else None
        if o is None or o.visible_at > self.now():
            return self.error(404, "Indicates that the order with the provided ID could not be located in the system.")
        return self.json(self.order_json(o, self.now()))

    def get_line_item(self, request: web.Request, job_id: str) -> web.Response:
        found = self.w.lines_by_job.get(job_id.lower())
        if found is None or found[0].visible_at > self.now():
            return self.error(404, "Orderline by provided id was not found")
        return self.json(self.line_json(found[0], found[1], self.now()))

    # --- ground truth --------------------------------------------------------------------
    def truth(self) -> dict:
        now = self.now()
        orders = self._visible_orders(now)
        docs = [TruthDocument(str(o.id), o.ordered_at, o.currency, o.total, o.units, False,
                              o.status(now) != 50, str(o.customer.id), str(o.status(now)))
                for o in orders]
        made = [p for p in self.w.products.values() if p.created_at <= now]
        return truth_payload(
            self.name, now, docs,
            customers=len(self._visible_customers(now)),
            products_active=[p.id for p in made if p.visible(now)],
            products_deleted=[p.id for p in made if not p.visible(now)],
            lines=sum(len(o.lines) for o in orders),
            guests={"count": sum(1 for c in self._visible_customers(now) if c.is_guest)},
            open_orders={"ids": sorted(o.id for o in orders if o.status(now) not in OPEN_FILTER_EXCLUDES)},
            drift={**{kind: [str(i) for i in ids] for kind, ids in self.order_drift.report(o.id for o in orders).items()},
                   **self.product_drift.report(p.id for p in made if p.visible(now))},
        )
