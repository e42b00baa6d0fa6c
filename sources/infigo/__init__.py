"""Infigo API (web-to-print storefront platform) as a dlt source.

Readings of the Infigo API Documentation (OpenAPI 3.0.1, version 15696, served by each platform at
`https://<platform-host>/services/api`; operations and schemas are cited by their names, the
authentication and rate-limit guide is the description of its `Authorization` security scheme;
https://infigosoftware.zendesk.com/hc/en-us/requests/new issues tokens); the sandbox serves
the same readings:
- Auth: Basic with the API token as user name and an empty password (`base64(token + ":")`).
- Rate limit: 50 requests per rolling 10 s per token (prose of the security scheme). Every
  request of every resource, thread and concurrent run (a backfill's workers) takes a slot
  from the token's one `RateBudget`
  (`rate_limit_per_window` / `rate_limit_window_s`, raise them only with a token that has a
  higher limit); a 429 pauses all of them for its `Retry-After`.
- Orders are N+1+M: `GET /order/list/` returns ids only (no paging), `GET /order/detail/{id}`
  the order, whose `OrderLineItems` are job ids fetched one by one from
  `GET /orderlineitem/get/{id}` (the `order_line_items` resource). Details and lines are
  fetched concurrently under the shared budget.
- Orders window: `orderedAfter` (exclusive) from the vendor clock of the previous successful
  run (`sources.common.lookback`) minus `orders_lookback_hours`, so orders committed late
  during a gap of any length are listed; the high-water mark is the `Date` of the listing,
  kept in the resource state with the rows it describes (dlt's incremental would drop the
  re-polled old orders below). Every run also re-polls, whatever their age, the orders that
  were open (not Complete/Cancelled) at the last run, kept in the state, and those open now
  (`filterByStatus` 10, 20, 30 and 60). A detail identical to the one loaded before is skipped
  (`ChangeFilter` on the whole payload), and only new or changed orders have their lines
  fetched: the lines' statuses move with their order's. With `end_date` set (a backfill) the window is
  `[start_date, end_date)` via `orderedBefore`, and no state is read or written.
- Customers: `GET /customer/v2` pages (`PageIndex` 0-based, `TotalPages`), sorted by Id,
  twice per run: `CreatedFrom` and `LastActivityFrom` = the cursor minus
  `customers_lookback_hours` (both inclusive). The cursor is the newest change loaded, never
  after the last sync, so the look-back spans any gap. `Role` defaults to Registered on the API, which
  hides guest checkouts: the source asks for `customer_roles` (Registered and Guests). Customers
  of other roles reach the marts as customers inferred from their orders. No backfill window.
- Ends of listings: `/customer/v2` says `PerPage` and `TotalCount`, so a page shorter than
  they require is a hole, read again; one that stays short is a gap: the pages before it
  load, and because the pages are sorted by Id, not by the cursor, the customers cursor is held
  where this run started (the next run reads the whole window again) and the run fails
  naming the gap. Product pages must add up to `GET /catalog/product` (the id list): a page
  that stays short skips the snapshot (nothing retired) and fails the run the same way.
  `/order/list/` is one unpaged array of ids (nothing to verify); the open-order re-poll
  and the `orders_lookback_hours` overlap read again what a short answer there could miss.
- Products: `GET /catalog/v2/product` (bare arrays, `PageIndex`/`PerPage`, no timestamps) is a
  full SCD2 snapshot each run, loaded only when it is complete: its ids must equal
  `GET /catalog/product` (all ids). A product missing from a complete snapshot is retired.
  Products carry no currency: they are priced in `store_currency`.
- Money: every amount is an integer in the document, read as major units of the order's
  `CustomerCurrencyCode` (the document's examples; tax rates as percentages). Amounts load as
  exact decimals with 6 places, so the real API's decimal values survive too. `CurrencyRate`
  is kept but the marts convert with their own rates.
- Enums arrive as integers (the document's type); numeric strings and names are accepted too,
  stored as the code plus the document's name (`status` 30, `status_name` "Shipped").
- Timestamps: ISO 8601 with `Z` or an offset; naive ones are taken as UTC.
- Every documented field of a loaded record lands as a column named after it (snake_case),
  objects and arrays as JSON, except a customer's `Password` (`NOT_LOADED`): a secret, never
  stored. Not read: the document's other resources (accounts, address books, departments,
  stock, jobs, outputs, thumbnails, ...) and every write: the marts need none of them.
- Schema drift (`sources.common.quarantine`): every field arrives, documented or not (new
  ones as new columns). Readable: an integer amount sent as a numeric string ("84"); an enum
  code outside the document (`Status` 70: stored with `status_name` NULL, an unknown name
  with `status` NULL and the name kept; the marts leave the status NULL and
  `unmapped_vendor_statuses` names it; such an order stays in the open re-poll). Unreadable,
  to `raw_infigo.quarantine` with the reason and payload: an amount that is not a plain
  number ("84.00 GBP"), a timestamp that is not one, a string where an array was
  (`OrderLineItems`, `History`), an order without `Id`. A quarantined order is re-polled by
  id every sync until it reads, then loads and leaves the quarantine; a quarantined product
  keeps its last loaded version (not retired) until it reads; a quarantined customer or line
  item loads once it is listed again (its activity moves, its order changes).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Optional
from urllib.parse import quote

import dlt

from ..common.changes import ChangeFilter
from ..common.errors import VendorDataError
from ..common.hints import JSON, MONEY6, TEXT, UTC_TS, columns
from ..common.http import RunMetrics, VendorClient, shared_budget
from ..common.lookback import Horizon
from ..common.paging import Gaps, ListingGap, fan_out, hold_cursor, note_gap, ordered_map, select, until_gap
from ..common.quarantine import Quarantine, readable_rows, snapshot_items
from ..common.timeutil import window_bounds
from . import settings as S
from .helpers import (
    CUSTOMER_JSON,
    CUSTOMER_TIMES,
    LINE_JSON,
    LINE_MONEY,
    LINE_TIMES,
    ORDER_JSON,
    ORDER_MONEY,
    ORDER_TIMES,
    PRODUCT_JSON,
    PRODUCT_MONEY,
    PRODUCT_TIMES,
    basic_auth,
    customer_row,
    iso_utc,
    line_item_row,
    order_row,
    product_row,
    snake,
)
from .settings import VENDOR, Settings

#: documented fields of loaded records that are deliberately not loaded (see the docstring)
NOT_LOADED = {"customers": {"Password": "a secret, never stored"}}
RESOURCES = ("products", "customers", "orders", "order_line_items")
#: resources whose rows are placed in time, so a backfill window applies to them
WINDOWED_RESOURCES = ("orders", "order_line_items")
#: transformer -> the resource it reads from (`data_from`): a selection takes both along
TRANSFORMERS = {"order_line_items": "orders"}


def _hints(money: tuple = (), times: tuple = (), json: tuple = (), **extra: dict) -> dict:
    return columns(**{snake(k): MONEY6 for k in money}, **{snake(k): UTC_TS for k in times},
                   **{snake(k): JSON for k in json}, **extra)


@dlt.source(name=VENDOR, section=VENDOR, max_table_nesting=1)
def source(
    base_url: str = dlt.config.value,
    api_token: str = dlt.secrets.value,
    start_date: Optional[str] = Settings.start_date,
    end_date: Optional[str] = None,
    present_from: Optional[str] = None,
    page_size: int = Settings.page_size,
    orders_lookback_hours: float = Settings.orders_lookback_hours,
    customers_lookback_hours: float = Settings.customers_lookback_hours,
    customer_roles: list[str] | str = Settings.customer_roles,
    store_currency: str = Settings.store_currency,
    rate_limit_per_window: int = Settings.rate_limit_per_window,
    rate_limit_window_s: float = Settings.rate_limit_window_s,
    rate_limit_margin_s: float = Settings.rate_limit_margin_s,
    max_workers: int = Settings.max_workers,
    request_timeout_s: float = Settings.request_timeout_s,
    max_attempts: int = Settings.max_attempts,
    gaps: Optional[Gaps] = None,
    metrics: Optional[RunMetrics] = None,
):
    """Products, customers, orders and their line items. `start_date`/`end_date` bound the
    orders window: with `end_date` set the run is a backfill and leaves the cursors alone.
    `gaps` (the run's) collects listing holes; without it a hole fails the run.
    `metrics` (the run's) counts its requests. `present_from` (set by `pipelines.history`)
    starts the windowed resources there instead of `start_date`: the history before it loads
    in slices."""
    cfg = Settings.checked(locals())
    token, page_size, workers = str(api_token).strip(), cfg.page_size, cfg.max_workers
    budget = shared_budget(VENDOR, token, cfg.rate_limit_per_window, cfg.rate_limit_window_s,
                           margin_s=cfg.rate_limit_margin_s)
    start, end = window_bounds(VENDOR, cfg.start_date, end_date)
    orders_start = window_bounds(VENDOR, present_from, None)[0] if present_from else start
    client = VendorClient(VENDOR, base_url, basic_auth(token, cfg.setting("api_token")), budget=budget,
                          policy=cfg.retry_policy(), pool_size=4 * workers, metrics=metrics)

    def listing(scoped: VendorClient, path: str, params: dict | None = None) -> list:
        return select(VENDOR, scoped.get(path, params=params).parsed, None, f"GET {path}")

    def each(scoped: VendorClient, path: str, ids: list) -> Iterator[dict]:
        """`GET path/{id}` for every id, concurrently, in order; an id gone since it was
        listed (404) is skipped."""
        def fetch(record_id):
            response = scoped.get(f"{path}/{quote(str(record_id), safe='')}", allow_statuses=frozenset({404}))
            return None if response.status_code == 404 else response.parsed

        return (body for body in ordered_map(fetch, ids, workers) if body is not None)

    def quarantine(table: str) -> Quarantine:
        """Sync runs remember what they quarantined (to fetch it again); a backfill does not."""
        return Quarantine(table, dlt.current.source_state() if end is None else None)

    @dlt.resource(write_disposition={"disposition": "merge", "strategy": "scd2"}, primary_key="id",
                  columns=_hints(PRODUCT_MONEY, PRODUCT_TIMES, PRODUCT_JSON, category=TEXT, sku=TEXT))
    def products() -> Iterator[list]:
        """Full snapshot, loaded only if it holds exactly the ids the id list names. A product
        that cannot be read is quarantined and not retired: it keeps its last loaded version."""
        scoped = client.for_resource("products")
        for _ in range(3):
            ids = listing(scoped, "/catalog/product")
            count, pages = len(ids), max(1, -(-len(ids) // page_size))
            try:
                records = [p for page in fan_out(scoped, "/catalog/v2/product", params={"PerPage": page_size},
                                                 page_param="PageIndex", first_page=0,
                                                 total_pages=lambda _, pages=pages: pages,
                                                 page_size_of=lambda _: page_size,
                                                 total_items_of=lambda _, count=count: count, data_selector=None,
                                                 workers=workers)
                           for p in page]
            except ListingGap as gap:       # an incomplete snapshot would retire what it missed
                note_gap(gaps, "products", gap)
                return
            if sorted(str(_record_id(p)) for p in records) == sorted(map(str, ids)):
                break
        else:
            raise VendorDataError(VENDOR, "the product pages and GET /catalog/product disagreed three times "
                                          "(the catalog is changing while it is read); retry the sync later.")
        yield from snapshot_items("products", records, lambda p: product_row(p, cfg.store_currency), _record_id)

    @dlt.resource(write_disposition="merge", primary_key="id",
                  columns=_hints(times=CUSTOMER_TIMES, json=CUSTOMER_JSON, changed_at=UTC_TS,
                                 email=TEXT, company_name=TEXT, full_name=TEXT))
    def customers(
        changed_at=dlt.sources.incremental("changed_at", initial_value=start, lag=cfg.customers_lookback_hours * 3600,
                                           range_start="closed", on_cursor_value_missing="include"),
    ) -> Iterator[list]:
        scoped = client.for_resource("customers")
        since = changed_at.start_value
        changes = ChangeFilter(dlt.current.resource_state(), since)
        customers_quarantine = quarantine("customers")
        base = {"Role": list(cfg.customer_roles), "OrderBy": 0, "OrderDirection": 0, "PerPage": page_size}
        for filter_name in ("CreatedFrom", "LastActivityFrom") if since else (None,):
            params = {**base, filter_name: iso_utc(since)} if filter_name else base
            for page in until_gap(gaps, "customers", fan_out(
                    scoped, "/customer/v2", params=params, page_param="PageIndex", first_page=0,
                    total_pages=_total_pages, page_size_of=_per_page, total_items_of=_total_count,
                    data_selector="Data", workers=workers)):
                rows = customers_quarantine.read(page, customer_row, _record_id)
                yield [r for r in rows if changes.is_new(str(r["id"]), r["version"], r["changed_at"] or since)]
        yield from customers_quarantine.flush()     # after the rows: the cursor has a lag
        if gaps is not None and gaps.found("customers"):
            hold_cursor(changed_at, since)          # sorted by Id: nothing after the start is verified

    @dlt.resource(write_disposition="merge", primary_key="id",
                  columns=_hints(ORDER_MONEY, ORDER_TIMES, ORDER_JSON, tracking_number=TEXT,
                                 purchase_order_number=TEXT, customer_user_name=TEXT))
    def orders() -> Iterator[list]:
        scoped = client.for_resource("orders")
        state = None if end is not None else dlt.current.resource_state()
        horizon = Horizon(state, key="listed_until")
        since = orders_start
        if horizon.last_sync is not None:
            since = horizon.window_start(scoped.server_now(), timedelta(hours=cfg.orders_lookback_hours))
            since = max(since, orders_start) if orders_start else since
        params = {"orderedBefore": iso_utc(end)} if end else {}
        if since:
            params["orderedAfter"] = iso_utc(since - timedelta(seconds=1))   # "after" is exclusive
        ids = set(listing(scoped, "/order/list/", params))
        vendor_now = scoped.server_now() or datetime.now(timezone.utc)
        orders_quarantine = quarantine("orders")
        if state is not None:
            # open at the last run (they may have closed since) or open now, whatever their age,
            # and the ones quarantined (until they read)
            ids.update(state.get("open_ids", []))
            for status in S.OPEN_STATUSES:
                ids.update(listing(scoped, "/order/list/", {"filterByStatus": status}))
            ids.update(int(k) for k in orders_quarantine.pending if k.isdigit())
        changes = ChangeFilter(state, since)
        still_open, returned = set(), set()
        details = each(scoped, "/order/detail", sorted(ids))
        while chunk := list(itertools.islice(details, page_size)):
            returned.update(_record_id(o) for o in chunk if isinstance(o, dict))
            rows, quarantined = orders_quarantine.split(chunk, order_row, _record_id)
            if quarantined:
                yield quarantined
            still_open.update(r["id"] for r in rows if r.get("status") not in S.CLOSED_STATUSES)
            yield [r for r in rows if changes.is_new(str(r["id"]), r["version"], vendor_now)]
        orders_quarantine.forget(int(k) for k in list(orders_quarantine.pending)
                                 if k.isdigit() and int(k) in ids and int(k) not in returned)   # gone (404)
        if state is not None:
            horizon.mark(vendor_now)             # the instant the listing was read
            state["open_ids"] = sorted(still_open)

    @dlt.transformer(data_from=orders, write_disposition="merge", primary_key="id",
                     columns=_hints(LINE_MONEY, LINE_TIMES, LINE_JSON, last_status_at=UTC_TS, sku=TEXT,
                                    notes=TEXT, custom_name=TEXT))
    def order_line_items(order_rows: list) -> Iterator[list]:
        """The lines of every order loaded in this run (new or changed orders only)."""
        scoped = client.for_resource("order_line_items")
        readable = readable_rows(order_rows)
        if not readable:            # a chunk of quarantined orders
            return
        jobs = [job for row in readable for job in row["order_line_items"]]
        rows, quarantined = quarantine("order_line_items").split(each(scoped, "/orderlineitem/get", jobs),
                                                                 line_item_row, _record_id)
        yield from filter(None, (quarantined, rows))

    return products, customers, orders, order_line_items


def _record_id(record: dict):
    return record.get("Id")


def _per_page(body: object) -> int | None:
    try:
        return int(body["PerPage"]) or None  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _total_count(body: object) -> int | None:
    try:
        return int(body["TotalCount"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _total_pages(body: object) -> int:
    try:
        return max(1, int(body["TotalPages"]))  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        raise VendorDataError(VENDOR, "GET /customer/v2 answered without TotalPages; the API contract "
                                      "may have changed.") from None
