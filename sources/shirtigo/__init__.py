"""Shirtigo Cockpit API (print-on-demand) as a dlt source.

Readings of the Shirtigo Cockpit API Reference, version 1.0.0 (API endpoint
https://cockpit.shirtigo.de/api; cited below by operation);
the sandbox serves the same readings:
- Auth: the static API key as `Authorization: Bearer <key>` (OAuth is not used to sync).
- `GET /orders` and `GET /payments`: `page`/`items` paging with `meta.pagination`; the page
  count comes from `meta.pagination.total_pages`, the rest of the pages are fetched
  concurrently. Sorted `created_at asc`, so orders placed while paging land after the last
  page instead of shifting it. `filter` is never sent (its documented default is a status).
- Ends of listings: `meta.pagination` (`total`, `per_page`) says what every page must hold,
  so a page that comes back short is a hole, read again; one that stays short is a gap: the
  pages before it load, the listing stops there (sorted by `created_at`, so the cursor, the
  newest record loaded, stays before the gap) and the run fails naming it; the next run
  reads from there. `GET /products` is one unpaginated list with no count: an empty one is
  read again before it is believed, and one that drops most of the last snapshot is refused.
- No "changed since" filter exists. `period` (days back from the vendor's clock, read from
  the `Date` header) re-scans every order created since the newest one loaded minus
  `mutation_horizon_days` (dlt's cursor with `lag`); orders whose version (latest change
  time + status) was already loaded are skipped (`ChangeFilter`), so a run with no vendor
  changes loads nothing. The cursor is never after the last successful sync, so the re-scan
  reaches back past a gap of any length (`sources.common.lookback`); it costs a listing of
  the gap plus the horizon (orders of older days had settled at the last sync).
- Customers: there is no customer resource. The delivery address is the customer; its
  normalised hash is `customer_id` (no e-mail: the marts fall back to name + postcode).
- Products: `GET /products` is one unpaginated full list: loaded as an SCD2 snapshot, so a
  product missing from a complete list is retired (`_dlt_valid_to` set), never dropped.
- Money objects: `amount / currency_factor` as decimals; a bare integer is euro cents.
  Timestamps are naive Europe/Berlin (`source_timezone`) and land as UTC.
- Refund payments ("Erstattung") are rows of `payments`; they carry positive amounts.
- Every documented field of a loaded record lands: typed columns (money, times, shipping),
  child tables (`lines`, `status_entries`, `payments` of an order), the delivery address as
  the `customers` row, and as sent (`helpers.*_AS_SENT`: `sender`, `bill`, a line's
  `images`, a product's `base_product`, integrations) as JSON; a payment's embedded `order`
  is its `order_reference` (the order itself loads from `/orders`). Not read: designs,
  projects, base products and categories, coupons, delivery countries, selling statistics,
  the user (only its `Date` header) and every write: the marts need none of them.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Optional

import dlt

from ..common.changes import ChangeFilter, snapshot_changed
from ..common.hints import BOOL, JSON, MONEY, TEXT, UTC_TS, columns
from ..common.http import RunMetrics, VendorClient, bearer
from ..common.paging import Gaps, confirmed, fan_out, select, until_gap
from ..common.quarantine import split_readable
from ..common.timeutil import cut_at, window_bounds, zone
from .helpers import (
    LINE_AS_SENT,
    ORDER_AS_SENT,
    PRODUCT_AS_SENT,
    customer_row,
    days_between,
    order_row,
    payment_row,
    product_row,
    version_of,
)
from .settings import VENDOR, Settings

RESOURCES = ("products", "orders", "customers", "payments")
#: resources whose rows are placed in time, so a backfill window applies to them
WINDOWED_RESOURCES = ("orders", "customers", "payments")
#: transformer -> the resource it reads from (`data_from`): a selection takes both along
TRANSFORMERS = {"customers": "orders"}



@dlt.source(name=VENDOR, section=VENDOR, max_table_nesting=1)
def source(
    base_url: str = dlt.config.value,
    api_key: str = dlt.secrets.value,
    start_date: Optional[str] = Settings.start_date,
    end_date: Optional[str] = None,
    present_from: Optional[str] = None,
    page_size: int = Settings.page_size,
    mutation_horizon_days: float = Settings.mutation_horizon_days,
    payments_lookback_days: float = Settings.payments_lookback_days,
    source_timezone: str = Settings.source_timezone,
    max_workers: int = Settings.max_workers,
    request_timeout_s: float = Settings.request_timeout_s,
    max_attempts: int = Settings.max_attempts,
    gaps: Optional[Gaps] = None,
    metrics: Optional[RunMetrics] = None,
):
    """Products, orders (lines, status entries, payments), customers and payments.
    `start_date`/`end_date` bound the orders and payments windows: with `end_date` set the
    run is a backfill and leaves the incremental cursors alone. `gaps` (the run's) collects
    listing holes; without it a hole fails the run.
    `metrics` (the run's) counts its requests. `present_from` (set by `pipelines.history`)
    starts the windowed resources there instead of `start_date`: the history before it loads
    in slices."""
    cfg = Settings.checked(locals())
    tz = zone(VENDOR, cfg.source_timezone, cfg.setting("source_timezone"))
    start, end = window_bounds(VENDOR, present_from or cfg.start_date, end_date)
    client = VendorClient(VENDOR, base_url, bearer(str(api_key).strip(), cfg.setting("api_key")),
                          policy=cfg.retry_policy(), pool_size=max(4, 2 * cfg.max_workers), metrics=metrics)
    vendor_now = _VendorClock()

    def pages(resource: str, path: str, cursor: dlt.sources.incremental) -> Iterator[list]:
        """The listing from the cursor's start to now, oldest first, pages fetched concurrently."""
        scoped = client.for_resource(resource)
        since = cursor.start_value or start
        params = {"items": cfg.page_size, "sort_col": "created_at", "sort_dir": "asc",
                  "period": days_between(since, vendor_now(scoped)) + 1}
        return until_gap(gaps, resource, fan_out(
            scoped, path, params=params, page_param="page", first_page=1, total_pages=_total_pages,
            page_size_of=_per_page, total_items_of=_total_items, data_selector="data", workers=cfg.max_workers))

    @dlt.resource(write_disposition={"disposition": "merge", "strategy": "scd2"}, primary_key="id",
                  columns={**columns(price=MONEY, updated_at=UTC_TS, colors=JSON, description=TEXT, is_rendered=BOOL,
                                     is_available=BOOL), **PRODUCT_AS_SENT})
    def products() -> Iterator[list]:
        """Full snapshot each run (no paging, no filter in the API)."""
        scoped = client.for_resource("products")

        def fetch(_: int) -> list:
            return select(VENDOR, scoped.get("/products").parsed, "data", "GET /products")

        rows = [product_row(p, tz) for p in confirmed(fetch, 1, fetch(1))]
        if snapshot_changed(dlt.current.resource_state(), "snapshot_sha256", rows):
            yield rows

    @dlt.resource(write_disposition="merge", primary_key="reference",
                  columns=columns(created_at=UTC_TS, updated_at=UTC_TS, changed_at=UTC_TS,
                                  shipped_at=UTC_TS, net_price=MONEY, vat_amount=MONEY,
                                  gross_price=MONEY, shipping_cost=MONEY, fulfillment=JSON,
                                  parent_reference=TEXT, tracking_code=TEXT, tracking_url=TEXT,
                                  shipping_type=TEXT, shipping_country_code=TEXT, **ORDER_AS_SENT),
                  nested_hints={
                      "lines": {"columns": {**columns(net_unit_price=MONEY, net_total_price=MONEY), **LINE_AS_SENT}},
                      "payments": {"columns": columns(gross_amount=MONEY, net_amount=MONEY,
                                                      vat_amount=MONEY, updated_at=UTC_TS)},
                      "status_entries": {"columns": columns(created_at=UTC_TS, updated_at=UTC_TS)},
                  })
    def orders(
        created_at=dlt.sources.incremental("created_at", initial_value=start, end_value=end,
                                           lag=cfg.mutation_horizon_days * 86400, range_start="closed",
                                           on_cursor_value_missing="include"),
    ) -> Iterator[list]:
        backfill = created_at.end_value is not None
        changes = ChangeFilter(None if backfill else dlt.current.resource_state(), created_at.start_value)
        loaded: set[str] = set()
        for page in pages("orders", "/orders", created_at):
            rows, quarantined = split_readable(page, lambda o: order_row(o, tz), resource="orders",
                                               key_of=lambda o: o.get("reference"))
            if quarantined:
                yield quarantined
            # an order a shifting listing serves twice loads once: a second copy in the same load
            # would leave the first copy's lines without their parent (a change shows next sync)
            rows = [r for r in rows if r["reference"] not in loaded]
            loaded.update(r["reference"] for r in rows)
            if backfill:
                inside, reached_end = cut_at(rows, created_at.end_value, "created_at")
                yield inside
                if reached_end:
                    return
                continue
            yield [r for r in rows if changes.is_new(r["reference"], version_of(r), r["created_at"])]

    @dlt.transformer(data_from=orders, write_disposition="merge", primary_key="customer_id")
    def customers(order_rows: list) -> Iterator[list]:
        """One row per distinct delivery address seen in the orders of this run (quarantined
        records that pass by are not orders)."""
        yield list({r["customer_id"]: customer_row(r) for r in order_rows if "customer_id" in r}.values())

    @dlt.resource(write_disposition="merge", primary_key="id",
                  columns=columns(created_at=UTC_TS, gross_amount=MONEY, net_amount=MONEY,
                                  vat_amount=MONEY, order_reference=TEXT))
    def payments(
        created_at=dlt.sources.incremental("created_at", initial_value=start, end_value=end,
                                           lag=cfg.payments_lookback_days * 86400, range_start="closed"),
    ) -> Iterator[list]:
        backfill = created_at.end_value is not None
        changes = ChangeFilter(None if backfill else dlt.current.resource_state(), created_at.start_value)
        for page in pages("payments", "/payments", created_at):
            rows = [payment_row(p, tz) for p in page]
            if backfill:
                inside, reached_end = cut_at(rows, created_at.end_value, "created_at")
                yield inside
                if reached_end:
                    return
                continue
            yield [r for r in rows if changes.is_new(r["id"], "1", r["created_at"])]

    return products, orders, customers, payments


class _VendorClock:
    """The vendor's 'now' for `period`: Shirtigo counts days from its own clock, so a skewed
    local clock would shift the window. Read once per run from the Date header of `GET /user`
    (which also checks the API key before any data is fetched)."""

    def __init__(self) -> None:
        self._now: datetime | None = None
        self._lock = threading.Lock()

    def __call__(self, client: VendorClient) -> datetime:
        with self._lock:
            if self._now is None:
                client.get("/user")
                self._now = client.server_now() or datetime.now(timezone.utc)
            return self._now


def _total_items(body: object) -> int | None:
    try:
        return int(body["meta"]["pagination"]["total"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _per_page(body: object) -> int | None:
    try:
        return int(body["meta"]["pagination"]["per_page"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None


def _total_pages(body: object) -> int:
    try:
        return int(body["meta"]["pagination"]["total_pages"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return 1          # no meta block: a single, unpaginated page
