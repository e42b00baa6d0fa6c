"""enfore specifics: the org-token auth flow, the `{items, problems}` list envelope (problems
fetched one by one from their `on_resource`), and payload -> row mapping (Money `{value,
unit}` to exact decimals, RFC 3339 times to UTC, contacts named on invoices to rows). A
payload that breaks the document's types raises `Unreadable`."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import quote, urlparse

import orjson

from ..common.errors import VendorAuthError, VendorDataError, setting_help
from ..common.hints import BOOL, JSON, TEXT, columns
from ..common.http import VendorClient
from ..common.paging import confirmed, select
from ..common.quarantine import (
    Unreadable,
    as_sent,
    decimal_of,
    described,
    list_of,
    object_of,
    require,
    unknown_fields,
    utc_of,
)
from ..common.redact import redact, register_secret
from ..common.timeutil import parse_utc
from ..common.windows import Page
from .settings import VENDOR

log = logging.getLogger("vendorsync.enfore")

ADDRESS_FIELDS = ("full_address", "recipient_name", "care_of", "street_name", "street_number", "additional",
                  "city", "zip", "country_code")
PARTY_FIELDS = (("individual", "individual_id"), ("individual_name", "individual_name"),
                ("organization", "organization_id"), ("organization_name", "organization_name"))
#: the document's invoice fields, and a credit memo's two more (anything else: new columns)
DOCUMENT_FIELDS = frozenset({
    "id", "store_id", "register_id", "operator_id", "number", "transaction_date_and_time", "issued_date_and_time",
    "processed_date_and_time", "customer_information", "payer_information", "invoice_address",
    "total_gross_amount", "total_net_amount", "tax_amounts", "items", "payments", "discounts", "markups",
    "applied_discounts", "applied_markups", "has_loyalty_program_data", "has_external_promotion_program_data",
    "sales_orders", "external_pricing_data", "additional_invoice_information", "void_reason",
    "invoices", "reasons"})
#: documented fields kept as sent (not reshaped): an invoice's or credit memo's, an item's, a product's
DOCUMENT_AS_SENT = columns(
    discounts=JSON, markups=JSON, applied_discounts=JSON, applied_markups=JSON, sales_orders=JSON,
    external_pricing_data=TEXT, additional_invoice_information=JSON, has_loyalty_program_data=BOOL,
    has_external_promotion_program_data=BOOL)
ITEM_AS_SENT = columns(
    lot_id=TEXT, fixed_base_price_and_unit=JSON, discounts=JSON, markups=JSON, applied_discounts=JSON,
    applied_markups=JSON, external_pricing_data=TEXT, additional_invoice_information=JSON,
    cuwo_external_data=TEXT, payout_item_reason=JSON, sales_order_line_items=JSON,
    cuwo_refund_processing_data=JSON)
PRODUCT_AS_SENT = columns(
    sales_types=JSON, management_unit=TEXT, alternative_units=JSON, sales_quantity=JSON,
    enabled_sales_quantity_sources=JSON, enabled_sales_price_sources=JSON, reference_price_quantity=JSON,
    reference_price_conversion_quantity=JSON, exclude_from_discounts=BOOL,
    disable_manual_sales_price_adjustment=BOOL, maximum_manual_price_per_unit=JSON, tax_exemption_reason=TEXT,
    not_taxable=BOOL, custom_workflow_config=JSON, variant_ranking_pKey=TEXT, browse_nodes=JSON,
    track_inventory=BOOL, lot_configuration=JSON, intended_use=JSON, product_dimensions=JSON,
    shipping_dimensions=JSON, manual_rough_stock_indicator=TEXT, product_details_configuration_id=TEXT,
    sold_on_behalf_of=TEXT)
#: which list a problem's `on_resource` points into, from its path
RESOURCE_PATH = re.compile(r"/org/[^/]+/(invoices|credit-memos|products)/([^/?#]+)/?$")


# --- auth ----------------------------------------------------------------------------------
def auth_url_for(base_url: str) -> str:
    """The auth API lives beside the ERP API on the same host: `https://external.apis.enfore.com/erp`
    -> `https://external.apis.enfore.com/auth`."""
    parsed = urlparse(base_url)
    return f"{parsed.scheme}://{parsed.netloc}/auth"


def token_fetcher(client: VendorClient, auth_url: str, org_id: str, app_name: str,
                  app_secret: str) -> Callable[[], str]:
    """The Login Flow: `GET <auth>/authorize/{org-id}` with Basic app credentials returns an
    access token for that organisation. A refusal (403, never 401) is a settings problem."""
    pair = f"{app_name}:{app_secret}"
    register_secret(app_secret)
    register_secret(pair)
    basic = "Basic " + base64.b64encode(pair.encode()).decode()
    url = f"{auth_url.rstrip('/')}/authorize/{quote(org_id, safe='')}"

    def fetch() -> str:
        response = client.request("GET", url, auth=False, headers={"Authorization": basic, "Accept": "*/*"},
                                  allow_statuses=frozenset({401, 403}))
        if response.status_code in (401, 403):
            raise VendorAuthError(
                VENDOR, f"enfore refused app {app_name!r} for organisation {org_id!r} "
                f"(HTTP {response.status_code}: {_problem_text(response)}).",
                hint=f"Check {setting_help('sources.enfore.app_name')}, "
                     f"{setting_help('sources.enfore.app_secret')} and sources.enfore.org_id: "
                     "enfore grants each app access per organisation.")
        token = (response.parsed or {}).get("accessToken") if isinstance(response.parsed, dict) else None
        if not token:
            raise VendorDataError(VENDOR, f"GET {urlparse(url).path} answered without an accessToken.")
        return str(token)

    return fetch


def _problem_text(response) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return redact(response.text[:200]) or "no details"
    if not isinstance(body, dict):
        return "no details"
    return redact(" - ".join(str(body[k]) for k in ("title", "detail") if body.get(k))) or "no details"


# --- lists ---------------------------------------------------------------------------------
def rfc3339(at: datetime) -> str:
    """UTC with milliseconds and `Z`, as the document's examples: 2017-07-21T17:32:28.123Z."""
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class Listing:
    """One list endpoint of the organisation. A page's entries are its `items` plus its
    `problems` (entries the server failed to render; both count toward `limit`). A problem
    that names its record in `on_resource` has that record fetched on its own, so it never
    turns into a lost record or, in a snapshot, a false deletion. A problem that names none
    (the document prints them as just a `title` and a `detail`), or whose record cannot be
    fetched, is kept in `unnamed` (payload, reason) for the resource's quarantine: one
    unreadable entry must not stop a whole vendor (the listing still pages on, as it counts
    toward `limit`)."""

    def __init__(self, client: VendorClient, org_id: str, kind: str, limit: int):
        self.client = client
        self.org_id = org_id
        self.kind = kind                  # products | invoices | credit-memos
        self.limit = limit
        self.path = f"/org/{quote(org_id, safe='')}/{kind}"
        self.unnamed: list[tuple[dict, str]] = []      # problems naming no record: (payload, reason)
        self.unfetched: list[str] = []                  # problems naming a record that answered 404
        self._lock = threading.Lock()

    def page(self, offset: int) -> Page:
        """One page of the whole list (products); an empty one is asked for again before it
        is believed (`paging.confirmed`: there is no total to check it against)."""
        return confirmed(lambda _: self._page(offset), offset, self._page(offset))

    def _page(self, offset: int, **params: str) -> Page:
        response = self.client.get(self.path, params={**params, "limit": self.limit, "offset": offset})
        where = f"GET {self.path}"
        items = select(VENDOR, response.parsed, "items", where)
        problems = response.parsed.get("problems") or []
        records = items + [r for r in (self.resolve(p) for p in problems) if r is not None]
        return Page(records, len(items) + len(problems))

    def window_page(self, start: datetime, end: datetime, offset: int) -> Page:
        """One page of `[start, end)`, as read: `scan_range` verifies an empty one."""
        return self._page(offset, **{"from": rfc3339(start), "to": rfc3339(end)})

    def get(self, record_id: str) -> dict | None:
        """One record by id; None when the API does not know it (404)."""
        response = self.client.get(f"{self.path}/{quote(record_id, safe='')}", allow_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.parsed

    def resolve(self, problem: object) -> dict | None:
        if not isinstance(problem, dict):
            self._unnamed(problem, f"GET {self.path} listed a problem that is not an object")
            return None
        on_resource = str(problem.get("on_resource") or "")
        match = RESOURCE_PATH.search(urlparse(on_resource).path)
        text = " - ".join(str(problem.get(k)) for k in ("title", "detail") if problem.get(k)) or "no details"
        if not match or match.group(1) != self.kind:
            self._unnamed(problem, f"GET {self.path} listed a problem that names no {self.kind} record: {text}")
            return None
        log.debug("%s: %s listed a problem (%s); fetching %s on its own", VENDOR, self.kind, text, match.group(2))
        record = self.get(match.group(2))
        if record is None and self.kind != "products":
            self._unnamed(problem, f"{self.kind} {match.group(2)} was listed as a problem ({text}) and cannot "
                                   "be fetched (404); fetched again by id on the next sync")
            with self._lock:
                self.unfetched.append(match.group(2))
        return record            # a product gone since the listing is simply absent

    def _unnamed(self, problem: object, reason: str) -> None:
        log.warning("%s: %s; recorded in raw_%s.quarantine, the rest of the listing loads", VENDOR, reason, VENDOR)
        with self._lock:          # window pages are read on several threads
            self.unnamed.append((problem, reason))

    def drain_unnamed(self) -> list[tuple[dict, str]]:
        with self._lock:
            out, self.unnamed = self.unnamed, []
        return out

    def drain_unfetched(self) -> list[str]:
        """Ids a problem named whose fetch answered 404: perhaps only for a moment, so the
        caller fetches them again on the next sync instead of letting the cursor pass them."""
        with self._lock:
            out, self.unfetched = self.unfetched, []
        return out


def record_id(record: dict):
    return record.get("id")


def processed_at(record: dict) -> datetime:
    value = parse_utc(record.get("processed_date_and_time"))
    if value is None:
        raise VendorDataError(VENDOR, f"record {record.get('id')} has no processed_date_and_time.")
    return value


def version_of(record: dict) -> str:
    """A digest of everything the API says about a record: voids change it."""
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=12).hexdigest()


# --- rows ----------------------------------------------------------------------------------
def money(value: object, what: str = "amount") -> tuple[Decimal | None, str | None]:
    """`{"value": 2.521008, "unit": "EUR"}` -> (Decimal('2.521008'), 'EUR'). A value sent as
    a numeric string is read; a bare number is read without a unit (the caller knows the
    document's currency); anything else (a formatted string "12.50 EUR") is unreadable."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        return decimal_of(value.get("value"), f"{what}.value"), value.get("unit")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return decimal_of(value, what), None
    raise Unreadable(f"{what}: expected a Money object {{value, unit}}, got {described(value)}")


def _amount(value: object, what: str = "amount") -> Decimal | None:
    return money(value, what)[0]


def _party(prefix: str, info: object) -> dict:
    info = info if isinstance(info, dict) else {}
    return {f"{prefix}_{column}": info.get(field) or None for field, column in PARTY_FIELDS}


def _names(values: object, key: str | None = None) -> str | None:
    """A list of codes (or of objects' `key`) as one comma-separated text."""
    parts = [str(v.get(key) if key and isinstance(v, dict) else v) for v in values or []]
    return ",".join(p for p in parts if p and p != "None") or None


def item_row(index: int, item: dict, currency: str | None) -> dict:
    """An item; its amounts are in the document's `currency` whatever their own unit says."""
    item = object_of(item, "items[]")
    quantity, quantity_unit = money(item.get("quantity"), "items[].quantity")
    standard = object_of(item.get("standard_price_and_unit"), "items[].standard_price_and_unit")
    voids = [object_of(v, "items[].void_information[]") for v in list_of(item.get("void_information"),
                                                                         "items[].void_information")]
    voided = [money(v.get("voided_quantity"), "items[].void_information[].voided_quantity")[0] for v in voids]
    voided_on = [utc_of(v.get("voided_on"), "items[].void_information[].voided_on") for v in voids if v.get("voided_on")]
    return {
        **as_sent(item, ITEM_AS_SENT),
        "line_index": index,
        "id": item.get("id"),
        "type": item.get("type"),
        "name": item.get("name"),
        "product_id": item.get("product_id"),
        "product_external_id": item.get("product_external_id"),
        "quantity": quantity,
        "quantity_unit": quantity_unit,
        "gross_amount": _amount(item.get("gross_amount"), "items[].gross_amount"),
        "net_amount": _amount(item.get("net_amount"), "items[].net_amount"),
        "undiscounted_gross_amount": _amount(item.get("undiscounted_gross_amount"), "items[].undiscounted_gross_amount"),
        "undiscounted_net_amount": _amount(item.get("undiscounted_net_amount"), "items[].undiscounted_net_amount"),
        "unit_price": _amount(standard.get("price_per_unit"), "items[].standard_price_and_unit.price_per_unit"),
        "currency": currency,
        "taxes": _names(item.get("taxes")),
        "deposit_item_ids": _names([d for d in item.get("depending_items") or []
                                    if (d or {}).get("dependency_type") == "DEPOSIT"], "depending_item_id"),
        "voided_quantity": sum((v for v in voided if v is not None), Decimal(0)) if voids else None,
        "voided_on": max(voided_on) if voided_on else None,
        "void_reason": _names([v.get("void_reason") for v in voids], "name"),
    }


def document_currency(doc: dict) -> str:
    """The unit of the document's totals (or, if they are bare numbers, of its payments)."""
    payments = [p for p in list_of(doc.get("payments"), "payments") if isinstance(p, dict)]
    for value in (doc.get("total_gross_amount"), doc.get("total_net_amount"), *(p.get("amount") for p in payments)):
        if isinstance(value, dict) and value.get("unit"):
            return value["unit"]
    raise Unreadable("no amount of the document names its currency (unit)")


def document_row(doc: dict) -> dict:
    """An invoice or credit memo (same shape; a credit memo adds `invoices` and `reasons`)."""
    gross, _ = money(require(doc.get("total_gross_amount"), "total_gross_amount"), "total_gross_amount")
    currency = document_currency(doc)
    items = [item_row(i, item, currency) for i, item in enumerate(list_of(doc.get("items"), "items"))]
    taxes = [object_of(t, "tax_amounts[]") for t in list_of(doc.get("tax_amounts"), "tax_amounts")]
    processed = processed_at(doc)
    voided_on = max((i["voided_on"] for i in items if i["voided_on"]), default=None)
    address = object_of(doc.get("invoice_address"), "invoice_address")
    void_reason = object_of(doc.get("void_reason"), "void_reason")
    row = {
        **unknown_fields(doc, DOCUMENT_FIELDS),
        **as_sent(doc, DOCUMENT_AS_SENT),
        "id": require(doc.get("id"), "id"),
        "number": doc.get("number"),
        "store_id": doc.get("store_id"),
        "register_id": doc.get("register_id"),
        "operator_id": doc.get("operator_id"),
        "transaction_date_and_time": utc_of(require(doc.get("transaction_date_and_time"), "transaction_date_and_time"),
                                            "transaction_date_and_time"),
        "issued_date_and_time": utc_of(doc.get("issued_date_and_time"), "issued_date_and_time"),
        "processed_date_and_time": processed,
        "changed_at": max(processed, voided_on) if voided_on else processed,
        "currency": currency,
        "total_gross_amount": gross,
        "total_net_amount": _amount(doc.get("total_net_amount"), "total_net_amount"),
        "total_tax_amount": sum((_amount(t.get("tax_amount"), "tax_amounts[].tax_amount") or Decimal(0)
                                 for t in taxes), Decimal(0)),
        **_party("customer", object_of(doc.get("customer_information"), "customer_information")),
        **_party("payer", object_of(doc.get("payer_information"), "payer_information")),
        **{f"address_{k}": address.get(k) for k in ADDRESS_FIELDS},
        "void_reason": void_reason.get("name"),
        "voided_on": voided_on,
        "payment_methods": _names(list_of(doc.get("payments"), "payments"), "method"),
        "items": items,
        "tax_amounts": taxes,                      # JSON as sent: tax code, taxed net, tax
        "payments": doc.get("payments") or [],     # JSON as sent
    }
    if "invoices" in doc:
        row["invoices"] = [str(i) for i in list_of(doc.get("invoices"), "invoices")]
        row["reasons"] = _names(list_of(doc.get("reasons"), "reasons"))
    return row


def contact_rows(invoice: dict) -> list[dict]:
    """Every contact an invoice names, once per role (customer, payer). The invoice address
    belongs to the customer; a payer-only contact has no address."""
    rows = []
    for role in ("customer", "payer"):
        for kind in ("individual", "organization"):
            contact_id = invoice.get(f"{role}_{kind}_id")
            if not contact_id:
                continue
            address = role == "customer"
            rows.append({
                "contact_id": contact_id, "role": role, "contact_type": kind,
                "name": invoice.get(f"{role}_{kind}_name"),
                "country_code": invoice.get("address_country_code") if address else None,
                "zip": invoice.get("address_zip") if address else None,
                "city": invoice.get("address_city") if address else None,
                "last_invoice_at": invoice["transaction_date_and_time"],
            })
    return rows


def product_row(p: dict) -> dict:
    sales = object_of(p.get("sales_price_and_quantity"), "sales_price_and_quantity")
    price, currency = money(sales.get("price"), "sales_price_and_quantity.price")
    identifiers = [object_of(i, "product_identifiers[]") for i in list_of(p.get("product_identifiers"),
                                                                          "product_identifiers")]
    return {
        **as_sent(p, PRODUCT_AS_SENT),
        "id": require(p.get("id"), "id"),
        "type": p.get("type"),
        "name": p.get("name"),
        "article_id": p.get("article_id"),
        "external_id": p.get("external_id"),
        "ean": next((i.get("value") for i in identifiers if i.get("type") in ("EAN", "GTIN")), None),
        "price": price,
        "currency": currency,
        "price_is_gross": sales.get("price_is_gross"),
        "take_away_price": _amount(sales.get("take_away_price"), "sales_price_and_quantity.take_away_price"),
        "tax_category": p.get("tax_category"),
        "sales_category": p.get("sales_category"),
        "brand": p.get("brand"),
        "manufacturer": p.get("manufacturer"),
        "extra_charge_type": p.get("extra_charge_type"),
        "block_sales": p.get("block_sales"),
        "variant_group_id": p.get("variant_group_id"),
    }
