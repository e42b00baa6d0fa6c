"""Yodify specifics: the OAuth2 token request, paging a list in either documented shape, and
payload -> row mapping (double amounts to exact decimals, ISO timestamps to UTC). A payload
that breaks the document's types raises `Unreadable` (see `sources.common.quarantine`)."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator

import orjson

from ..common.errors import VendorAuthError
from ..common.hints import BIGINT, JSON, TEXT, columns
from ..common.http import VendorClient
from ..common.paging import Gaps, ListingGap, confirmed, fan_out, fan_out_until_short, note_gap, ordered_map, select
from ..common.quarantine import as_sent, list_of, object_of, require, unknown_fields
from ..common.quarantine import decimal_of as dec
from ..common.quarantine import utc_of as utc
from .settings import OPEN_STATUSES, ORDER_STATUSES, VENDOR

log = logging.getLogger("vendorsync.yodify")


def token_fetcher(client: VendorClient, token_url: str, client_id: str, client_secret: str, scope: str,
                  setting: str) -> Callable[[], str]:
    """A function that asks the token endpoint for a client-credentials access token."""

    def fetch() -> str:
        response = client.request("POST", token_url, auth=False, allow_statuses=frozenset({400, 401}),
                                  data={"grant_type": "client_credentials", "client_id": client_id,
                                        "client_secret": client_secret, "scope": scope})
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not token:
            reason = body.get("error") if isinstance(body, dict) and body.get("error") else f"HTTP {response.status_code}"
            raise VendorAuthError(VENDOR, f"the token endpoint refused the client credentials ({reason}); "
                                          "check client_id and client_secret.", setting=setting)
        return str(token)

    return fetch


class Listing:
    """Every page of one Yodify list request, in order. Most lists answer the envelope
    `{data, has_more, total_items}`: its page count is known from page 1 and the rest are
    fetched concurrently. Products, Orders, Brands and Shipments answer bare arrays: pages are
    fetched concurrently until one comes back shorter than `Limit`. Either shape is accepted on
    any endpoint. `total` is the envelope's `total_items` once page 1 is read (None for arrays).

    Envelope pages must hold what `total_items` says: a short one is read again and, if it
    stays short, raises `ListingGap` after the pages before it. A bare array gives no
    evidence: an empty page (the first one too) is read again before it is believed."""

    def __init__(self, client: VendorClient, path: str, params: dict, *, page_size: int, workers: int):
        self.client, self.path, self.workers, self.page_size = client, path, workers, page_size
        self.params = {**params, "Limit": page_size}
        self.total: int | None = None

    def _get(self, page: int) -> object:
        return self.client.get(self.path, params={**self.params, "Page": page}).parsed

    def _data(self, body: object) -> list:
        return select(VENDOR, body, "data" if isinstance(body, dict) else None, f"GET {self.path}")

    def __iter__(self) -> Iterator[list]:
        first = self._get(1)
        if isinstance(first, dict):
            self.total = int(first.get("total_items") or 0)
            yield from fan_out(self.client, self.path, params=self.params, page_param="Page", first_page=1,
                               first_body=first, total_pages=self._pages, data_selector="data",
                               workers=self.workers, page_size_of=lambda _: self.page_size,
                               total_items_of=lambda body: int(body.get("total_items") or 0),
                               grew=lambda body: isinstance(body, dict) and bool(body.get("has_more")))
            return
        page = confirmed(lambda n: self._data(self._get(n)), 1, self._data(first))
        yield page
        if len(page) >= self.page_size:
            yield from fan_out_until_short(self.client, self.path, params=self.params, page_param="Page",
                                           first_page=2, page_size=self.page_size, data_selector=None,
                                           workers=self.workers)

    def _pages(self, body: dict) -> int:
        """Pages `total_items` fills; at least two while page 1 says `has_more`. A page 1 that
        says no `has_more` under a `total_items` it does not hold is not believed: the pages
        the total needs are read, and stay a gap if they come back short."""
        return max(2 if body.get("has_more") else 1, -(-int(body.get("total_items") or 0) // self.page_size))


def snapshot(listing: Listing, gaps: Gaps | None, resource: str) -> list[dict] | None:
    """A complete listing's records, or None when it is not trustworthy as a snapshot (a page
    that stayed short: a gap, noted on `gaps`; ids missing or repeated, or fewer/more records
    than `total_items` said: the list changed while it was paged). An untrustworthy snapshot
    is skipped, so no row is retired by mistake."""
    try:
        records = [x for page in listing for x in page]
    except ListingGap as gap:
        note_gap(gaps, resource, gap)
        return None
    ids = {x.get("id") for x in records if isinstance(x, dict)} - {None}
    if len(ids) != len(records) or (listing.total is not None and len(records) != listing.total):
        log.warning("%s: GET %s changed while it was paged (%d records, %d ids, total_items %s); "
                    "the snapshot is skipped this run", VENDOR, listing.path, len(records), len(ids), listing.total)
        return None
    return records


def record_id(record: dict):
    return record.get("id")


def id_batches(ids: list, size: int) -> Iterator[list]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def fetch_by_ids(client: VendorClient, path: str, ids: list, params: dict, *, batch: int,
                 workers: int) -> Iterator[list]:
    """Records by id (`Ids=1&Ids=2...`), `batch` ids per request, requests concurrent. A batch
    that comes back empty is read again before it is believed: the caller takes an id that
    does not come back for one deleted at Yodify."""

    def fetch_once(chunk: list) -> list:
        body = client.get(path, params={**params, "Ids": chunk, "Limit": batch, "Page": 1}).parsed
        return select(VENDOR, body, "data" if isinstance(body, dict) else None, f"GET {path}")

    def fetch(chunk: list) -> list:
        return confirmed(lambda _: fetch_once(chunk), 1, fetch_once(chunk))

    yield from ordered_map(fetch, id_batches(ids, batch), workers)


ADDRESS_FIELDS = ("name", "first_name", "last_name", "company_name", "street1", "street2", "postal_code", "city",
                  "state_code", "country_code")


def _address(a: object, what: str) -> dict:
    a = object_of(a, what)
    return {k: a.get(k) for k in ADDRESS_FIELDS}


#: documented fields kept as sent (`as_sent`; the resources declare the same hints)
ORDER_AS_SENT = columns(shipping_instructions=TEXT, url=TEXT)
ITEM_AS_SENT = columns(add_ons=JSON)
SHIPMENT_AS_SENT = columns(tracking_url=TEXT, add_ons=JSON, trackings=JSON, address=JSON)
PRODUCT_AS_SENT = columns(primary_image=TEXT, quantity_discount_id=BIGINT)
#: a SKU's scalars as sent (numbers and flags typed by dlt from the values), its lists as JSON
SKU_AS_SENT = {**{f: {"name": f} for f in (
    "sale_label", "unit_of_measure_quantity", "inventory_alert",
    "is_featured", "always_in_stock", "allow_backorders", "lead_time_from", "lead_time_to",
    "is_non_refundable", "length", "width", "height", "weight", "classification",
    "unspsc_classification", "price_visibility", "request_quote")},
    # typed as the document's example prints them: often null, and a column hinted without a
    # type that receives only nulls makes dlt warn on every sync
    **columns(sale_maximum_quantity=BIGINT, sale_minimum_quantity=BIGINT, lead_time_message=TEXT,
              is_non_refundable_message=TEXT, login_for_pricing_message=TEXT, in_stock_message=TEXT,
              out_of_stock_message=TEXT),
    **columns(shipping_rate_id=BIGINT, address_id=BIGINT, quantity_discount_id=BIGINT, price_discounts=JSON)}

MONEY_FIELDS = ("subtotal", "freight", "tax", "discount", "transaction_fee", "total")
#: the document's Order fields (anything else is kept as new columns)
ORDER_FIELDS = frozenset({
    "id", "object", "client_identifier", "shopping_cart_id", "order_number", "customer_id", "customer", "items",
    "shipping_address", "billing_address", "shipments", "shipping_instructions", "shipping_method",
    "currency_code", "seller_currency_code", "order_status", "payment_method", *MONEY_FIELDS, "tax_rate",
    "exchange_rate", *(f"seller_{f}" for f in MONEY_FIELDS), "ordered_date", "additional_information", "url"})


def order_row(o: dict) -> dict:
    customer = object_of(o.get("customer"), "customer")
    info = object_of(o.get("additional_information"), "additional_information")
    row = {
        **unknown_fields(o, ORDER_FIELDS),
        **as_sent(o, ORDER_AS_SENT),
        "id": require(o.get("id"), "id"),
        "order_number": o.get("order_number"),
        "shopping_cart_id": o.get("shopping_cart_id"),
        "customer_id": o.get("customer_id") or customer.get("id"),
        "ordered_date": utc(require(o.get("ordered_date"), "ordered_date"), "ordered_date"),
        "order_status": o.get("order_status"),
        "payment_method": o.get("payment_method"),
        "shipping_method": o.get("shipping_method"),
        "currency_code": o.get("currency_code"),
        "seller_currency_code": o.get("seller_currency_code"),
        "exchange_rate": dec(o.get("exchange_rate"), "exchange_rate"),
        "tax_rate": dec(o.get("tax_rate"), "tax_rate"),
        **{f: dec(o.get(f), f) for f in MONEY_FIELDS},
        **{f"seller_{f}": dec(o.get(f"seller_{f}"), f"seller_{f}") for f in MONEY_FIELDS},
        "purchase_order_number": info.get("purchase_order_number"),
        "customer": customer_row(customer),
        "shipping_address": _address(o.get("shipping_address"), "shipping_address"),
        "billing_address": _address(o.get("billing_address"), "billing_address"),
        "items": [item_row(object_of(i, "items[]")) for i in list_of(o.get("items"), "items")],
        "shipments": [shipment_row(object_of(s, "shipments[]")) for s in list_of(o.get("shipments"), "shipments")],
    }
    return row


def item_row(i: dict) -> dict:
    return {**as_sent(i, ITEM_AS_SENT), "id": i.get("id"), "sku_id": i.get("sku_id"), "product_id": i.get("product_id"),
            "quantity": i.get("quantity"), "model_number": i.get("model_number"),
            "price_per_unit": dec(i.get("price_per_unit"), "items[].price_per_unit"),
            "seller_price_per_unit": dec(i.get("seller_price_per_unit"), "items[].seller_price_per_unit"),
            "unit_of_measure": i.get("unit_of_measure")}


def shipment_row(s: dict) -> dict:
    return {**as_sent(s, SHIPMENT_AS_SENT), "id": s.get("id"), "status": s.get("status"),
            "shipment_type": s.get("shipment_type"),
            "carrier": s.get("carrier"), "tracking_number": s.get("tracking_number"),
            "created_on": utc(s.get("created_on"), "shipments[].created_on"),
            "shipped_date": utc(s.get("shipped_date"), "shipments[].shipped_date"),
            "estimated_delivery_date": utc(s.get("estimated_delivery_date"), "shipments[].estimated_delivery_date"),
            "items": [{"order_item_id": x.get("order_item_id"), "sku_id": x.get("sku_id"),
                       "quantity": x.get("quantity")}
                      for x in (object_of(x, "shipments[].items[]") for x in list_of(s.get("items"), "shipments[].items"))]}


CUSTOMER_FIELDS = ("first_name", "last_name", "company_name", "email_address", "phone_number", "account_id",
                   "account_name", "account_number", "discount_level_id", "discount_level_name")


def customer_row(c: dict) -> dict:
    return {"id": c.get("id"), **{k: c.get(k) for k in CUSTOMER_FIELDS}}


def customers_of(orders: list[dict]) -> list[dict]:
    """The buyers named on these orders (Order.customer), one row per customer id, with the
    billing country (a Customer has no address of its own)."""
    out = {}
    for o in orders:
        cid = o["customer_id"]
        if cid:
            out[cid] = {**o["customer"], "id": cid, "billing_country_code": o["billing_address"]["country_code"]}
    return list(out.values())


def version_of(row: dict) -> str:
    """What makes two sightings of an order the same version (there is no modified stamp)."""
    return hashlib.sha256(orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]


def is_open(row: dict) -> bool:
    """Open orders are re-fetched every sync; so is one in a status the document does not
    list (nobody knows whether it is final)."""
    return row["order_status"] in OPEN_STATUSES or row["order_status"] not in ORDER_STATUSES


def product_row(p: dict) -> dict:
    brand = object_of(p.get("brand"), "brand")
    return {**as_sent(p, PRODUCT_AS_SENT), "id": require(p.get("id"), "id"),
            "library_product_id": p.get("library_product_id"), "name": p.get("name"),
            "short_name": p.get("short_name"), "short_description": p.get("short_description"),
            "brand_id": p.get("brand_id"), "brand_name": brand.get("name"), "url": p.get("url"),
            "created_on": utc(p.get("created_on"), "created_on")}


def sku_row(s: dict) -> dict:
    return {**as_sent(s, SKU_AS_SENT), "id": require(s.get("id"), "id"), "store_product_id": s.get("store_product_id"),
            "library_product_id": s.get("library_product_id"), "sku_identifier": s.get("sku_identifier"),
            "manufacturer_part_number": s.get("manufacturer_part_number"),
            "short_description": s.get("short_description"), "description": s.get("description"),
            "list_price": dec(s.get("list_price"), "list_price"), "sale_price": dec(s.get("sale_price"), "sale_price"),
            "is_on_sale": s.get("is_on_sale"), "sale_start_date": utc(s.get("sale_start_date"), "sale_start_date"),
            "sale_end_date": utc(s.get("sale_end_date"), "sale_end_date"),
            "inventory": dec(s.get("inventory"), "inventory"), "unit_of_measure": s.get("unit_of_measure"),
            "created_on": utc(s.get("created_on"), "created_on"),
            "modified_on": utc(require(s.get("modified_on"), "modified_on"), "modified_on")}


ACCOUNT_FIELDS = ("name", "account_number", "discount_level_id", "payment_terms", "custom_payment_terms",
                  "customer_type", "industry", "street1", "street2", "postal_code", "city", "state_code",
                  "country_code", "email", "phone_number")


def account_row(a: dict) -> dict:
    """The account itself; its `user_accounts` come from /AccountUsers (one place per user)."""
    return {"id": require(a.get("id"), "id"), **{k: a.get(k) for k in ACCOUNT_FIELDS},
            "created_on": utc(a.get("created_on"), "created_on")}


USER_FIELDS = ("account_id", "discount_level_id", "first_name", "last_name", "salutation", "email", "title",
               "department", "phone_number")


def account_user_row(u: dict) -> dict:
    """A user of `GET /AccountUsers` (its `account_id` is the account it is attached to)."""
    return {"id": str(require(u.get("id"), "id")), **{k: u.get(k) for k in USER_FIELDS},
            "created_on": utc(u.get("created_on"), "created_on")}
