"""Yodify API simulator (B2B commerce), from the Yodify API reference (OAuth2 scope `yodify`).

Served: `GET` lists and by-id reads of Products, SKUs, Brands, Orders, Shipments (also per
order, `/orders/{orderId}/shipments` and `/orders/{orderId}/shipments/{id}`), Carriers (the
ones shipments name), Accounts and AccountUsers, and the token endpoint. The document's other
operations (writes, quotes, discounts, addresses, search) are not simulated: the sync never
calls them.

Readings taken where the document is silent, each one a choice
the source must survive, not rely on:
- Auth: OAuth2 client credentials at `POST /connect/token` (outside `/api/v1`; the document
  lost its flow and token URL, the IdentityServer convention is taken): form fields
  `grant_type=client_credentials`, `client_id`, `client_secret` (or HTTP Basic), `scope`
  (default `yodify`). Answers `{access_token, token_type: "Bearer", expires_in, scope}`;
  bad client credentials get 400 `{"error": "invalid_client"}` (RFC 6749 5.2). Tokens expire
  after `expires_in` seconds of the *simulated* clock. A missing, unknown or expired bearer
  gets 401 with a `ValidationProblemDetails` body; a token without the `yodify` scope 403
  with no body.
- Routes and query keys are case-insensitive (ASP.NET). Array parameters (`Ids`, `Expand`,
  `Statuses`) take repeated keys and comma-separated values.
- Lists: ascending `id`; `Page` is 1-based (default 1, `Page < 1` is a 400); `Limit`
  defaults to 100 and outside 1..100 is a 400 (`errors.Limit`). `Products`, `Orders`,
  `Brands`, `Carriers` and `Shipments` answer bare JSON arrays (the document's `Inline [T]`), every
  other list the envelope `{object: "list", data, has_more, total_items, url, count}`;
  `configure(envelope_everywhere=True)` serves the envelope on all of them (the real service
  may well do that). A page past the end is empty.
- Filters, each only where documented: `Ids`, `SinceId` (strictly greater ids),
  `CreatedOnMin`/`CreatedOnMax` (inclusive; orders filter on `ordered_date`, the only
  creation time an order has), `Statuses`, `BrandId`. `CreatedOnMin > CreatedOnMax` and
  unparsable values are 400s naming the parameter. Unknown parameters are ignored.
- `Expand`: intrinsic children (order items, customer, addresses, shipments; shipment items
  and trackings; account user_accounts) always come; referenced entities (`brand`,
  `product`, `sku`, `account`, `discount_level`, ...) are `null` unless expanded (dotted
  paths for nested ones: `items.sku`). `*_id` scalars are always present.
- Unknown ids (`/Orders/{id}` and friends) are 400 ValidationProblemDetails (the document
  lists no 404; its problem type covers "a record not being found"). Unknown routes 404.
- 429 "API call quota exceeded" has no body and no headers (the document gives neither);
  the quota is off unless `configure(quota=N, quota_window_s=S)` sets N requests per S
  seconds per token.
- Money: integer minor units inside, `number (double)` with two decimals outside. The store
  (seller) currency is EUR; the customer's currency follows the billing country (EUR, CHF,
  GBP, USD). `exchange_rate` is store currency per unit of customer currency (the
  document's CAD/USD example: seller = customer x 0.75). Line prices are the final prices
  (discount level applied); seller prices come from the SKU, customer prices are
  `round(seller / exchange_rate)` per unit. In each currency on its own:
  `subtotal = sum(quantity x price_per_unit)`, `tax = round(subtotal x tax_rate)`,
  `total = subtotal + freight + tax`; `discount` (what the discount level saved) is already
  inside the prices, and `transaction_fee` (card fee borne by the seller) is not in `total`,
  as in the document's example.
- The marts' reading (shared with the source): an order's document currency is the
  customer's `currency_code` and its `total` what the customer pays; seller amounts are
  extra columns. Cancelled and Refunded orders never count as sales.
- Statuses move over time: New (-> Received) (-> StockConfirmed | StockPartiallyConfirmed)
  -> Processing -> (PartiallyShipped ->) Shipped -> Complete, pickups via
  (PartiallyReadyForPickup ->) ReadyForPickup -> Complete, cancellations before shipping,
  and late refunds after completion (Complete -> RefundRequested -> Refunded |
  RefundRejected, or Complete -> Refunded), at most `LATE_CHANGE_DAYS` after the order.
- Customers: an order's `customer_id` is the buyer's GUID: an AccountUser's id (`customer`
  carries the account) or a guest's (`account_id: null`, not an AccountUser). Account users
  are hard-deleted now and then; their orders keep the GUID.
- Catalog: SKUs belong to products (`store_product_id`); SKU edits (price, sale, inventory)
  move `modified_on`; SKUs and products are hard-deleted (a deleted product takes its SKUs
  along). A few orders arrive late (entered days after `ordered_date`): their ids are new.
"""
from __future__ import annotations

import base64
import bisect
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl

from aiohttp import web

from ..base import DayByDay, VendorSim
from ..drift import SchemaDrift
from ..people import Person
from ..ratelimit import RollingWindowLimiter
from ..rng import poisson, rng, unit
from ..truth import TruthDocument, money, truth_payload

CLIENT_ID = "sbx-yodify-integration"
CLIENT_SECRET = "sbx-yodify-" + "c4e1a97b3f0d5268" * 4
TOKEN_PATH = "/connect/token"
SCOPE = "yodify"
STORE_CURRENCY = "EUR"
#: the store's own country (its domestic shipping zone)
STORE_COUNTRY = "DE"
CURRENCY_OF_COUNTRY = {"DE": "EUR", "AT": "EUR", "FR": "EUR", "NL": "EUR", "CH": "CHF", "GB": "GBP",
                       "US": "USD"}
#: store currency (EUR) per unit of customer currency, before the daily drift
BASE_RATES = {"EUR": Decimal(1), "CHF": Decimal("1.05"), "GBP": Decimal("1.17"), "USD": Decimal("0.92")}
TAX_RATES = {"DE": Decimal("0.19"), "AT": Decimal("0.20"), "FR": Decimal("0.20"), "NL": Decimal("0.21"),
             "CH": Decimal("0.081"), "GB": Decimal("0.20"), "US": Decimal("0")}
SUFFIX = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SARL", "NL": "B.V.", "GB": "Ltd", "US": "LLC"}
ORDER_STATUSES = ("New", "Processing", "Shipped", "PartiallyShipped", "Complete", "Cancelled", "Received",
                  "RefundRequested", "Refunded", "RefundRejected", "StockConfirmed",
                  "StockPartiallyConfirmed", "ReadyForPickup", "PartiallyReadyForPickup")
SHIPMENT_STATUSES = ("New", "Pending", "InfoReceived", "InTransit", "OutForDelivery", "AttemptFail",
                     "Delivered", "AvailableForPickup", "Exception", "Expired", "ReturnToSender",
                     "PickedUp", "Unknown")
NOT_A_SALE = ("Cancelled", "Refunded")
#: refunds reach a completed order at most this long after it was placed
LATE_CHANGE_DAYS = 35
DISCOUNT_LEVELS = [(11, "PRICELEVEL-0", 0), (12, "PRICELEVEL-1", 5), (13, "PRICELEVEL-2", 10),
                   (14, "PRICELEVEL-3", 15)]
PAYMENT_TERMS = ["NET30", "NET30", "NET60", "NET15", "CreditCard", "DueOnReceipt", "TwoTenNET30"]
CUSTOMER_TYPES = ["Contractor", "Reseller", "End User", "Distributor"]
INDUSTRIES = ["Oil & Gas", "Construction", "Facilities", "Manufacturing", "Agriculture", "Utilities"]
TITLES = ["Purchasing Manager", "Maintenance Manager", "Buyer", "Operations Lead", "Site Engineer"]
DEPARTMENTS = ["Purchasing", "Operations", "Maintenance", "Facilities", "Engineering"]
CARRIERS = [("DHL", "https://www.dhl.com/track?id="), ("UPS", "https://www.ups.com/track?tracknum="),
            ("FedEx", "https://www.fedex.com/fedextrack/?trknbr=")]
BRAND_NAMES = ["Northfield Thermal", "Kessler Industrietechnik", "Alpenstahl", "Brightline Safety",
               "Vossberg Tools", "Hafenwerk Marine", "Lumen Fieldlights", "Gruber Hydraulik",
               "Atlas Fasteners", "Polaris Pumps", "Rheintal Armaturen", "Stadtwerk Electrics",
               "Nordkap Outdoor", "Merkur Messtechnik", "Falke Filtration", "Triton Valves",
               "Eichwald Workwear", "Orion Compressors", "Sturmfest Roofing", "Kobalt Welding"]
PRODUCT_KINDS = [  # name, short name, unit price range in cents, unit of measure
    ("Explosion-Proof Catalytic Heater", "Heater", (45000, 180000), "EACH"),
    ("Industrial Safety Gloves", "Gloves", (900, 4500), "PAIR"),
    ("Stainless Ball Valve", "Ball Valve", (2500, 39000), "EACH"),
    ("LED Work Light", "Work Light", (4900, 29000), "EACH"),
    ("Hydraulic Hose Assembly", "Hose", (1900, 14900), "EACH"),
    ("Hex Bolt Assortment", "Bolts", (1200, 8900), "BOX"),
    ("Submersible Drainage Pump", "Pump", (18900, 99000), "EACH"),
    ("High-Visibility Work Jacket", "Jacket", (3900, 15900), "EACH"),
    ("Digital Pressure Gauge", "Gauge", (6900, 49000), "EACH"),
    ("Welding Wire Spool", "Wire", (2900, 12900), "SPOOL"),
]
VARIANTS = ["Standard", "Heavy Duty", "Compact", "XL", "120 V", "240 V", "Stainless", "Galvanised"]
#: list -> bare JSON array in the document (`Inline [T]`); everything else is enveloped
BARE_LISTS = frozenset({"Products", "Orders", "Brands", "Shipments", "Carriers"})
CENT = Decimal(1)


def stamp(ts: datetime | None) -> str | None:
    """The document's majority form: `2020-12-01T08:00:00.000Z`."""
    if ts is None:
        return None
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def major(minor: int) -> float:
    """Minor units -> the JSON number the document types as `number (double)`."""
    return float(money(minor))


def half_up(value: Decimal) -> int:
    return int(value.quantize(CENT, rounding=ROUND_HALF_UP))


def to_customer(seller_minor: int, rate: Decimal) -> int:
    """A store-currency amount in the customer's currency (`rate` = store per customer unit)."""
    return half_up(Decimal(seller_minor) / rate)


def guid(r) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def visible(created: datetime, deleted: datetime | None, now: datetime) -> bool:
    return created <= now and (deleted is None or now < deleted)


# --- the world ------------------------------------------------------------------------
@dataclass(slots=True)
class Brand:
    id: int
    name: str
    alias: str
    created_on: datetime


@dataclass(slots=True)
class Product:
    id: int
    library_product_id: int
    name: str
    short_name: str
    brand_id: int
    kind: tuple
    created_on: datetime
    deleted_at: datetime | None = None


@dataclass(slots=True)
class SkuVersion:
    at: datetime                  # = modified_on
    list_minor: int
    sale_minor: int | None        # on sale when set
    inventory: int


@dataclass(slots=True)
class Sku:
    id: int
    product: Product
    sku_identifier: str
    mpn: str
    variant: str
    created_on: datetime
    versions: list[SkuVersion]
    deleted_at: datetime | None = None

    def version(self, now: datetime) -> SkuVersion:
        current = self.versions[0]
        for v in self.versions:
            if v.at <= now:
                current = v
        return current

    def price(self, now: datetime) -> int:
        v = self.version(now)
        return v.sale_minor if v.sale_minor is not None else v.list_minor


@dataclass(slots=True)
class Account:
    id: int
    name: str
    number: str
    founder: Person
    discount_level: tuple
    payment_terms: str
    customer_type: str
    industry: str
    created_on: datetime
    members: list[User] = field(default_factory=list)


@dataclass(slots=True)
class User:
    """An AccountUser, or a guest buyer (`account` None) who exists only on orders."""
    id: str
    person: Person
    account: Account | None
    created_on: datetime
    salutation: str
    title: str
    department: str
    deleted_at: datetime | None = None

    @property
    def country(self) -> str:
        return self.account.founder.country if self.account else self.person.country


@dataclass(slots=True)
class Item:
    id: int
    sku: Sku
    quantity: int
    seller_unit: int
    unit: int                     # customer currency


@dataclass(slots=True)
class Shipment:
    id: int
    order_id: int
    shipment_type: str
    carrier: str
    tracking_number: str
    lines: list[tuple[int, int, int, int]]      # (shipment item id, order item id, sku id, qty)
    statuses: list[tuple[datetime, str]]        # first entry = creation

    @property
    def created_on(self) -> datetime:
        return self.statuses[0][0]

    def status(self, now: datetime) -> str:
        return [s for t, s in self.statuses if t <= now][-1]


@dataclass(slots=True)
class Order:
    id: int
    number: str
    cart_id: int
    buyer: User
    ordered_date: datetime
    arrived_at: datetime          # when it appears in the API (late entries: days later)
    currency: str
    rate: Decimal
    items: list[Item]
    transitions: list[tuple[datetime, str]]
    shipments: list[Shipment]
    payment_method: str
    shipping_method: str
    tax_rate: Decimal
    purchase_order: str | None
    freight: tuple[int, int] = (0, 0)           # (customer, seller) minor units
    discount: tuple[int, int] = (0, 0)
    fee: tuple[int, int] = (0, 0)

    def status(self, now: datetime) -> str:
        current = self.transitions[0][1]
        for t, s in self.transitions:
            if t <= now:
                current = s
        return current

    @property
    def units(self) -> int:
        return sum(i.quantity for i in self.items)

    def subtotal(self, seller: bool = False) -> int:
        return sum(i.quantity * (i.seller_unit if seller else i.unit) for i in self.items)

    def tax(self, seller: bool = False) -> int:
        return half_up(Decimal(self.subtotal(seller)) * self.tax_rate)

    def total(self, seller: bool = False) -> int:
        return self.subtotal(seller) + self.freight[seller] + self.tax(seller)


@dataclass
class YodifyWorld:
    brands: list[Brand] = field(default_factory=list)
    products: dict[int, Product] = field(default_factory=dict)
    skus: dict[int, Sku] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    accounts_by_country: dict[str, list[Account]] = field(default_factory=dict)
    account_names: set[str] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)          # account users and guests
    members: list[User] = field(default_factory=list)             # account users, ever
    identity: dict[int, User] = field(default_factory=dict)       # person id -> current identity
    orders: list[Order] = field(default_factory=list)             # ascending id = arrival order
    arrivals: list[datetime] = field(default_factory=list)
    by_id: dict[int, Order] = field(default_factory=dict)


@dataclass(slots=True)
class Grant:
    expires_at: datetime
    scopes: frozenset[str]


class YodifySim(DayByDay, VendorSim):
    name = "yodify"
    api_prefix = "/api/v1"
    port_offset = 2
    case_insensitive_paths = True
    people_window = 0.15

    def __init__(self, *args, **kwargs):
        self.envelope_everywhere = False
        self.churn = 1.0      # multiplier of the daily catalog edit/deletion and user departure rates
        self.token_ttl_s = 3600
        self.limiter: RollingWindowLimiter | None = None
        self.tokens: dict[str, Grant] = {}
        self.w = YodifyWorld()
        self._seq = {"product": 4200, "sku": 99000, "order": 10400, "item": 230000, "shipment": 3500,
                     "account": 5100, "cart": 77000}
        self._cache: dict[tuple, list] = {}
        super().__init__(*args, **kwargs)
        #: served with `configure(schema_drift=True)`: see `_drift_order` and `sku_json`
        self.order_drift = SchemaDrift(self.seed, "yodify/orders",
                                       {"items_object": 0.08, "string_number": 0.12, "unknown_status": 0.06})
        self.sku_drift = SchemaDrift(self.seed, "yodify/skus", {"sku_price_object": 0.1, "sku_string_number": 0.25})

    def _next(self, kind: str) -> int:
        self._seq[kind] += 1
        return self._seq[kind]

    # --- routes, auth, errors ----------------------------------------------------------
    def register_routes(self) -> None:
        p = self.api_prefix
        self.route("POST", TOKEN_PATH, self.issue_token, public=True)
        for name in ("Products", "SKUs", "Brands", "Orders", "Shipments", "Carriers", "Accounts", "AccountUsers"):
            self.route("GET", f"{p}/{name}", self._list_handler(name))
            self.route("GET", f"{p}/{name}/{{id}}", self._get_handler(name))
        self.route("GET", f"{p}/orders/{{order_id}}/shipments", self.list_order_shipments)
        self.route("GET", f"{p}/orders/{{order_id}}/shipments/{{id}}", self.get_order_shipment)

    async def issue_token(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl(await request.text()))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                client_id = client_secret = None
        if form.get("grant_type") != "client_credentials":
            return self.json({"error": "unsupported_grant_type"}, status=400)
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            return self.json({"error": "invalid_client"}, status=400)
        scopes = frozenset((form.get("scope") or SCOPE).split())
        token = "sbx-yat-" + uuid.uuid4().hex + uuid.uuid4().hex
        self.tokens[token] = Grant(self.now() + timedelta(seconds=self.token_ttl_s), scopes)
        return self.json({"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_s,
                          "scope": " ".join(sorted(scopes))})

    def authenticate(self, request: web.Request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        grant = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires_at <= self.now():
            return self.problem(request, 401, {"Authorization": ["The access token is missing, invalid or expired."]},
                                "Unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if SCOPE not in grant.scopes:
            return web.Response(status=403)
        return None

    def rate_limit(self, request: web.Request):
        if self.limiter is None:
            return None
        if not self.limiter.hit(request.headers.get("Authorization", "")).allowed:
            return web.Response(status=429)       # "API call quota exceeded.": no body, no headers
        return None

    def error(self, status: int, message: str) -> web.Response:
        if status in (403, 404, 405, 429):     # documented without a body (404/405: ASP.NET's own)
            return web.Response(status=status)
        return self.json({"errors": None, "detail": message, "instance": None, "status": status,
                          "title": "An error occurred while processing your request."}, status=status)

    def problem(self, request: web.Request, status: int, errors: dict[str, list[str]], title: str,
                headers: dict | None = None) -> web.Response:
        """The document's ValidationProblemDetails."""
        return self.json({"errors": errors, "detail": "; ".join(m for ms in errors.values() for m in ms),
                          "instance": request.path, "status": status, "title": title},
                         status=status, content_type="application/problem+json", headers=headers)

    def credentials(self) -> dict:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    def configure(self, envelope_everywhere: bool | None = None, churn: float | None = None,
                  quota: int | None = None, quota_window_s: float = 1.0, token_ttl_s: int | None = None,
                  schema_drift: bool | None = None) -> dict:
        """Knobs for tests: list shapes, how fast the catalog and the account users change on
        days generated from now on, a request quota per token (0 = off), the token lifetime
        and whether orders and SKUs are served with schema drift."""
        if schema_drift is not None:
            self.order_drift.enabled = self.sku_drift.enabled = bool(schema_drift)
        if envelope_everywhere is not None:
            self.envelope_everywhere = bool(envelope_everywhere)
        if churn is not None:
            self.churn = float(churn)
        if quota is not None:
            self.limiter = RollingWindowLimiter(int(quota), float(quota_window_s)) if int(quota) > 0 else None
        if token_ttl_s is not None:
            self.token_ttl_s = int(token_ttl_s)
        return {"envelope_everywhere": self.envelope_everywhere, "churn": self.churn,
                "quota": self.limiter.limit if self.limiter else 0, "token_ttl_s": self.token_ttl_s,
                "schema_drift": self.order_drift.enabled}

    # --- world generation --------------------------------------------------------------
    def simulate_until(self, now: datetime) -> None:
        super().simulate_until(now)
        self._cache.clear()

    def seed_world(self, at: datetime) -> None:
        """Brands, the catalog and a few registered users, two months before the history
        (`at` is 30 days before it)."""
        at -= timedelta(days=30)
        r = rng(self.seed, self.name, "catalog")
        n_brands = max(4, min(len(BRAND_NAMES), self.scale.products // 10))
        for i, name in enumerate(BRAND_NAMES[:n_brands]):
            alias = "".join(w[0] for w in name.split()).upper() + str(i)
            self.w.brands.append(Brand(92590 + i * 7, name, alias, at - timedelta(days=r.randint(100, 900))))
        for _ in range(self.scale.products):
            self._new_product(r, at + timedelta(minutes=r.randint(0, 3000)))
        for _ in range(max(3, self.scale.people // 25)):
            self._identity(r, self.people.pick(r, self.people_window), at + timedelta(minutes=r.randint(0, 3000)),
                           registering=True)

    def _new_product(self, r, at: datetime) -> Product:
        kind = r.choice(PRODUCT_KINDS)
        brand = r.choice(self.w.brands)
        pid = self._next("product")
        product = Product(pid, 1188000 + pid, f"{brand.name.split()[0]} {kind[0]}", kind[1], brand.id, kind, at)
        self.w.products[pid] = product
        for variant in r.sample(VARIANTS, r.choice([1, 1, 2, 3, 4])):
            self._new_sku(r, product, variant, at + timedelta(seconds=r.randint(1, 600)))
        return product

    def _new_sku(self, r, product: Product, variant: str, at: datetime) -> Sku:
        sid = self._next("sku")
        lo, hi = product.kind[2]
        price = r.randrange(lo, hi, 100) + 99
        sale = price - r.randrange(100, max(200, price // 5), 100) if r.random() < 0.15 else None
        code = f"{product.short_name[:3].upper()}-{sid}-{variant[:2].upper()}"
        sku = Sku(sid, product, code, f"MPN-{product.id}-{sid}", variant, at,
                  [SkuVersion(at, price, sale, r.randint(0, 400))])
        self.w.skus[sid] = sku
        return sku

    def _account_for(self, r, person: Person, at: datetime) -> Account:
        same_country = self.w.accounts_by_country.setdefault(person.country, [])
        if same_country and r.random() < 0.75:
            joined = r.choice(same_country)
            if joined.created_on < at:
                return joined
        name = person.company or f"{person.last_name} {r.choice(['Industrie', 'Technik', 'Supply', 'Service'])} {SUFFIX[person.country]}"
        base, n = name, 1
        while name in self.w.account_names:
            n += 1
            name = f"{base} ({person.city}{'' if n == 2 else f' {n}'})"
        self.w.account_names.add(name)
        aid = self._next("account")
        account = Account(aid, name, f"{''.join(w[0] for w in name.split())[:3].upper()}-{aid:04d}", person,
                          r.choice(DISCOUNT_LEVELS), r.choice(PAYMENT_TERMS), r.choice(CUSTOMER_TYPES),
                          r.choice(INDUSTRIES), at - timedelta(minutes=r.randint(300, 600)))
        self.w.accounts[aid] = account
        same_country.append(account)
        return account

    def _identity(self, r, person: Person, at: datetime, registering: bool = False) -> User:
        """The person's current Yodify identity, created on first contact: mostly an account
        user (registering someone always makes one), else a guest checkout."""
        current = self.w.identity.get(person.id)
        if current is not None and (current.deleted_at is None or at < current.deleted_at):
            return current
        account = self._account_for(r, person, at) if registering or r.random() < 0.75 else None
        user = User(guid(r), person, account, at - timedelta(minutes=r.randint(1, 240)) if account else at,
                    person.title or r.choice(["Mr.", "Ms.", ""]), r.choice(TITLES), r.choice(DEPARTMENTS))
        self.w.users[user.id] = user
        self.w.identity[person.id] = user
        if account:
            account.members.append(user)
            self.w.members.append(user)
        return user

    def generate_day(self, day: date) -> None:
        r = rng(self.seed, self.name, "day", day.isoformat())
        start = datetime.combine(day, time(), timezone.utc)

        def at_random() -> datetime:
            return start + timedelta(seconds=r.randint(0, 86399), milliseconds=r.randint(0, 999))

        self._churn_catalog(r, start, at_random)
        members = self.w.members
        for _ in range(poisson(r, 0.003 * self.churn * len(members))):   # account users leave now and then
            user = r.choice(members)
            if user.deleted_at is None and user.created_on < start:
                user.deleted_at = at_random()
        live = [s for s in self.w.skus.values() if visible(s.created_on, s.deleted_at, start)]
        weekday_factor = (1.2, 1.2, 1.15, 1.1, 1.05, 0.7, 0.6)[day.weekday()]   # B2B: weekdays
        events = sorted([(at_random(), "order") for _ in range(poisson(r, self.scale.orders_per_day * weekday_factor))]
                        + [(at_random(), "registration")
                           for _ in range(poisson(r, self.scale.orders_per_day * 0.05))])
        for at, kind in events:
            if kind == "registration":
                self._identity(r, self.people.pick(r, self.people_window), at, registering=True)
                continue
            skus = [s for s in r.sample(live, min(len(live), 1 + min(3, poisson(r, 0.8))))
                    if s.deleted_at is None or at < s.deleted_at]
            if skus:
                late = timedelta(days=r.uniform(1, 4)) if r.random() < 0.03 else timedelta(0)
                self._add_order(r, at, at + late, skus)

    def _churn_catalog(self, r, start: datetime, at_random) -> None:
        churn = self.churn
        for product in list(self.w.products.values()):
            if visible(product.created_on, product.deleted_at, start) and r.random() < 0.001 * churn:
                product.deleted_at = at_random()
                for sku in self.w.skus.values():
                    if sku.product is product and sku.deleted_at is None:
                        sku.deleted_at = product.deleted_at
        for sku in list(self.w.skus.values()):
            if not visible(sku.created_on, sku.deleted_at, start):
                continue
            roll = r.random() / churn
            if roll < 0.003:
                sku.deleted_at = at_random()
            elif roll < 0.03:
                when = at_random()
                v = sku.version(when)
                what = r.random()
                if what < 0.4:            # price change
                    step = max(100, v.list_minor // 20)
                    new_list = max(199, v.list_minor + r.choice([-1, 1, 1, 2]) * step)
                    sale = v.sale_minor if v.sale_minor is None or v.sale_minor < new_list else None
                    sku.versions.append(SkuVersion(when, new_list, sale, v.inventory))
                elif what < 0.7:          # a sale starts or ends
                    sale = None if v.sale_minor is not None else v.list_minor - max(100, v.list_minor // 10)
                    sku.versions.append(SkuVersion(when, v.list_minor, sale, v.inventory))
                else:                     # inventory count
                    sku.versions.append(SkuVersion(when, v.list_minor, v.sale_minor, r.randint(0, 500)))
        n = max(1, self.scale.products)
        for _ in range(poisson(r, 0.004 * n * churn)):
            live = [p for p in self.w.products.values() if visible(p.created_on, p.deleted_at, start)]
            product, when = (r.choice(live), at_random()) if live else (None, None)
            if product is not None and product.deleted_at is None:
                self._new_sku(r, product, r.choice(VARIANTS) + " II", when)
        for _ in range(poisson(r, 0.003 * n * churn)):
            self._new_product(r, at_random())

    def _rate(self, currency: str, day: date) -> Decimal:
        """Store currency per customer currency unit on `day`: a base rate with a daily drift."""
        if currency == STORE_CURRENCY:
            return Decimal(1)
        drift = Decimal(str(round(0.02 * (unit(self.seed, self.name, "fx", currency, day.isoformat()) - 0.5), 6)))
        return (BASE_RATES[currency] * (1 + drift)).quantize(Decimal("0.000001"))

    def _add_order(self, r, placed: datetime, arrived: datetime, skus: list[Sku]) -> None:
        buyer = self._identity(r, self.people.pick(r, self.people_window), placed)
        country = buyer.country
        currency = CURRENCY_OF_COUNTRY[country]
        rate = self._rate(currency, placed.date())
        pct = buyer.account.discount_level[2] if buyer.account else 0
        items, seller_saved, saved = [], 0, 0
        for sku in skus:
            qty = r.choices([1, 2, 3, 5, 10], [55, 22, 10, 8, 5])[0]
            base = sku.price(placed)
            seller_unit = (base * (100 - pct) + 50) // 100
            cust_unit = to_customer(seller_unit, rate)
            items.append(Item(self._next("item"), sku, qty, seller_unit, cust_unit))
            seller_saved += qty * (base - seller_unit)
            saved += qty * (to_customer(base, rate) - cust_unit)
        oid = self._next("order")
        pickup = country == STORE_COUNTRY and r.random() < 0.12
        order = Order(
            id=oid, number=f"ORD-{oid:012d}-{r.randint(100, 999)}", cart_id=self._next("cart"), buyer=buyer,
            ordered_date=placed, arrived_at=arrived, currency=currency, rate=rate, items=items,
            transitions=[], shipments=[], payment_method=r.choice(["Account", "Account", "CreditCard"])
            if buyer.account else "CreditCard", shipping_method="Pickup" if pickup else
            r.choice(["Standard Shipping", "Standard Shipping", "Express Shipping"]),
            tax_rate=TAX_RATES[country],
            purchase_order=f"PO-{placed.year}-{r.randint(1000, 9999)}" if buyer.account and r.random() < 0.6 else None)
        units = order.units
        if pickup:
            seller_freight = 0
        else:
            zone = 0 if country == STORE_COUNTRY else 1 if CURRENCY_OF_COUNTRY[country] == "EUR" else 2
            seller_freight = (990, 1490, 2990)[zone] + (200, 250, 500)[zone] * min(5, units - 1)
            if order.shipping_method == "Express Shipping":
                seller_freight *= 2
        order.freight = (to_customer(seller_freight, rate), seller_freight)
        order.discount = (saved, seller_saved)
        if order.payment_method == "CreditCard":
            seller_fee = half_up(Decimal(order.total(True)) * Decimal("0.029")) + 30
            order.fee = (to_customer(seller_fee, rate), seller_fee)
        order.transitions, order.shipments = self._plan_lifecycle(r, order, pickup)
        self.w.orders.append(order)
        self.w.arrivals.append(arrived)
        self.w.by_id[oid] = order

    def _plan_lifecycle(self, r, o: Order, pickup: bool) -> tuple[list, list]:
        """The order's statuses over time (and its shipments), decided once at creation."""
        h = lambda lo, hi: timedelta(hours=r.uniform(lo, hi))  # noqa: E731
        steps = [(o.ordered_date, "New")]

        def step(status: str, lo: float, hi: float) -> datetime:
            """`status` some `lo`..`hi` hours after the previous step."""
            steps.append((steps[-1][0] + h(lo, hi), status))
            return steps[-1][0]

        if r.random() < 0.2:
            step("Received", 0.2, 2)
        if r.random() < 0.06:                                   # cancelled before shipping
            step("Cancelled", 1, 40)
            return steps, []
        if r.random() < 0.35:
            step("StockConfirmed" if r.random() < 0.85 else "StockPartiallyConfirmed", 1, 12)
        step("Processing", 1, 24)
        shipments: list[Shipment] = []
        lines = [(i.id, i.sku.id, i.quantity) for i in o.items]
        if pickup:
            if len(lines) > 1 and r.random() < 0.3:
                step("PartiallyReadyForPickup", 6, 30)
            step("ReadyForPickup", 6, 40)
            done = step("Complete", 2, 72)
            shipments.append(self._shipment(r, o, "Pickup", lines, [(done, "PickedUp")]))
        else:
            parts = [lines]
            if len(lines) > 1 and r.random() < 0.35:
                cut = r.randint(1, len(lines) - 1)
                parts = [lines[:cut], lines[cut:]]
            for n, part in enumerate(parts):
                shipped = step("Shipped" if n == len(parts) - 1 else "PartiallyShipped", 10, 48)
                delivered = shipped + h(24, 110)
                shipments.append(self._shipment(r, o, "Tracked", part, [
                    (shipped, "InfoReceived"), (shipped + h(2, 8), "InTransit"),
                    (delivered - h(2, 8), "OutForDelivery"), (delivered, "Delivered")]))
            done = max(steps[-1][0], shipments[-1].statuses[-1][0])
            steps.append((done, "Complete"))
        roll = r.random()
        if roll < 0.06:                                         # a late refund request
            asked = done + timedelta(days=r.uniform(1, 18))
            steps.append((asked, "RefundRequested"))
            step("Refunded" if r.random() < 0.6 else "RefundRejected", 12, 120)
        elif roll < 0.075:                                      # the seller refunds on its own
            steps.append((done + timedelta(days=r.uniform(2, 20)), "Refunded"))
        limit = o.ordered_date + timedelta(days=LATE_CHANGE_DAYS)
        return [(min(at, limit), s) for at, s in steps], shipments

    def _shipment(self, r, o: Order, kind: str, lines: list, statuses: list) -> Shipment:
        sid = self._next("shipment")
        carrier = "" if kind == "Pickup" else r.choice(CARRIERS)[0]
        return Shipment(sid, o.id, kind, carrier, f"{r.randint(10**11, 10**12 - 1)}" if carrier else "",
                        [(sid * 10 + k, oi, sku, q) for k, (oi, sku, q) in enumerate(lines)], statuses)

    # --- rendering ---------------------------------------------------------------------------
    def carrier_json(self, c: Carrier, now: datetime, expand: frozenset = frozenset()) -> dict:
        return {"id": c.id, "object": "carrier", "slug": c.slug, "name": c.name}

    def brand_json(self, b: Brand, now: datetime, expand: frozenset = frozenset()) -> dict:
        return {"client_identifier": None, "name": b.name, "alias": b.alias, "id": b.id, "object": "brand",
                "created_on": stamp(b.created_on)}

    def _brand(self, brand_id: int) -> Brand:
        return next(b for b in self.w.brands if b.id == brand_id)

    def product_json(self, p: Product, now: datetime, expand: frozenset = frozenset()) -> dict:
        slug = p.name.lower().replace(" ", "-")
        return {
            "id": p.id, "library_product_id": p.library_product_id, "object": "product", "client_identifier": None,
            "name": p.name, "short_name": p.short_name,
            "short_description": f"{p.kind[0]} by {self._brand(p.brand_id).name}.",
            "primary_image": f"https://cdn.yodify-store.test/img/products/{p.id}/main.jpg",
            "brand_id": p.brand_id,
            "brand": self.brand_json(self._brand(p.brand_id), now) if "brand" in expand else None,
            "quantity_discount_id": None, "quantity_discount": None,
            "created_on": stamp(p.created_on), "url": f"https://store.yodify-store.test/products/{p.id}/{slug}",
        }

    def sku_json(self, s: Sku, now: datetime, expand: frozenset = frozenset()) -> dict:
        v = s.version(now)
        p = s.product
        data = {
            "id": s.id, "object": "sku", "client_identifier": None, "store_product_id": p.id,
            "library_product_id": p.library_product_id,
            "product": self.product_json(p, now) if "product" in expand else None,
            "brand": self.brand_json(self._brand(p.brand_id), now) if "brand" in expand else None,
            "sku_identifier": s.sku_identifier, "manufacturer_part_number": s.mpn, "short_description": s.variant,
            "description": f"{p.name}, {s.variant}.", "list_price": major(v.list_minor),
            "sale_price": None if v.sale_minor is None else major(v.sale_minor),
            "is_on_sale": v.sale_minor is not None, "sale_start_date": stamp(v.at) if v.sale_minor else None,
            "sale_end_date": None, "sale_maximum_quantity": None, "sale_minimum_quantity": None,
            "sale_label": "Limited Time Only" if v.sale_minor else None, "inventory": v.inventory,
            "unit_of_measure": p.kind[3], "unit_of_measure_quantity": 1, "inventory_alert": 5,
            "is_featured": s.id % 7 == 0, "always_in_stock": False, "shipping_rate_id": None, "shipping_rate": None,
            "address_id": None, "address": None, "quantity_discount_id": None, "quantity_discount": None,
            "allow_backorders": True, "lead_time_from": 7, "lead_time_to": 15, "lead_time_message": None,
            "price_discounts": [] if "price_discounts" in expand else None, "is_non_refundable": False,
            "is_non_refundable_message": None, "length": 40, "width": 30, "height": 20, "weight": 1500,
            "classification": "B", "unspsc_classification": "40101800", "price_visibility": "InheritFromProduct",
            "created_on": stamp(s.created_on), "modified_on": stamp(v.at), "login_for_pricing_message": None,
            "in_stock_message": None, "out_of_stock_message": None, "request_quote": False,
        }
        drift = self.sku_drift.kind(str(s.id))
        if drift == "sku_string_number":        # doubles sent as strings (readable)
            data["list_price"], data["inventory"] = f"{data['list_price']:.2f}", str(data["inventory"])
        elif drift == "sku_price_object":       # a price object where the double was (unreadable)
            data["list_price"] = {"amount": data["list_price"], "currency": STORE_CURRENCY}
        return data

    @staticmethod
    def address_json(aid: int, person: Person, name: str, company: str, created: datetime) -> dict:
        return {"client_identifier": None, "id": aid, "object": "address", "created_on": stamp(created),
                "name": name, "first_name": person.first_name, "last_name": person.last_name,
                "company_name": company or None, "city": person.city, "state_code": None,
                "country_code": person.country, "street1": person.street, "street2": None,
                "postal_code": person.postcode, "phone_number": person.phone, "is_primary": False,
                "is_warehouse": False}

    def shipment_json(self, s: Shipment, now: datetime, expand: frozenset = frozenset()) -> dict:
        seen = [(t, st) for t, st in s.statuses if t <= now]
        carrier = next((c for c in CARRIERS if c[0] == s.carrier), None)
        return {
            "id": s.id, "object": "shipment", "client_identifier": None, "order_id": s.order_id,
            "shipped_date": stamp(s.created_on), "estimated_delivery_date": stamp(s.statuses[-1][0]),
            "tracking_number": s.tracking_number or None,
            "tracking_url": carrier[1] + s.tracking_number if carrier else None, "carrier": s.carrier or None,
            "items": [{"id": i, "object": "shipmentitem", "order_item_id": oi, "sku_id": sku, "quantity": q}
                      for i, oi, sku, q in s.lines],
            "add_ons": [], "shipment_type": s.shipment_type, "created_on": stamp(s.created_on),
            "trackings": [{"object": "shipmenttracking", "message": st, "status": st, "city": None,
                           "country": None, "state": None, "zip": None, "date": stamp(t)} for t, st in seen],
            "address": None, "status": seen[-1][1],
        }

    def customer_json(self, u: User) -> dict:
        a, p = u.account, u.person
        return {"id": u.id, "object": "customer", "first_name": p.first_name, "last_name": p.last_name,
                "company_name": a.name if a else (p.company or None), "email_address": p.email,
                "phone_number": p.phone, "account_id": a.id if a else None, "account_name": a.name if a else None,
                "account_number": a.number if a else None, "discount_level_id": a.discount_level[0] if a else None,
                "discount_level_name": a.discount_level[1] if a else None}

    def order_json(self, o: Order, now: datetime, expand: frozenset = frozenset()) -> dict:
        u, a = o.buyer, o.buyer.account
        billing_person = a.founder if a else u.person
        shipments = [s for s in o.shipments if s.created_on <= now]
        fee, seller_fee = o.fee
        data = {
            "id": o.id, "object": "order", "client_identifier": None, "shopping_cart_id": o.cart_id,
            "order_number": o.number, "customer_id": u.id, "customer": self.customer_json(u),
            "items": [{
                "id": i.id, "object": "orderitem", "client_identifier": None, "sku_id": i.sku.id,
                "sku": self.sku_json(i.sku, now) if "items.sku" in expand else None, "order_id": o.id,
                "product_id": i.sku.product.id,
                "product": self.product_json(i.sku.product, now) if "items.product" in expand else None,
                "quantity": i.quantity, "model_number": i.sku.mpn, "price_per_unit": major(i.unit),
                "seller_price_per_unit": major(i.seller_unit), "add_ons": [], "unit_of_measure": i.sku.product.kind[3],
            } for i in o.items],
            "shipping_address": self.address_json(o.id * 10 + 1, u.person, "Delivery", a.name if a else "",
                                                  o.ordered_date),
            "billing_address": self.address_json(o.id * 10 + 2, billing_person, "Billing", a.name if a else "",
                                                 o.ordered_date),
            "shipments": [self.shipment_json(s, now) for s in shipments],
            "shipping_instructions": None, "shipping_method": o.shipping_method,
            "currency_code": o.currency, "seller_currency_code": STORE_CURRENCY, "order_status": o.status(now),
            "payment_method": o.payment_method,
            "subtotal": major(o.subtotal()), "freight": major(o.freight[0]), "tax": major(o.tax()),
            "discount": major(o.discount[0]), "tax_rate": float(o.tax_rate), "transaction_fee": major(fee),
            "total": major(o.total()), "exchange_rate": float(o.rate),
            "seller_subtotal": major(o.subtotal(True)), "seller_freight": major(o.freight[1]),
            "seller_tax": major(o.tax(True)), "seller_discount": major(o.discount[1]),
            "seller_transaction_fee": major(seller_fee), "seller_total": major(o.total(True)),
            "ordered_date": stamp(o.ordered_date),
            "additional_information": {"tax_id": None, "purchase_order_number": o.purchase_order, "fields": [],
                                       "comments": None},
            "url": f"https://store.yodify-store.test/account/orders/{o.id}",
        }
        return self._drift_order(data, self.order_drift.kind(str(o.id))) if self.order_drift.enabled else data

    @staticmethod
    def _drift_order(data: dict, kind: str | None) -> dict:
        """Every order gains a field the document does not know; some send their doubles as
        strings (readable), their items as an object keyed by item id instead of an array
        (unreadable), or an `order_status` the enum does not list."""
        data["sales_channel"] = "punchout"
        if kind == "string_number":
            for name in ("subtotal", "freight", "tax", "total"):
                data[name] = f"{data[name]:.2f}"
            for item in data["items"]:
                item["price_per_unit"] = f"{item['price_per_unit']:.2f}"
        elif kind == "items_object":
            data["items"] = {str(item["id"]): item for item in data["items"]}
        elif kind == "unknown_status":
            data["order_status"] = "OnHold"
        return data

    def account_json(self, a: Account, now: datetime, expand: frozenset = frozenset(), users: bool = True) -> dict:
        f = a.founder
        return {
            "client_identifier": None, "id": a.id, "object": "account",
            "discount_level": self._discount_level(a) if "discount_level" in expand else None,
            "created_on": stamp(a.created_on), "discount_level_id": a.discount_level[0], "name": a.name,
            "account_number": a.number, "payment_terms": a.payment_terms, "custom_payment_terms": None,
            "customer_type": a.customer_type, "industry": a.industry, "city": f.city, "state_code": None,
            "country_code": f.country, "postal_code": f.postcode, "street1": f.street, "street2": None,
            "email": f.email, "phone_number": f.phone,
            "user_accounts": [self.user_json(u, now) for u in a.members
                              if visible(u.created_on, u.deleted_at, now)] if users else [],
        }

    @staticmethod
    def _discount_level(a: Account) -> dict:
        lid, name, pct = a.discount_level
        return {"id": lid, "object": "discountlevel", "client_identifier": None, "name": name,
                "description": f"{pct} % off list prices", "brand_discounts": [], "accounts": [],
                "created_on": "2021-05-03T17:00:00.000Z"}

    def user_json(self, u: User, now: datetime, expand: frozenset = frozenset()) -> dict:
        p, a = u.person, u.account
        return {
            "client_identifier": None, "id": u.id, "object": "accountuser",
            "discount_level": self._discount_level(a) if "discount_level" in expand else None,
            "account": self.account_json(a, now, users=False) if "account" in expand else None,
            "created_on": stamp(u.created_on), "account_id": a.id, "discount_level_id": a.discount_level[0],
            "first_name": p.first_name, "last_name": p.last_name, "salutation": u.salutation or None,
            "email": p.email, "title": u.title, "department": u.department, "phone_number": p.phone,
        }

    # --- listings ------------------------------------------------------------------------------
    def _orders(self, now: datetime) -> list[Order]:
        return self.w.orders[: bisect.bisect_right(self.w.arrivals, now)]

    def _users(self, now: datetime) -> list[User]:
        return [u for u in self.w.users.values() if u.account and visible(u.created_on, u.deleted_at, now)]

    def _listing(self, name: str, now: datetime) -> tuple[list, callable]:
        """(every record served now in id order, its renderer)."""
        w = self.w
        if name == "Orders":
            return self._orders(now), self.order_json
        if name == "SKUs":
            return [s for s in w.skus.values() if visible(s.created_on, s.deleted_at, now)], self.sku_json
        if name == "Products":
            return [p for p in w.products.values() if visible(p.created_on, p.deleted_at, now)], self.product_json
        if name == "Brands":
            return [b for b in w.brands if b.created_on <= now], self.brand_json
        if name == "Shipments":
            items = sorted((s for o in self._orders(now) for s in o.shipments if s.created_on <= now),
                           key=lambda s: s.id)
            return items, self.shipment_json
        if name == "Carriers":
            return CARRIER_LIST, self.carrier_json
        if name == "Accounts":
            return [a for a in w.accounts.values() if a.created_on <= now], self.account_json
        if name == "AccountUsers":
            return sorted(self._users(now), key=lambda u: u.id), self.user_json
        raise KeyError(name)

    def _filtered(self, name: str, q: Query, now: datetime) -> list:
        key = (name, q.filter_key(), now)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        items, _ = self._listing(name, now)
        if q.ids is not None:
            items = [x for x in items if str(x.id) in q.ids]
        if q.since_id is not None:
            items = [x for x in items if x.id > q.since_id]
        if q.created_min or q.created_max:
            lo = q.created_min or datetime.min.replace(tzinfo=timezone.utc)
            hi = q.created_max or datetime.max.replace(tzinfo=timezone.utc)
            created = (lambda o: o.ordered_date) if name == "Orders" else (lambda x: x.created_on)
            items = [x for x in items if lo <= created(x) <= hi]
        if q.statuses is not None:
            items = [x for x in items if x.status(now) in q.statuses]
        if q.brand_id is not None:
            brand_of = (lambda s: s.product.brand_id) if name == "SKUs" else (lambda p: p.brand_id)
            items = [x for x in items if brand_of(x) == q.brand_id]
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = items
        return items

    def _respond_list(self, request: web.Request, name: str, items: list, render, q: Query) -> web.Response:
        now = self.now()
        chunk = self.page_items(request, items[(q.page - 1) * q.limit: q.page * q.limit])
        data = [render(x, now, q.expand) for x in chunk]
        if name in BARE_LISTS and not self.envelope_everywhere:
            return self.json(data)
        return self.json({"object": "list", "data": data, "has_more": q.page * q.limit < len(items),
                          "total_items": len(items), "url": request.path, "count": len(data)})

    def _list_handler(self, name: str):
        filters = LIST_FILTERS[name]

        def handler(request: web.Request) -> web.Response:
            q = Query(request, filters, statuses=LIST_STATUSES.get(name), string_ids=name == "AccountUsers")
            if q.errors:
                return self.problem(request, 400, q.errors, "One or more validation errors occurred.")
            _, render = self._listing(name, self.now())
            return self._respond_list(request, name, self._filtered(name, q, self.now()), render, q)

        return handler

    def _get_handler(self, name: str):
        def handler(request: web.Request, id: str) -> web.Response:
            q = Query(request, frozenset())
            now = self.now()
            if name == "Orders":
                order = self.w.by_id.get(int(id)) if id.isdigit() else None
                items, render = ([order] if order and order.arrived_at <= now else []), self.order_json
            else:
                items, render = self._listing(name, now)
            found = next((x for x in items if str(x.id) == id), None)
            if found is None:
                return self.problem(request, 400, {"id": [f"No {name.rstrip('s')} with the id {id} was found."]},
                                    f"{name.rstrip('s')} could not be retrieved.")
            return self.json(render(found, self.now(), q.expand))

        return handler

    def list_order_shipments(self, request: web.Request, order_id: str) -> web.Response:
        q = Query(request, LIST_FILTERS["Shipments"], statuses=SHIPMENT_STATUSES)
        if q.errors:
            return self.problem(request, 400, q.errors, "One or more validation errors occurred.")
        order = self.w.by_id.get(int(order_id)) if order_id.isdigit() else None
        if order is None or order.arrived_at > self.now():
            return self.problem(request, 400, {"orderId": [f"No Order with the id {order_id} was found."]},
                                "Shipments could not be retrieved.")
        shipments = [s for s in self._filtered("Shipments", q, self.now()) if s.order_id == order.id]
        return self._respond_list(request, "OrderShipments", shipments, self.shipment_json, q)

    def get_order_shipment(self, request: web.Request, order_id: str, id: str) -> web.Response:
        """`GET /orders/{orderId}/shipments/{id}`: one shipment of one order (a shipment of
        another order, or one not made yet, is not found: 400 as every unknown id here)."""
        now = self.now()
        order = self.w.by_id.get(int(order_id)) if order_id.isdigit() else None
        shipment = next((s for s in (order.shipments if order and order.arrived_at <= now else [])
                         if str(s.id) == id and s.created_on <= now), None)
        if shipment is None:
            return self.problem(request, 400, {"id": [f"No Shipment with the id {id} was found on order {order_id}."]},
                                "Shipment could not be retrieved.")
        return self.json(self.shipment_json(shipment, now, Query(request, frozenset()).expand))

    # --- ground truth --------------------------------------------------------------------------
    def truth(self) -> dict:
        now = self.now()
        orders = self._orders(now)
        docs = [TruthDocument(str(o.id), o.ordered_date, o.currency, o.total(), o.units, False,
                              o.status(now) not in NOT_A_SALE, o.buyer.id, o.status(now)) for o in orders]
        seller: dict[str, int] = {}
        for o in orders:
            if o.status(now) not in NOT_A_SALE:
                seller[STORE_CURRENCY] = seller.get(STORE_CURRENCY, 0) + o.total(True)
        made_products = [p for p in self.w.products.values() if p.created_on <= now]
        made_skus = [s for s in self.w.skus.values() if s.created_on <= now]
        users = self._users(now)
        active_ids = {u.id for u in users}
        return truth_payload(
            self.name, now, docs,
            customers=len(active_ids | {o.buyer.id for o in orders}),
            products_active=[p.id for p in made_products if visible(p.created_on, p.deleted_at, now)],
            products_deleted=[p.id for p in made_products if not visible(p.created_on, p.deleted_at, now)],
            lines=sum(len(o.items) for o in orders),
            skus={"active": sorted(s.id for s in made_skus if visible(s.created_on, s.deleted_at, now)),
                  "deleted": sorted(s.id for s in made_skus if not visible(s.created_on, s.deleted_at, now)),
                  "modified_on": {str(s.id): stamp(s.version(now).at) for s in made_skus
                                  if visible(s.created_on, s.deleted_at, now)}},
            accounts={"count": sum(1 for a in self.w.accounts.values() if a.created_on <= now)},
            account_users={"active": sorted(u.id for u in users),
                           "deleted": sorted(u.id for u in self.w.users.values()
                                             if u.account and u.created_on <= now and u.id not in active_ids)},
            shipments={"count": sum(1 for o in orders for s in o.shipments if s.created_on <= now)},
            seller_revenue={c: money(v) for c, v in seller.items()},
            drift={**self.order_drift.report(str(o.id) for o in orders),
                   **self.sku_drift.report(str(s.id) for s in made_skus if visible(s.created_on, s.deleted_at, now))},
        )


#: documented filters per list (beyond Ids, Page, Limit, Expand, which every list takes)
LIST_FILTERS = {
    "Orders": frozenset({"statuses", "createdonmin", "createdonmax", "sinceid"}),
    "Shipments": frozenset({"statuses", "createdonmin", "createdonmax", "sinceid"}),
    "SKUs": frozenset({"sinceid", "createdonmin", "createdonmax", "brandid"}),
    "Products": frozenset({"createdonmin", "createdonmax", "brandid"}),
    "Brands": frozenset(), "Carriers": frozenset(), "Accounts": frozenset(), "AccountUsers": frozenset(),
}


@dataclass(frozen=True)
class Carrier:
    id: int
    slug: str
    name: str


#: the carriers shipments name, as `GET /Carriers` lists them (ids in `CARRIERS` order)
CARRIER_LIST = [Carrier(i + 1, name.replace(" ", ""), name) for i, (name, _) in enumerate(CARRIERS)]
LIST_STATUSES = {"Orders": ORDER_STATUSES, "Shipments": SHIPMENT_STATUSES}


class Query:
    """A list request's parameters, read the ASP.NET way (case-insensitive keys, repeated keys
    or comma-separated values for arrays), with the validation errors found."""

    def __init__(self, request: web.Request, filters: frozenset, statuses: tuple | None = None,
                 string_ids: bool = False):
        self.errors: dict[str, list[str]] = {}
        self._values: dict[str, list[str]] = {}
        for key, value in request.query.items():
            self._values.setdefault(key.lower(), []).extend(v for v in value.split(",") if v != "")
        self.page = self._int("Page", 1, lo=1)
        self.limit = self._int("Limit", 100, lo=1, hi=100, message="The Limit must be between 1 and 100.")
        self.expand = frozenset(v.lower() for v in self._values.get("expand", []))
        raw_ids = self._values.get("ids")
        self.ids = None if raw_ids is None else frozenset(raw_ids)
        if raw_ids and not string_ids and not all(v.lstrip("-").isdigit() for v in raw_ids):
            self.errors["Ids"] = ["The Ids must be integers."]
        self.since_id = self._int("SinceId", None) if "sinceid" in filters else None
        self.brand_id = self._int("BrandId", None) if "brandid" in filters else None
        self.created_min = self._date("CreatedOnMin") if "createdonmin" in filters else None
        self.created_max = self._date("CreatedOnMax") if "createdonmax" in filters else None
        if self.created_min and self.created_max and self.created_min > self.created_max:
            self.errors["CreatedOnMin"] = ["CreatedOnMin must be less than or equal to CreatedOnMax."]
        self.statuses = None
        if statuses and "statuses" in self._values:
            allowed = {s.lower(): s for s in statuses}
            wanted = self._values["statuses"]
            unknown = [v for v in wanted if v.lower() not in allowed]
            if unknown:
                self.errors["Statuses"] = [f"The value '{v}' is not valid." for v in unknown]
            self.statuses = frozenset(allowed[v.lower()] for v in wanted if v.lower() in allowed)

    def _one(self, name: str) -> str | None:
        values = self._values.get(name.lower())
        return values[-1] if values else None

    def _int(self, name: str, default: int | None, lo: int | None = None, hi: int | None = None,
             message: str | None = None) -> int | None:
        raw = self._one(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = [f"The value '{raw}' is not valid for {name}."]
            return default
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.errors[name] = [message or f"The {name} must be at least {lo}."]
            return default
        return value

    def _date(self, name: str) -> datetime | None:
        raw = self._one(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            self.errors[name] = [f"The value '{raw}' is not a valid date-time."]
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def filter_key(self) -> tuple:
        return (self.ids, self.since_id, self.brand_id, self.created_min, self.created_max, self.statuses)
