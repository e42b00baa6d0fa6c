"""enfore ERP API simulator (POS / retail ERP), from the enfore ERP API reference 1.19.2
(https://docs.apis.enfore.com/specs/erp-api/master/index.html) and its Login Flow page
(https://docs.apis.enfore.com/auth-api/user-docs/auth.html).

A small retail chain (two German stores in EUR, one Swiss store in CHF) sells groceries,
bakery goods and drinks at its registers. There are no orders in the API: invoices are the
sales, credit memos the voids. Readings taken where the document is silent, each one a
choice the source must survive, not rely on:
- Auth (the Login Flow page, not in the dump): `GET /auth/authorize/{org-id}` with
  `Authorization: Basic base64(app-name:secret)` returns `{"accessToken": ...}`, a token
  bound to that organisation and valid `token_ttl_s` (3600 s) of simulated time; every
  `/erp/...` call carries `Authorization: Bearer <token>`. Missing, wrong or expired
  credentials, or a token of another organisation, get **403** (never 401) with an
  RFC 7807 body (`application/problem+json`: `type`, `title`, `detail`, `on_resource`).
- Lists are `{"items": [...], "problems": [...]}` with no total. `limit` [1..5000]
  (default 200), `offset` >= 0 (default 0); items **and** problems count toward `limit`,
  so only a page with fewer than `limit` entries ends a listing. Bad paging on products is
  422 (documented there), on invoices/credit memos 400.
- Invoices and credit memos: `from` and `to` are required (RFC 3339; 400 when missing,
  malformed, without offset, or `from >= to`), the interval is `[from, to)` on
  `processed_date_and_time`, sorted ascending (ties by `id`). "limit is restricted to 50":
  a larger `limit` is clamped to 50 (the harsher reading: a client trusting its own limit
  stops early). The planned offset ceiling (10000) is enforced only when `max_offset` is
  configured (400 beyond it).
- Problems: a list entry may fail to render (`problem_rate` per entry and listing, never
  on single-record GETs); it then appears in `problems` with `on_resource` = the record's
  URI, which answers normally.
- Eventual consistency: a record is visible from `processed_date_and_time` plus a few
  seconds; a share (`straggler_rate`) only 10 min to 20 h later, inside a window a client
  may already have read ("re-request intervals close to the present").
- Late processing: a share of invoices (`late_processing_rate`, offline registers) is
  processed 1 to 30 hours after `transaction_date_and_time`; their day is the transaction
  day, their place in the listing the processing time.
- Voids (`void_rate`): a whole invoice or one line (with its deposit line) is voided minutes
  or days after the sale. The invoice then shows `void_information` on the voided items
  (and `void_reason` when fully voided); its `processed_date_and_time` does not change. A
  credit memo is created at the void time (its `transaction_date_and_time` = `voided_on`),
  with positive amounts, `invoices: [<invoice id>]`, `reasons` and `void_reason`.
- Money `{value, unit}`: gross amounts are whole cents; net amounts are gross / (1 + rate)
  rounded half up to 6 decimals; `tax_amounts` per tax code = gross - net of its lines.
  Item amounts are line totals; `undiscounted_*` before a manual discount, which appears
  in both the old `discounts` and the new `applied_discounts` representation. Taxes:
  DE_STANDARD_VAT_2007 19 %, DE_REDUCED_VAT_2007 7 %, CH_STANDARD_VAT_2008 8.1 % (the only
  CH code the document shows, used for every Swiss sale).
- Customers: most POS sales are anonymous (no `customer_information`, `payer_information`
  or `invoice_address`). Named sales carry a contact id: an individual or, for business
  buyers, an organization; the payer is usually the customer, sometimes the buyer's
  organization. IDs are 24 lowercase hex characters.
- Products: full list only (no timestamps, no filter but `article_id`); prices in EUR
  (`sales_price_and_quantity`, gross); the Swiss store sells at CHF channel prices. Products
  are hard-deleted (gone from the list, 404 on GET). Deposit products ("Pfand") are their own
  lines, linked from the main line's `depending_items`.
- Optional fields without a value are omitted; arrays the old spec marks required are
  always present.
"""
from __future__ import annotations

import base64
import bisect
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import quote

from aiohttp import web

from ..base import DayByDay, VendorSim
from ..catalog import Versioned, churn_day, initial_catalog
from ..drift import SchemaDrift
from ..people import Person
from ..rng import poisson, rng, unit
from ..truth import TruthDocument, truth_payload

ORG_ID = "5c9f3a1be4b0c2a7d1e84f20"
APP_NAME = "vendorsync-sandbox"
APP_SECRET = "sbx-enfore-" + "4b1d9e7c2a6f0835" * 3
PROBLEM_BASE = "https://external.apis.enfore.com/problems/"
DOCUMENT_LIMIT = 50           # "Caution: limit is restricted to 50"
COUNTRY_NAMES = {"DE": "Deutschland", "AT": "Österreich", "CH": "Schweiz", "FR": "France",
                 "NL": "Nederland", "GB": "United Kingdom", "US": "United States"}
VOID_REASON = {"@type": "PlatformDefinedVoidInvoiceReason", "name": "CUSTOMER_CANCELATION"}
TITLES = {400: "Invalid parameters", 403: "Forbidden", 404: "Resource not found",
          405: "Method not allowed", 422: "Unprocessable entity", 429: "Too many requests",
          500: "Internal server error", 502: "Bad Gateway", 503: "Service unavailable"}


def hexid(r) -> str:
    return f"{r.getrandbits(96):024x}"


def stable_hexid(*labels: object) -> str:
    return hashlib.blake2b(repr(labels).encode(), digest_size=12).hexdigest()


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def cents_value(cents: int) -> float:
    return cents / 100


def micro_value(micro: int) -> float:
    return micro / 1_000_000


def money(cents: int, currency: str) -> dict:
    return {"value": cents_value(cents), "unit": currency}


def money6(micro: int, currency: str) -> dict:
    return {"value": micro_value(micro), "unit": currency}


def pieces(n: int) -> dict:
    return {"value": n, "unit": "QUANTITY_PIECES"}


def net_micro(gross_cents: int, rate_permille: int) -> int:
    """Net of a gross amount, in millionths, rounded half up."""
    denominator = 1000 + rate_permille
    return (gross_cents * 10_000_000 * 2 + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class Store:
    id: str
    number: str
    name: str
    country: str
    currency: str
    registers: tuple[tuple[str, str], ...]   # (register id, operator id)
    weight: int


STORES = (
    Store("5c9f3a7de4b0c2a7d1e84f31", "0001", "Köln Ehrenfeld", "DE", "EUR",
          (("5c9f3a91e4b0c2a7d1e84f44", "5c9f3aa5e4b0c2a7d1e84f52"),
           ("5c9f3a91e4b0c2a7d1e84f45", "5c9f3aa5e4b0c2a7d1e84f53")), 45),
    Store("5c9f3a7de4b0c2a7d1e84f32", "0002", "Berlin Kreuzberg", "DE", "EUR",
          (("5c9f3a91e4b0c2a7d1e84f46", "5c9f3aa5e4b0c2a7d1e84f54"),), 35),
    Store("5c9f3a7de4b0c2a7d1e84f33", "0003", "Zürich Kreis 4", "CH", "CHF",
          (("5c9f3a91e4b0c2a7d1e84f47", "5c9f3aa5e4b0c2a7d1e84f55"),), 20),
)
STORE_WEIGHTS = [s.weight for s in STORES]

#: (country, tax category) -> (tax code, rate in permille)
TAXES = {("DE", "STANDARD"): ("DE_STANDARD_VAT_2007", 190), ("DE", "REDUCED"): ("DE_REDUCED_VAT_2007", 70),
         ("CH", "STANDARD"): ("CH_STANDARD_VAT_2008", 81), ("CH", "REDUCED"): ("CH_STANDARD_VAT_2008", 81)}

#: name, tax category, EUR gross price in cents, deposit product key or None, manufacturer
BASE_PRODUCTS = [
    ("Mate-Limonade 0,5 l", "STANDARD", 150, "15", "Getränke Beispiel GmbH"),
    ("Apfelschorle 0,33 l", "STANDARD", 190, "25", "Streuobst Kelterei"),
    ("Mineralwasser 0,75 l", "STANDARD", 110, "15", "Quelle Hohenstein"),
    ("Bio-Vollmilch 1 l", "REDUCED", 149, "15", "Hofmolkerei Lindenhof"),
    ("Hafermilch 1 l", "REDUCED", 219, None, "Oatly"),
    ("Laugenbrezel", "REDUCED", 95, None, "Backstube am Markt"),
    ("Dinkelbrötchen", "REDUCED", 65, None, "Backstube am Markt"),
    ("Croissant", "REDUCED", 140, None, "Backstube am Markt"),
    ("Franzbrötchen", "REDUCED", 180, None, "Backstube am Markt"),
    ("Bergkäse 200 g", "REDUCED", 429, None, "Sennerei Hochalp"),
    ("Haferflocken 500 g", "REDUCED", 179, None, "Mühle Rosenthal"),
    ("Bio-Eier 6 Stück", "REDUCED", 349, None, "Hof Sonnenwiese"),
    ("Waldhonig 500 g", "REDUCED", 699, None, "Imkerei Brandt"),
    ("Kaffeebohnen 1 kg", "REDUCED", 1890, None, "Rösterei Hafen"),
    ("Espresso", "STANDARD", 220, None, "Rösterei Hafen"),
    ("Cappuccino", "STANDARD", 350, None, "Rösterei Hafen"),
    ("Stofftasche", "STANDARD", 250, None, "Grünwerk GmbH"),
    ("Thermobecher", "STANDARD", 1490, None, "Grünwerk GmbH"),
]
VARIANTS = ["", "Bio", "Demeter", "regional", "Vorrat", "Klassik", "Premium", "Hausmarke"]
DEPOSITS = {"15": ("Pfand 0,15", 15), "25": ("Pfand 0,25", 25)}
PAYMENT_METHODS = [("CASH", 45), ("DEBIT_CARD", 30), ("CREDIT_CARD", 15), ("GOOGLE_PAY", 10)]
SALES_CATEGORIES = {"STANDARD": "5f8a0e6a9b3d4e0012a49d11", "REDUCED": "5f8a0e6a9b3d4e0012a49d12"}


def chf_cents(eur_cents: int) -> int:
    """The Swiss store's channel price: 5 % above the EUR price, to 5 Rappen."""
    return max(5, int(eur_cents * 1.05 / 5 + 0.5) * 5)


@dataclass(slots=True)
class Product(Versioned):
    id: str
    article_id: str
    base: tuple
    tax_category: str
    deposit_id: str | None
    created_at: datetime
    versions: list[tuple[datetime, int, str]]        # (from, EUR gross cents, name)
    is_deposit: bool = False
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    kind: str          # individual | organization
    name: str


@dataclass(slots=True)
class Line:
    id: str
    product_id: str
    external_id: str | None
    name: str
    qty: int
    unit_cents: int
    undiscounted_cents: int
    gross_cents: int
    tax_code: str
    rate: int
    order_line_id: str
    deposit_of: int | None = None           # index of the main line this deposit belongs to
    deposit_line: int | None = None         # index of this line's deposit line
    discount_name: str | None = None

    @property
    def net(self) -> int:
        return net_micro(self.gross_cents, self.rate)

    @property
    def undiscounted_net(self) -> int:
        return net_micro(self.undiscounted_cents, self.rate)


class _Totals:
    """Gross and units of a document's `lines`."""

    __slots__ = ()
    lines: list[Line]

    @property
    def gross_cents(self) -> int:
        return sum(ln.gross_cents for ln in self.lines)

    @property
    def units(self) -> int:
        return sum(ln.qty for ln in self.lines)


@dataclass(slots=True)
class CreditMemo(_Totals):
    id: str
    number: str
    invoice: Invoice
    at: datetime                     # transaction = voided_on
    processed_at: datetime
    visible_at: datetime
    line_indices: tuple[int, ...]
    full: bool
    payment_id: str
    line_ids: tuple[str, ...]

    @property
    def lines(self) -> list[Line]:
        return [self.invoice.lines[i] for i in self.line_indices]


@dataclass(slots=True)
class Invoice(_Totals):
    id: str
    number: str
    store: Store
    register_id: str
    operator_id: str
    at: datetime                     # transaction_date_and_time
    processed_at: datetime
    visible_at: datetime
    customer: Contact | None
    payer: Contact | None
    person: Person | None
    lines: list[Line]
    sales_order_id: str
    payment_id: str
    payment_method: str
    payment_at: datetime
    memo: CreditMemo | None = None

    @property
    def currency(self) -> str:
        return self.store.currency

    def void(self, now: datetime) -> CreditMemo | None:
        """The void, once it has happened (the invoice shows it from `voided_on`)."""
        return self.memo if self.memo is not None and self.memo.at <= now else None

    def status(self, now: datetime) -> str:
        """enfore has no status field; this is the state a reader derives from the payload."""
        memo = self.void(now)
        return "paid" if memo is None else "voided" if memo.full else "partially_voided"


@dataclass
class EnforeWorld:
    products: dict[str, Product] = field(default_factory=dict)
    invoices: list[Invoice] = field(default_factory=list)          # sorted by (processed_at, id)
    invoice_keys: list[datetime] = field(default_factory=list)
    memos: list[CreditMemo] = field(default_factory=list)          # sorted by (processed_at, id)
    memo_keys: list[datetime] = field(default_factory=list)
    invoice_by_id: dict[str, Invoice] = field(default_factory=dict)
    memo_by_id: dict[str, CreditMemo] = field(default_factory=dict)
    invoice_seq: dict[str, int] = field(default_factory=dict)
    memo_seq: dict[str, int] = field(default_factory=dict)


def _time(raw: str | None) -> datetime | None:
    """RFC 3339 with an offset (`Z` or `+hh:mm`); None when missing or malformed."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        return None
    return value.astimezone(timezone.utc) if value.tzinfo else None


class EnforeSim(DayByDay, VendorSim):
    name = "enfore"
    api_prefix = "/erp"
    port_offset = 3
    people_window = 0.3

    def __init__(self, *args, **kwargs):
        self.problem_rate = 0.002
        self.straggler_rate = 0.02
        self.late_processing_rate = 0.03
        self.void_rate = 0.04
        self.product_churn = 1.0
        self.max_offset: int | None = None
        self.token_ttl_s = 3600.0
        self.w = EnforeWorld()
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._listed: dict[str, int] = {}          # record id -> times listed (problem draws)
        self._deposit_ids: dict[str, str] = {}
        super().__init__(*args, **kwargs)
        #: served with `configure(schema_drift=True)` on invoices and credit memos: see `_drift`
        self.drift = SchemaDrift(self.seed, "enfore/documents", {"string_money": 0.08, "string_number": 0.1,
                                                                 "bare_number": 0.1, "unknown_enum": 0.06})

    # --- routes, auth, errors ----------------------------------------------------------
    def register_routes(self) -> None:
        org = f"{self.api_prefix}/org/{{org_id}}"
        self.route("GET", "/auth/authorize/{org_id}", self.authorize, public=True)
        self.route("GET", f"{org}/products", self.list_products)
        self.route("GET", f"{org}/products/{{product_id}}", self.get_product)
        self.route("GET", f"{org}/invoices", self.list_invoices)
        self.route("GET", f"{org}/invoices/{{invoice_id}}", self.get_invoice)
        self.route("GET", f"{org}/credit-memos", self.list_credit_memos)
        self.route("GET", f"{org}/credit-memos/{{memo_id}}", self.get_credit_memo)

    def problem(self, status: int, detail: str, on_resource: str | None = None,
                kind: str | None = None) -> web.Response:
        body = {"type": PROBLEM_BASE + (kind or TITLES.get(status, "error").lower().replace(" ", "-")),
                "title": TITLES.get(status, "Error"), "detail": detail}
        if on_resource:
            body["on_resource"] = on_resource
        return self.json(body, status=status, content_type="application/problem+json")

    def error(self, status: int, message: str) -> web.Response:
        return self.problem(status, message)

    def forbidden(self) -> web.Response:
        return self.problem(403, "Credentials missing or not sufficient")

    def authorize(self, request: web.Request, org_id: str) -> web.Response:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            app, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return self.forbidden()
        if scheme.lower() != "basic" or app != APP_NAME or secret != APP_SECRET or org_id != ORG_ID:
            return self.forbidden()
        n = len(self._tokens)
        token = "eot." + rng(self.seed, self.name, "token", n).getrandbits(192).to_bytes(24, "big").hex()
        self._tokens[token] = (org_id, self.now() + timedelta(seconds=self.token_ttl_s))
        return self.json({"accessToken": token})

    def authenticate(self, request: web.Request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        grant = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or self.now() >= grant[1]:
            return self.forbidden()
        org = request.path.split("/org/", 1)[-1].split("/", 1)[0]
        return None if org == grant[0] else self.forbidden()

    def credentials(self) -> dict:
        return {"org_id": ORG_ID, "app_name": APP_NAME, "app_secret": APP_SECRET}

    def configure(self, problem_rate: float | None = None, straggler_rate: float | None = None,
                  late_processing_rate: float | None = None, void_rate: float | None = None,
                  product_churn: float | None = None, max_offset: int | None = None,
                  token_ttl_s: float | None = None, schema_drift: bool | None = None) -> dict:
        """Knobs for tests. `problem_rate`, `max_offset`, `token_ttl_s` and `schema_drift`
        apply at once; the rates that shape records (stragglers, late processing, voids,
        catalog churn) apply to days generated from now on."""
        if schema_drift is not None:
            self.drift.enabled = bool(schema_drift)
        for name, value in (("problem_rate", problem_rate), ("straggler_rate", straggler_rate),
                            ("late_processing_rate", late_processing_rate), ("void_rate", void_rate),
                            ("product_churn", product_churn), ("token_ttl_s", token_ttl_s)):
            if value is not None:
                setattr(self, name, float(value))
        if max_offset is not None:
            self.max_offset = int(max_offset) if int(max_offset) > 0 else None
        return {"problem_rate": self.problem_rate, "straggler_rate": self.straggler_rate,
                "late_processing_rate": self.late_processing_rate, "void_rate": self.void_rate,
                "product_churn": self.product_churn, "max_offset": self.max_offset,
                "token_ttl_s": self.token_ttl_s, "schema_drift": self.drift.enabled}

    # --- world generation --------------------------------------------------------------
    def simulate_until(self, now: datetime) -> list[date]:
        new_days = super().simulate_until(now)
        if new_days:
            self.w.invoices.sort(key=lambda i: (i.processed_at, i.id))
            self.w.invoice_keys = [i.processed_at for i in self.w.invoices]
            self.w.memos.sort(key=lambda m: (m.processed_at, m.id))
            self.w.memo_keys = [m.processed_at for m in self.w.memos]
        return new_days

    def _new_product(self, r, at: datetime) -> Product:
        base = r.choice(BASE_PRODUCTS)
        variant = r.choice(VARIANTS)
        name = f"{base[0]} {variant}".strip()
        price = max(35, base[2] + r.choice([0, 0, 10, 20, 30, -10, 50, 100]))
        deposit = self._deposit_ids[base[3]] if base[3] else None
        return Product(id=hexid(r), article_id=str(r.randint(100000, 999999)), base=base,
                       tax_category=base[1], deposit_id=deposit, created_at=at,
                       versions=[(at, price, name)])

    def seed_world(self, at: datetime) -> None:
        r = rng(self.seed, self.name, "catalog")
        for key, (name, cents) in DEPOSITS.items():
            deposit = Product(id=hexid(r), article_id=f"9000{key}", base=(name, "STANDARD", cents, None, ""),
                              tax_category="STANDARD", deposit_id=None, created_at=at,
                              versions=[(at, cents, name)], is_deposit=True)
            self._deposit_ids[key] = deposit.id
            self.w.products[deposit.id] = deposit
        self.w.products.update((p.id, p) for p in initial_catalog(r, self.scale.products, at, self._new_product))

    def generate_day(self, day: date) -> None:
        r = rng(self.seed, self.name, "day", day.isoformat())
        start = datetime.combine(day, time(), timezone.utc)
        # catalog churn (deposits stay): price edits, hard deletions, new products
        for product in churn_day(
                r, (p for p in self.w.products.values() if not p.is_deposit), start, rate=self.product_churn,
                delete_below=0.003, edit_below=0.013, new_mean=0.004 * max(1, self.scale.products),
                new=self._new_product, edit=lambda r, v: (max(35, v[1] + r.choice([-20, -10, 10, 20, 30, 50])), v[2])):
            self.w.products[product.id] = product

        weekday_factor = (0.9, 0.95, 1.0, 1.05, 1.2, 1.3, 0.6)[day.weekday()]
        count = poisson(r, self.scale.orders_per_day * weekday_factor)
        # registers ring sales between 05:00 and 20:00 UTC
        times = sorted(start + timedelta(seconds=r.randint(5 * 3600, 20 * 3600 - 1)) for _ in range(count))
        end = start + timedelta(days=1)
        all_day, changing = [], []      # sellable the whole day / created or deleted during it
        for p in self.w.products.values():
            if p.is_deposit or p.created_at >= end or (p.deleted_at is not None and p.deleted_at <= start):
                continue
            whole = p.created_at <= start and (p.deleted_at is None or p.deleted_at >= end)
            (all_day if whole else changing).append(p)
        for at in times:
            live = all_day + [p for p in changing if p.visible(at)]
            if live:
                self._add_invoice(r, at, live)

    def _contacts(self, r) -> tuple[Contact | None, Contact | None, Person | None]:
        if r.random() < 0.55:                       # anonymous POS sale
            return None, None, None
        person = self.people.pick(r, self.people_window)
        individual = Contact(stable_hexid(self.seed, "individual", person.id), "individual", person.full_name)
        organization = (Contact(stable_hexid(self.seed, "organization", person.company), "organization",
                                person.company) if person.company else None)
        if organization and r.random() < 0.4:       # a business buyer: the organization buys and pays
            return organization, organization, person
        payer = organization if organization and r.random() < 0.15 else individual
        return individual, payer, person

    def _add_invoice(self, r, at: datetime, live: list[Product]) -> None:
        store = r.choices(STORES, STORE_WEIGHTS)[0]
        register_id, operator_id = r.choice(store.registers)
        customer, payer, person = self._contacts(r)
        lines: list[Line] = []
        for product in r.sample(live, min(len(live), 1 + min(5, poisson(r, 1.4)))):
            _, eur, name = product.version(at)
            unit_cents = chf_cents(eur) if store.currency == "CHF" else eur
            qty = r.choices([1, 2, 3, 4, 6], [70, 18, 6, 3, 3])[0]
            undiscounted = qty * unit_cents
            discount_name, gross = None, undiscounted
            if r.random() < 0.06:
                discount_name = "Mitarbeiterrabatt 10 %"
                gross = undiscounted - (undiscounted + 5) // 10
            code, rate = TAXES[(store.country, product.tax_category)]
            lines.append(Line(hexid(r), product.id, f"WWS-{product.article_id}", name, qty, unit_cents,
                              undiscounted, gross, code, rate, hexid(r), discount_name=discount_name))
            if product.deposit_id and product.deposit_id in self.w.products:
                deposit = self.w.products[product.deposit_id]
                _, dep_eur, dep_name = deposit.version(at)
                dep_unit = chf_cents(dep_eur) if store.currency == "CHF" else dep_eur
                code, rate = TAXES[(store.country, "STANDARD")]
                lines[-1].deposit_line = len(lines)
                lines.append(Line(hexid(r), deposit.id, None, dep_name, qty, dep_unit, qty * dep_unit,
                                  qty * dep_unit, code, rate, hexid(r), deposit_of=len(lines) - 1))
        processed = at + (timedelta(seconds=r.randint(3600, 30 * 3600)) if r.random() < self.late_processing_rate
                          else timedelta(seconds=r.randint(2, 15)))
        seq = self.w.invoice_seq[store.number] = self.w.invoice_seq.get(store.number, 0) + 1
        method = (r.choices([m for m, _ in PAYMENT_METHODS], [w for _, w in PAYMENT_METHODS])[0]
                  if not (customer and customer.kind == "organization" and r.random() < 0.5) else "ACCOUNT")
        invoice = Invoice(
            id=hexid(r), number=f"R-{store.number}-{seq:06d}", store=store, register_id=register_id,
            operator_id=operator_id, at=at, processed_at=processed, visible_at=self._visible(r, processed),
            customer=customer, payer=payer, person=person, lines=lines, sales_order_id=hexid(r),
            payment_id=hexid(r), payment_method=method, payment_at=at - timedelta(seconds=r.randint(2, 40)))
        if r.random() < self.void_rate:
            invoice.memo = self._plan_void(r, invoice)
            self.w.memos.append(invoice.memo)
            self.w.memo_by_id[invoice.memo.id] = invoice.memo
        self.w.invoices.append(invoice)
        self.w.invoice_by_id[invoice.id] = invoice

    def _visible(self, r, processed: datetime) -> datetime:
        if r.random() < self.straggler_rate:
            return processed + timedelta(seconds=r.randint(600, 20 * 3600))
        return processed + timedelta(seconds=r.randint(0, 3))

    def _plan_void(self, r, invoice: Invoice) -> CreditMemo:
        """A void of the whole invoice, or of one main line with its deposit line."""
        mains = [i for i, ln in enumerate(invoice.lines) if ln.deposit_of is None]
        full = len(mains) < 2 or r.random() < 0.7
        if full:
            indices = tuple(range(len(invoice.lines)))
        else:
            main = r.choice(mains)
            deposit = invoice.lines[main].deposit_line
            indices = (main,) if deposit is None else (main, deposit)
        delay = timedelta(seconds=r.randint(120, 1800)) if r.random() < 0.55 \
            else timedelta(seconds=r.randint(86400, 10 * 86400))
        at = max(invoice.at, invoice.visible_at) + delay
        processed = at + timedelta(seconds=r.randint(2, 10))
        seq = self.w.memo_seq[invoice.store.number] = self.w.memo_seq.get(invoice.store.number, 0) + 1
        return CreditMemo(id=hexid(r), number=f"G-{invoice.store.number}-{seq:06d}", invoice=invoice, at=at,
                          processed_at=processed, visible_at=self._visible(r, processed),
                          line_indices=indices, full=full, payment_id=hexid(r),
                          line_ids=tuple(hexid(r) for _ in indices))

    # --- rendering ------------------------------------------------------------------------
    def _party(self, contact: Contact) -> dict:
        if contact.kind == "organization":
            return {"organization": contact.id, "organization_name": contact.name}
        return {"individual": contact.id, "individual_name": contact.name}

    def _address(self, invoice: Invoice) -> dict:
        p = invoice.person
        recipient = invoice.customer.name if invoice.customer.kind == "organization" else p.full_name
        street, _, number = p.street.rpartition(" ")
        country = COUNTRY_NAMES.get(p.country, p.country)
        return {"full_address": f"{recipient}, {p.street}, {p.postcode} {p.city}, {country}",
                "recipient_name": recipient, "street_name": street, "street_number": number,
                "city": p.city, "zip": p.postcode, "country_code": p.country}

    @staticmethod
    def _tax_amounts(lines: list[Line], currency: str) -> tuple[int, list[dict]]:
        by_code: dict[str, list[int]] = {}
        for ln in lines:
            sums = by_code.setdefault(ln.tax_code, [0, 0])
            sums[0] += ln.gross_cents * 10_000
            sums[1] += ln.net
        rows = [{"tax": code, "taxed_net_amount": money6(net, currency), "tax_amount": money6(gross - net, currency)}
                for code, (gross, net) in by_code.items()]
        return sum(net for _, net in by_code.values()), rows

    def _void_information(self, memo: CreditMemo, line: Line) -> list[dict]:
        return [{"voided_on": ts(memo.at), "voided_quantity": pieces(line.qty),
                 "voided_number_of_sales_units": line.qty, "void_reason": VOID_REASON}]

    def _item(self, line: Line, inv: Invoice, memo: CreditMemo | None, item_id: str,
              on_invoice: bool) -> dict:
        """An invoice item, or (`on_invoice` False) the credit memo's copy of it, which lacks
        the undiscounted amounts and the old `discounts` list."""
        currency, lines = inv.currency, inv.lines
        item = {"id": item_id, "type": "UNSPECIFIED", "name": line.name, "product_id": line.product_id}
        if line.external_id:
            item["product_external_id"] = line.external_id
        item["quantity"] = pieces(line.qty)
        item["gross_amount"] = money(line.gross_cents, currency)
        item["net_amount"] = money6(line.net, currency)
        if on_invoice:
            item["undiscounted_gross_amount"] = money(line.undiscounted_cents, currency)
            item["undiscounted_net_amount"] = money6(line.undiscounted_net, currency)
        item["standard_price_and_unit"] = {"price_per_unit": money(line.unit_cents, currency), "unit": pieces(1)}
        if on_invoice:
            item["discounts"] = [] if line.discount_name is None else [{
                "name": line.discount_name,
                "gross_amount": money(line.undiscounted_cents - line.gross_cents, currency),
                "net_amount": money6(line.undiscounted_net - line.net, currency)}]
        if line.discount_name is not None:
            item["applied_discounts"] = [{"description": line.discount_name, "type": "MANUAL",
                                          "amount": money(line.undiscounted_cents - line.gross_cents, currency)}]
        item["taxes"] = [line.tax_code]
        item["depending_items"] = [] if line.deposit_line is None else [{
            "depending_item_id": lines[line.deposit_line].id, "dependency_type": "DEPOSIT",
            "extra_charge_type": "DEPOSIT"}]
        if memo is not None:
            item["void_information"] = self._void_information(memo, line)
        item["sales_order_line_items"] = [{"sales_order_id": inv.sales_order_id, "sales_order_type": "ORDER",
                                           "line_item_id": line.order_line_id}]
        return item

    def _head(self, doc_id: str, invoice: Invoice, number: str, at: datetime, processed: datetime) -> dict:
        data = {"id": doc_id, "store_id": invoice.store.id, "register_id": invoice.register_id,
                "operator_id": invoice.operator_id, "number": number,
                "transaction_date_and_time": ts(at), "issued_date_and_time": ts(at),
                "processed_date_and_time": ts(processed)}
        if invoice.customer is not None:
            data["customer_information"] = self._party(invoice.customer)
            data["payer_information"] = self._party(invoice.payer)
            data["invoice_address"] = self._address(invoice)
        return data

    def invoice_json(self, inv: Invoice, now: datetime) -> dict:
        memo, cur = inv.void(now), inv.currency
        data = self._head(inv.id, inv, inv.number, inv.at, inv.processed_at)
        net, taxes = self._tax_amounts(inv.lines, cur)
        voided = set(memo.line_indices) if memo else set()
        items = [self._item(ln, inv, memo if i in voided else None, ln.id, True) for i, ln in enumerate(inv.lines)]
        payment = {"payment_id": inv.payment_id, "method": inv.payment_method}
        if inv.payment_method == "CREDIT_CARD":
            payment["credit_card_type"] = "VISA" if int(inv.payment_id[-1], 16) % 2 else "MASTERCARD"
        payment.update({"amount": money(inv.gross_cents, cur), "timestamp": ts(inv.payment_at),
                        "register_id": inv.register_id, "operator_id": inv.operator_id})
        data.update({
            "total_gross_amount": money(inv.gross_cents, cur), "total_net_amount": money6(net, cur),
            "tax_amounts": taxes, "items": items, "payments": [payment], "discounts": [],
            "has_loyalty_program_data": False, "has_external_promotion_program_data": False,
            "sales_orders": [inv.sales_order_id]})
        if memo is not None and memo.full:
            data["void_reason"] = VOID_REASON
        return self._drift(data, self.drift.kind(inv.id)) if self.drift.enabled else data

    def memo_json(self, memo: CreditMemo, now: datetime) -> dict:
        inv, cur = memo.invoice, memo.invoice.currency
        data = self._head(memo.id, inv, memo.number, memo.at, memo.processed_at)
        lines = memo.lines
        net, taxes = self._tax_amounts(lines, cur)
        items = [self._item(ln, inv, memo, item_id, False) for ln, item_id in zip(lines, memo.line_ids, strict=True)]
        data.update({
            "total_gross_amount": money(memo.gross_cents, cur), "total_net_amount": money6(net, cur),
            "tax_amounts": taxes, "items": items,
            "payments": [{"payment_id": memo.payment_id, "method": "CASH", "amount": money(memo.gross_cents, cur),
                          "timestamp": ts(memo.at - timedelta(seconds=2)), "register_id": inv.register_id,
                          "operator_id": inv.operator_id}],
            "has_loyalty_program_data": False, "has_external_promotion_program_data": False,
            "invoices": [inv.id], "sales_orders": [inv.sales_order_id], "void_reason": VOID_REASON,
            "reasons": ["CUSTOMER_CANCEL"]})
        return self._drift(data, self.drift.kind(memo.id)) if self.drift.enabled else data

    @staticmethod
    def _drift(data: dict, kind: str | None) -> dict:
        """Every document gains a field the document does not know (a fiscal register's
        transaction number); some send a Money value as a numeric string (readable), their
        items' amounts as bare numbers without the `{value, unit}` object (readable: the unit
        is the document's), the total as a formatted string (unreadable), or a payment method
        the document's enum does not list."""
        data["fiscal_transaction_number"] = int(data["id"][:6], 16)
        total = data["total_gross_amount"]
        if kind == "string_number":
            total["value"] = f"{total['value']:.2f}"
            for item in data["items"]:
                item["gross_amount"]["value"] = f"{item['gross_amount']['value']:.2f}"
        elif kind == "bare_number":
            for item in data["items"]:
                item["gross_amount"], item["net_amount"] = item["gross_amount"]["value"], item["net_amount"]["value"]
        elif kind == "string_money":
            data["total_gross_amount"] = f"{total['value']:.2f} {total['unit']}"
        elif kind == "unknown_enum":
            for payment in data["payments"]:
                payment["method"] = "TWINT"
        return data

    def product_json(self, p: Product, now: datetime) -> dict:
        _, price, name = p.version(now)
        data = {"id": p.id, "type": "INVENTORY_PRODUCT", "name": name}
        if not p.is_deposit:
            data["external_id"] = f"WWS-{p.article_id}"
        data.update({
            "sales_types": ["OTC"], "article_id": p.article_id, "management_unit": "QUANTITY_PIECES",
            "sales_quantity": pieces(1), "enabled_sales_quantity_sources": ["MANUAL", "BARCODE"],
            "sales_price_and_quantity": {"price": money(price, "EUR"), "take_away_price": money(price, "EUR"),
                                         "price_is_gross": True, "quantity": pieces(1)},
            "enabled_sales_price_sources": ["API", "MANUAL"],
            "block_sales": False, "exclude_from_discounts": p.is_deposit,
            "disable_manual_sales_price_adjustment": p.is_deposit,
            "product_identifiers": [{"type": "EAN", "value": f"400{int(p.id[:10], 16) % 10**10:010d}"}],
            "tax_category": p.tax_category, "not_taxable": False,
            "sales_category": SALES_CATEGORIES[p.tax_category],
            "track_inventory": not p.is_deposit,
            "extra_charge_type": "DEPOSIT" if p.is_deposit else "NONE",
            "intended_use": ["SELL"], "manual_rough_stock_indicator": "GREEN",
        })
        if p.base[4]:
            data["manufacturer"] = p.base[4]
        return data

    # --- handlers ------------------------------------------------------------------------
    def _paging(self, request: web.Request, status: int, cap: int | None) -> tuple[int, int] | web.Response:
        try:
            limit = int(request.query.get("limit", "200"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return self.problem(status, "limit and offset must be integers")
        if not 1 <= limit <= 5000:
            return self.problem(status, f"limit must be between 1 and 5000, not {limit}")
        if offset < 0:
            return self.problem(status, f"offset must not be negative, not {offset}")
        if self.max_offset is not None and offset > self.max_offset:
            return self.problem(status, f"offset must not exceed {self.max_offset}; use smaller intervals")
        return (min(limit, cap) if cap else limit), offset

    def _resource_url(self, request: web.Request, kind: str, record_id: str) -> str:
        return f"{request.url.origin()}{self.api_prefix}/org/{ORG_ID}/{kind}/{quote(record_id)}"

    def _page(self, request: web.Request, entries: list, kind: str, render) -> web.Response:
        """`{items, problems}`: an entry that fails to render is reported as a problem."""
        items, problems = [], []
        now = self.now()
        for record in self.page_items(request, entries):
            seen = self._listed[record.id] = self._listed.get(record.id, 0) + 1
            if self.problem_rate and unit(self.seed, "problem", record.id, seen) < self.problem_rate:
                problems.append({"type": PROBLEM_BASE + "item-unavailable", "title": "Item could not be loaded",
                                 "detail": f"{kind} {record.id} could not be loaded; request it on its own",
                                 "on_resource": self._resource_url(request, kind, record.id)})
            else:
                items.append(render(record, now))
        return self.json({"items": items, "problems": problems})

    def list_products(self, request: web.Request, org_id: str) -> web.Response:
        paging = self._paging(request, 422, None)
        if isinstance(paging, web.Response):
            return paging
        limit, offset = paging
        now = self.now()
        article = request.query.get("article_id")
        live = [p for p in self.w.products.values()
                if p.visible(now) and (article is None or p.article_id == article)]
        live.sort(key=lambda p: p.id)
        return self._page(request, live[offset: offset + limit], "products", self.product_json)

    def get_product(self, request: web.Request, org_id: str, product_id: str) -> web.Response:
        p = self.w.products.get(product_id)
        if p is None or not p.visible(self.now()):
            return self.problem(404, f"No product with ID {product_id} exists in organization {org_id}",
                                self._resource_url(request, "products", product_id), "not-found")
        return self.json(self.product_json(p, self.now()))

    def _list_documents(self, request: web.Request, records: list, keys: list[datetime], kind: str,
                        render) -> web.Response:
        start, end = _time(request.query.get("from")), _time(request.query.get("to"))
        for name, value in (("from", start), ("to", end)):
            if value is None:
                return self.problem(400, f"query parameter '{name}' is required: an RFC 3339 date-time "
                                         "with time offset, e.g. 2017-07-21T17:32:28.123Z")
        if start >= end:
            return self.problem(400, "'from' must be before 'to' (the interval is [from, to))")
        paging = self._paging(request, 400, DOCUMENT_LIMIT)
        if isinstance(paging, web.Response):
            return paging
        limit, offset = paging
        now = self.now()
        lo, hi = bisect.bisect_left(keys, start), bisect.bisect_left(keys, end)
        entries, skipped = [], 0
        for i in range(lo, hi):
            record = records[i]
            if record.visible_at > now:
                continue
            if skipped < offset:
                skipped += 1
                continue
            entries.append(record)
            if len(entries) == limit:
                break
        return self._page(request, entries, kind, render)

    def list_invoices(self, request: web.Request, org_id: str) -> web.Response:
        return self._list_documents(request, self.w.invoices, self.w.invoice_keys, "invoices", self.invoice_json)

    def list_credit_memos(self, request: web.Request, org_id: str) -> web.Response:
        return self._list_documents(request, self.w.memos, self.w.memo_keys, "credit-memos", self.memo_json)

    def _get_document(self, request: web.Request, org_id: str, record_id: str, by_id: dict, kind: str,
                      render) -> web.Response:
        record = by_id.get(record_id)
        if record is None or record.visible_at > self.now():
            label = kind.replace("-", " ").rstrip("s")
            return self.problem(404, f"No {label} with ID {record_id} exists in organization {org_id}",
                                self._resource_url(request, kind, record_id), "not-found")
        return self.json(render(record, self.now()))

    def get_invoice(self, request: web.Request, org_id: str, invoice_id: str) -> web.Response:
        return self._get_document(request, org_id, invoice_id, self.w.invoice_by_id, "invoices", self.invoice_json)

    def get_credit_memo(self, request: web.Request, org_id: str, memo_id: str) -> web.Response:
        return self._get_document(request, org_id, memo_id, self.w.memo_by_id, "credit-memos", self.memo_json)

    # --- ground truth ----------------------------------------------------------------------
    def truth(self) -> dict:
        """Documents dated by their transaction time; a void's credit memo counts negative on
        its own date and the voided invoice keeps counting on its date."""
        now = self.now()
        invoices = [i for i in self.w.invoices if i.visible_at <= now]
        memos = [m for m in self.w.memos if m.visible_at <= now]
        docs = [TruthDocument(i.id, i.at, i.currency, i.gross_cents, i.units, False, True,
                              i.customer.id if i.customer else None, i.status(now)) for i in invoices]
        docs += [TruthDocument(m.id, m.at, m.invoice.currency, -m.gross_cents, -m.units, True, True,
                               m.invoice.customer.id if m.invoice.customer else None, "credit_memo")
                 for m in memos]
        contacts = {c.id for i in invoices for c in (i.customer, i.payer) if c is not None}
        made = [p for p in self.w.products.values() if p.created_at <= now]
        late = [{"id": i.id, "transaction_at": i.at.isoformat(), "processed_at": i.processed_at.isoformat(),
                 "visible_at": i.visible_at.isoformat()}
                for i in invoices if i.processed_at - i.at > timedelta(hours=1)
                or i.visible_at - i.processed_at > timedelta(minutes=5)]
        return truth_payload(
            self.name, now, docs,
            customers=len(contacts),
            products_active=[p.id for p in made if p.visible(now)],
            products_deleted=[p.id for p in made if not p.visible(now)],
            lines=sum(len(i.lines) for i in invoices) + sum(len(m.line_indices) for m in memos),
            invoices={"count": len(invoices), "processed_at": {i.id: i.processed_at.isoformat() for i in invoices}},
            credit_memos={"count": len(memos), "invoice_of": {m.id: m.invoice.id for m in memos}},
            late_arrivals=late,
            drift=self.drift.report([i.id for i in invoices] + [m.id for m in memos]),
            contacts={"individual": sorted({c.id for i in invoices for c in (i.customer, i.payer)
                                            if c is not None and c.kind == "individual"}),
                      "organization": sorted({c.id for i in invoices for c in (i.customer, i.payer)
                                              if c is not None and c.kind == "organization"})},
        )
