"""Yodify API (B2B commerce) as a dlt source.

Readings of the Yodify API reference (OAuth2 scope `yodify`; the published reference prints no
URL of its own, so its sections are cited by their headings, e.g. "Retrieve a List of Orders");
the sandbox serves the same readings:
- Auth: OAuth2 client credentials (scope `yodify`) at `token_url`, a config value; the
  document lost its flow and token URL, so `/connect/token` on the base URL's host is the
  default (a relative `token_url` is taken on that host). The token is fetched lazily and
  renewed once when the API refuses it (401). A refused client gets one actionable line
  naming `client_secret`.
- Lists: `Page` (1-based) and `Limit` (at most 100). Both documented shapes are accepted on
  every list: the envelope (`has_more`, `total_items`: page count known after page 1, the
  rest fetched concurrently) and bare arrays (Products, Orders, Brands, Shipments: paged
  concurrently until a page is shorter than `Limit`). Array parameters are repeated keys.
- Orders (there is no "changed since" filter and no modified stamp on an order):
  1. new orders by `SinceId` = the highest id loaded (ids ascend with creation, so late
     entries with an old `ordered_date` are found too); the first sync lists everything
     from `start_date` (`CreatedOnMin`, which filters `ordered_date`);
  2. open orders (any status before Complete/Cancelled/Refunded/RefundRejected, and
     RefundRequested) are re-fetched by `Ids` in batches of `Limit` on every sync, however
     old they are; an open id that no longer comes back was deleted at Yodify and is
     dropped from the watch list (its row stays);
  3. a look-back, `CreatedOnMin` = the earlier of the last successful sync and the vendor's
     clock (its Date header), minus `late_change_window_days`, narrowed by `Statuses` to the
     refund statuses: the only way a closed (Complete) order changes. Anchored to the last
     sync too (`sources.common.lookback`), so a refund made during a gap of any length is
     read: orders placed before `last sync - window` had settled by then. The cost grows
     with the gap only by the refund-status orders it spans (a filtered listing). Full
     reloads are not needed for statuses; an edit of another field of a closed order older
     than the window is not seen (no API signal). A state written before the last sync's
     time was kept re-reads the refund statuses from `start_date` once (its earlier runs
     looked back from now only and may have missed some).
  Re-fetched orders that did not change since they were loaded are skipped (`ChangeFilter`,
  versions of watched orders only), so a sync without vendor changes loads nothing. Items,
  the customer snapshot, both addresses and the shipments travel inside the order and are
  replaced with it. With `end_date` set (a backfill) the window `[start_date, end_date)` is
  listed by `CreatedOnMin/Max` and no state is touched.
- Money: the document's doubles as exact decimals (DECIMAL(24,6) raw: its own example has
  three decimals). Two currencies per order: `currency_code` is the customer's and the
  marts' document currency (`total` is what the customer pays, `subtotal + freight + tax`;
  `subtotal` is after discounts: line prices are final, `discount` is what they saved);
  `seller_currency_code` (the store's) and the `seller_*` amounts and `exchange_rate` stay
  as extra columns. `transaction_fee` is the seller's card fee, not part of `total`.
- Customers: the raw `customers` table holds the buyers named on orders (`Order.customer`,
  no endpoint of its own); `customer_id` is a GUID, equal to an AccountUser's id for account
  members (the document never says so; its types and examples suggest it). `accounts` and
  `account_users` are SCD2 full snapshots (a hard-deleted user's row is retired, not lost):
  accounts from `/Accounts`, users from their own `/AccountUsers` (one row per user). The
  users an account embeds (`user_accounts`, asked for with `Expand=user_accounts`) land as
  the `account_memberships` link table (account_id, user_id; SCD2), so a user embedded under
  several accounts is one user with several memberships.
  The marts' Yodify customer is one buyer identity: every account user, plus every other
  customer id seen on an order (a guest, or a user deleted before we saw them).
- Products: a full SCD2 snapshot (brand expanded). SKUs carry price and stock: the whole
  SKU list is paged every sync (there is no filter on `modified_on`), rows whose
  `modified_on` did not move are dropped client-side (dlt incremental), and because the
  listing is complete anyway, its ids land in `sku_ids` as an SCD2 snapshot: a retired id is
  a SKU deleted at Yodify. (Loading all SKU rows as SCD2 would cost the same requests but
  rewrite the catalog on every edit; the id snapshot is the cheap way to see deletions.)
- Every documented field of a loaded record lands (typed column, child table or JSON column;
  `helpers.*_AS_SENT` are kept as sent), except, deliberately (`NOT_LOADED`): `object` (the
  record type's constant tag) and `client_identifier` (an echo of the caller's id on write
  requests; this sync writes nothing) on every record; references to other records that are
  null unless expanded and whose id is loaded beside them: an order item's `sku` and
  `product`, a SKU's `product`, `brand`, `shipping_rate`, `address` and `quantity_discount`,
  a product's `quantity_discount`, an account's `discount_level`, an account user's
  `discount_level` and `account`; and a child's `order_id` (its parent order, `_dlt_parent_id`).
  A product's expanded `brand` lands as `brand_name` (`brand_id` beside it). Not read: the
  document's Brands, Carriers, Shipments list (shipments come inside their orders), Quotes,
  QuoteDocuments, Addresses, DiscountLevels, QuantityDiscounts, ShippingRates, AddOns and
  every write operation: the marts need none of them.
- Snapshots are held in memory (catalogs, accounts: small next to orders, which stream); a
  snapshot whose listing changed while paging (repeated ids, or `total_items` disagrees) is
  skipped for that run rather than retiring rows by mistake.
- Ends of listings: envelope lists say `total_items`, so a page shorter than it requires is a
  hole, read again; one that stays short is a gap: a snapshot is skipped (nothing retired),
  an order listing stops there, and the run fails naming it; the next run reads it again.
  Bare arrays (Products, Orders) give no evidence: a page shorter than `Limit` is the end,
  and an empty one (the first one too) is read `EMPTY_PAGE_CONFIRMATIONS` more times before
  it is believed. A false end there cannot lose an order: orders are listed in id order and
  `SinceId` is the highest id read, so the next run continues after it; a false empty
  Products list that follows a non-empty one is refused by the snapshot guard.
- Schema drift (`sources.common.quarantine`): fields the document does not list arrive as
  columns (orders). Readable: a double sent as a plain numeric string ("525.23"), an
  `order_status` outside the enum (loaded as sent; the marts leave its status NULL and
  `unmapped_vendor_statuses` names it; the order stays watched like an open one).
  Unreadable, to `raw_yodify.quarantine` with the reason and payload: a number that does not
  parse ("525,23"), an object or string where the document has an array (`items`,
  `shipments`) or an object (`customer`, addresses), a timestamp that is not one, a missing
  `id` or `ordered_date`. A quarantined order is re-fetched by id on every sync (SinceId has
  passed it) and loads, leaving the quarantine, once Yodify serves it readable. A quarantined
  product, account or user keeps its last loaded version (it is not retired) until it reads;
  a quarantined SKU loads once it reads (the whole SKU list is read on every sync).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Optional
from urllib.parse import urljoin

import dlt

from ..common.changes import ChangeFilter, snapshot_changed
from ..common.hints import BIGINT, JSON, MONEY6, TEXT, UTC_TS, columns
from ..common.http import RunMetrics, TokenAuth, VendorClient, check_base_url
from ..common.lookback import Horizon
from ..common.paging import Gaps, until_gap
from ..common.quarantine import Quarantine, readable_rows, snapshot_items
from ..common.redact import register_secret
from ..common.timeutil import window_bounds
from . import settings as S
from .helpers import (
    ADDRESS_FIELDS,
    ITEM_AS_SENT,
    ORDER_AS_SENT,
    PRODUCT_AS_SENT,
    SHIPMENT_AS_SENT,
    SKU_AS_SENT,
    Listing,
    account_row,
    account_user_row,
    customers_of,
    fetch_by_ids,
    is_open,
    log,
    order_row,
    product_row,
    record_id,
    sku_row,
    snapshot,
    token_fetcher,
    version_of,
)
from .settings import VENDOR, Settings

_TAGS = {"object": "the record type's constant tag",
         "client_identifier": "an echo of the caller's id on write requests; this sync writes nothing"}
_REFERENCE = "a reference to another record, null unless expanded; its id is loaded beside it"
#: documented fields of loaded records that are deliberately not loaded (see the docstring)
NOT_LOADED = {
    "orders": dict(_TAGS),
    "items": {**_TAGS, "sku": _REFERENCE, "product": _REFERENCE, "order_id": "the parent order (_dlt_parent_id)"},
    "shipments": {**_TAGS, "order_id": "the parent order (_dlt_parent_id)"},
    "customer": {"object": _TAGS["object"]},
    "products": {**_TAGS, "quantity_discount": _REFERENCE},
    "skus": {**_TAGS, **{f: _REFERENCE for f in ("product", "brand", "shipping_rate", "address",
                                                 "quantity_discount")}},
    "accounts": {**_TAGS, "discount_level": _REFERENCE},
    "account_users": {**_TAGS, "discount_level": _REFERENCE, "account": _REFERENCE},
}
RESOURCES = ("products", "orders", "customers", "skus", "sku_ids", "accounts", "account_users", "account_memberships")
#: resources whose rows are placed in time, so a backfill window applies to them
WINDOWED_RESOURCES = ("orders", "customers")
#: transformer -> the resource it reads from (`data_from`): a selection takes both along
TRANSFORMERS = {"customers": "orders", "skus": "sku_listing", "sku_ids": "sku_listing",
                "accounts": "account_listing", "account_memberships": "account_listing"}

ORDER_MONEY = {f: MONEY6 for f in ("subtotal", "freight", "tax", "discount", "transaction_fee", "total",
                                   "exchange_rate", "tax_rate")}
SCD2 = {"disposition": "merge", "strategy": "scd2"}


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dlt.source(name=VENDOR, section=VENDOR, max_table_nesting=1)
def source(
    base_url: str = dlt.config.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    token_url: str = Settings.token_url,
    scope: str = Settings.scope,
    start_date: Optional[str] = Settings.start_date,
    end_date: Optional[str] = None,
    present_from: Optional[str] = None,
    page_size: int = Settings.page_size,
    late_change_window_days: float = Settings.late_change_window_days,
    max_workers: int = Settings.max_workers,
    request_timeout_s: float = Settings.request_timeout_s,
    max_attempts: int = Settings.max_attempts,
    gaps: Optional[Gaps] = None,
    metrics: Optional[RunMetrics] = None,
):
    """Products, SKUs (and their id snapshot), orders (items, customer, addresses, shipments),
    the customers named on orders, accounts and account users. `start_date`/`end_date` bound
    the orders window: with `end_date` set the run is a backfill and leaves the state alone.
    `gaps` (the run's) collects listing holes; without it a hole fails the run.
    `metrics` (the run's) counts its requests. `present_from` (set by `pipelines.history`)
    starts the windowed resources there instead of `start_date`: the history before it loads
    in slices."""
    cfg = Settings.checked(locals())
    start, end = window_bounds(VENDOR, present_from or cfg.start_date, end_date)
    base = check_base_url(VENDOR, base_url, cfg.setting("base_url"))
    token_endpoint = check_base_url(VENDOR, urljoin(base + "/", cfg.token_url), cfg.setting("token_url"))
    secret = str(client_secret).strip()
    register_secret(secret)
    auth = TokenAuth(lambda: fetch_token(), setting=cfg.setting("client_secret"))
    client = VendorClient(VENDOR, base, auth, policy=cfg.retry_policy(), pool_size=max(4, 2 * cfg.max_workers),
                          metrics=metrics)
    fetch_token = token_fetcher(client, token_endpoint, str(client_id).strip(), secret, cfg.scope,
                                cfg.setting("client_secret"))
    size, workers = cfg.page_size, cfg.max_workers

    def listing(resource: str, path: str, **params) -> Listing:
        return Listing(client.for_resource(resource), path, params, page_size=size, workers=workers)

    @dlt.resource(write_disposition="merge", primary_key="id",
                  columns=columns(ordered_date=UTC_TS, **ORDER_MONEY,
                                  **{f"seller_{f}": MONEY6 for f in ("subtotal", "freight", "tax", "discount",
                                                                     "transaction_fee", "total")},
                                  purchase_order_number=TEXT, customer__account_id=BIGINT,
                                  customer__account_name=TEXT, customer__account_number=TEXT,
                                  customer__company_name=TEXT, customer__discount_level_id=BIGINT,
                                  customer__discount_level_name=TEXT,
                                  **{f"{a}__{f}": TEXT for a in ("shipping_address", "billing_address")
                                     for f in ADDRESS_FIELDS}, **ORDER_AS_SENT),
                  nested_hints={
                      "items": {"columns": {**columns(price_per_unit=MONEY6, seller_price_per_unit=MONEY6),
                                            **ITEM_AS_SENT}},
                      "shipments": {"columns": {**columns(created_on=UTC_TS, shipped_date=UTC_TS,
                                                          estimated_delivery_date=UTC_TS, carrier=TEXT,
                                                          tracking_number=TEXT, items=JSON), **SHIPMENT_AS_SENT}},
                  })
    def orders() -> Iterator[list]:
        scoped = client.for_resource("orders")
        expand = {"Expand": list(S.ORDER_EXPAND)}
        if end is not None:                                   # backfill: a window, no state
            quarantine = Quarantine("orders")
            window = {"CreatedOnMax": _iso(end), **({"CreatedOnMin": _iso(start)} if start else {})}
            for page in until_gap(gaps, "orders", Listing(scoped, "/Orders", {**window, **expand}, page_size=size,
                                                          workers=workers)):
                rows, quarantined = quarantine.split(page, order_row, record_id)
                yield from filter(None, (quarantined, [r for r in rows if r["ordered_date"] < end]))
            return
        watch = OrderWatch(dlt.current.resource_state(), Quarantine("orders", dlt.current.source_state()))
        horizon = Horizon(dlt.current.resource_state())
        scoped.auth.headers()           # the token request, if none yet, tells the vendor's clock
        read_from = scoped.server_now() or datetime.now(timezone.utc)      # before any order is read
        if watch.max_id is None:                              # first sync: everything since start_date
            since = {"CreatedOnMin": _iso(start)} if start else {}
            for page in until_gap(gaps, "orders", Listing(scoped, "/Orders", {**since, **expand}, page_size=size,
                                                          workers=workers)):
                yield from watch.read(page, scoped.server_now())
            watch.save()
            horizon.mark(read_from)
            return
        # short listings from here on: one page at a time, so no request goes past the end
        for page in until_gap(gaps, "orders", Listing(scoped, "/Orders", {"SinceId": watch.max_id, **expand},
                                                      page_size=size, workers=1)):
            yield from watch.read(page, scoped.server_now())
        asked = watch.refetch_ids()
        returned: set = set()
        for page in fetch_by_ids(scoped, "/Orders", asked, expand, batch=size, workers=workers):
            returned.update(record_id(o) for o in page if isinstance(o, dict))
            yield from watch.read(page, scoped.server_now())
        watch.forget(set(asked) - returned)
        now = scoped.server_now() or datetime.now(timezone.utc)
        # from the last sync as well as from now: a refund made during a long gap is found too
        window_start = horizon.window_start(now, timedelta(days=cfg.late_change_window_days))
        if horizon.last_sync is None and start:
            # a state from before the last sync's time was kept: its look-backs were measured
            # from now only and may have missed refunds, so this run re-reads them from the start
            window_start = start
        window_start = max(window_start, start) if start else window_start     # nothing before start_date
        watch.prune(window_start)
        for page in until_gap(gaps, "orders", Listing(scoped, "/Orders", {"CreatedOnMin": _iso(window_start),
                                                                          "Statuses": list(S.REFUND_STATUSES),
                                                                          **expand}, page_size=size, workers=1)):
            yield from watch.read(page, now)
        watch.save()
        horizon.mark(read_from)

    seen_customers: dict[str, str] = {}

    @dlt.transformer(data_from=orders, write_disposition="merge", primary_key="id",
                     columns=columns(account_id=BIGINT, account_name=TEXT, account_number=TEXT, company_name=TEXT,
                                     discount_level_id=BIGINT, discount_level_name=TEXT))
    def customers(order_rows: list) -> Iterator[list]:
        """The buyers named on the orders of this run (Order.customer), each snapshot once."""
        readable = readable_rows(order_rows)
        if not readable:            # a page of quarantined orders
            return
        rows = []
        for row in customers_of(readable):
            version = version_of(row)
            if seen_customers.get(row["id"]) != version:
                seen_customers[row["id"]] = version
                rows.append(row)
        yield rows

    @dlt.resource(write_disposition=SCD2, primary_key="id",
                  columns={**columns(created_on=UTC_TS, brand_name=TEXT), **PRODUCT_AS_SENT})
    def products() -> Iterator[list]:
        """Full snapshot each run (no modified stamp on a product); deletions retire rows."""
        records = snapshot(listing("products", "/Products", Expand=list(S.PRODUCT_EXPAND)), gaps, "products")
        if records is not None:
            yield from snapshot_items("products", records, product_row, record_id)

    @dlt.resource(selected=False)
    def sku_listing() -> Iterator[list]:
        """The complete SKU list, read once per run for `skus` and `sku_ids`."""
        records = snapshot(listing("skus", "/SKUs"), gaps, "skus")
        if records is not None:
            yield records

    @dlt.transformer(data_from=sku_listing, write_disposition="merge", primary_key="id",
                     columns={**columns(list_price=MONEY6, sale_price=MONEY6, inventory=MONEY6, created_on=UTC_TS,
                                        modified_on=UTC_TS, sale_start_date=UTC_TS, sale_end_date=UTC_TS),
                              **SKU_AS_SENT})
    def skus(records: list, modified_on=dlt.sources.incremental("modified_on", range_start="closed",
                                                                on_cursor_value_missing="include")) -> Iterator[list]:
        """SKUs whose `modified_on` moved since the last sync (the filter is client-side), and
        the SKUs quarantined earlier that read now (a fix need not move `modified_on`)."""
        quarantine = Quarantine("skus", dlt.current.source_state())
        rows, quarantined = quarantine.split(records, sku_row, record_id)
        yield from filter(None, (quarantined, rows))
        released = [r for r in rows if str(r["id"]) in quarantine.released]
        if released:                # behind the cursor, maybe: loaded unfiltered
            modified_on.advance(None)
            yield released

    @dlt.transformer(data_from=sku_listing, write_disposition=SCD2, primary_key="id")
    def sku_ids(records: list) -> Iterator[list]:
        """The ids of the complete SKU list (readable or not): a retired id is a SKU deleted at Yodify."""
        ids = [{"id": r["id"]} for r in records]
        if snapshot_changed(dlt.current.resource_state(), "snapshot_sha256", ids):
            yield ids

    @dlt.resource(selected=False)
    def account_listing() -> Iterator[list]:
        """The complete account list, read once per run for `accounts` and
        `account_memberships`. `Expand=user_accounts` asks for the users an account embeds
        (the document lists no Expand values; `user_accounts` is the property's name)."""
        records = snapshot(listing("accounts", "/Accounts", Expand=["user_accounts"]), gaps, "accounts")
        if records is not None:
            yield records

    @dlt.transformer(data_from=account_listing, write_disposition=SCD2, primary_key="id",
                     columns=columns(created_on=UTC_TS, custom_payment_terms=TEXT, street2=TEXT, state_code=TEXT))
    def accounts(listed: list) -> Iterator[list]:
        yield from snapshot_items("accounts", listed, account_row, record_id)

    @dlt.resource(write_disposition=SCD2, primary_key="id",
                  columns=columns(id=TEXT, created_on=UTC_TS, salutation=TEXT))
    def account_users() -> Iterator[list]:
        """`GET /AccountUsers`, the users' own documented list: one row per user, however many
        accounts embed them."""
        records = snapshot(listing("account_users", "/AccountUsers"), gaps, "account_users")
        if records is not None:
            yield from snapshot_items("account_users", records, account_user_row, record_id)

    @dlt.transformer(data_from=account_listing, write_disposition=SCD2, primary_key=("account_id", "user_id"),
                     columns=columns(user_id=TEXT, account_id=BIGINT))
    def account_memberships(listed: list) -> Iterator[list]:
        """Which users each account embeds (`Account.user_accounts`): a link table, so a user
        under several accounts stays one user. An account that embeds none adds no row."""
        rows = sorted({(a["id"], str(u["id"])) for a in listed if isinstance(a, dict) and a.get("id") is not None
                       for u in (a.get("user_accounts") if isinstance(a.get("user_accounts"), list) else [])
                       if isinstance(u, dict) and u.get("id") is not None})
        items = [{"account_id": a, "user_id": u} for a, u in rows]
        if snapshot_changed(dlt.current.resource_state(), "snapshot_sha256", items):
            yield items

    return (products, orders, customers, sku_listing, skus, sku_ids, account_listing, accounts, account_users,
            account_memberships)


class OrderWatch:
    """What the orders resource remembers between syncs, in its dlt state: the highest order
    id seen (`SinceId`), the ids of open orders (re-fetched every sync), and the versions of
    watched orders (open or in a refund status: the ones a later sync sees again), so an
    unchanged order is not loaded twice. Quarantined orders (`quarantine.pending`, in the
    source state) are re-fetched by id like open ones until they read: `SinceId` has passed
    them, and Yodify gives a fixed order no new id."""

    def __init__(self, state: dict, quarantine: Quarantine):
        self.state = state
        self.quarantine = quarantine
        self.max_id: int | None = state.get("max_id")
        self.open_before_run: set[int] = set(state.get("open_ids", []))
        self.open = set(self.open_before_run)
        self.changes = ChangeFilter(state, None)
        self.loaded: dict[int, str] = {}     # order id -> version loaded by this run

    def read(self, page: list[dict], now: datetime | None) -> Iterator[list]:
        """A page's quarantine rows and the rows to load."""
        rows, quarantined = self.quarantine.split(page, order_row, record_id)
        for key in self.quarantine.keys:
            if isinstance(key, int):
                self.max_id = max(self.max_id or 0, key)
        if quarantined:
            yield quarantined
        yield self.admit(rows, now)

    def admit(self, rows: list[dict], now: datetime | None) -> list[dict]:
        """The rows to load: every row not seen before in this version."""
        out = []
        for r in rows:
            oid = r["id"]
            self.max_id = max(self.max_id or 0, oid)
            if oid in self.loaded:
                # listed twice in one run (new and in the refund window, say): a second copy in
                # the same load would leave the first copy's items and shipments without their
                # parent. If it changed in between, the next sync fetches it by id.
                if self.loaded[oid] != version_of(r):
                    self.open.add(oid)
                continue
            if is_open(r):
                self.open.add(oid)
            else:
                self.open.discard(oid)
            if is_open(r) or r["order_status"] in S.REFUND_STATUSES:
                # open orders are kept while they are watched, closed ones until the window passes
                retention = (now or r["ordered_date"]) if is_open(r) else r["ordered_date"]
                if not self.changes.is_new(str(oid), version_of(r), retention):
                    continue
            self.loaded[oid] = version_of(r)
            out.append(r)
        return out

    def refetch_ids(self) -> list[int]:
        """Open orders of the last sync and the orders still in quarantine."""
        quarantined = {int(k) for k in self.quarantine.pending if k.isdigit()}
        return sorted(self.open_before_run | quarantined)

    def forget(self, ids: set) -> None:
        """Watched orders that no longer come back: deleted at Yodify."""
        if ids:
            log.warning("%s: %d watched order(s) no longer returned by GET /Orders?Ids=... (deleted at the "
                        "vendor); their rows stay as last loaded: %s", VENDOR, len(ids), sorted(ids)[:10])
        self.open -= ids
        self.quarantine.forget(ids)

    def prune(self, horizon: datetime) -> None:
        """Forget versions of orders older than the late-change window (never seen again)."""
        self.changes = ChangeFilter(self.state, horizon)

    def save(self) -> None:
        self.state["max_id"] = self.max_id
        self.state["open_ids"] = sorted(self.open)
