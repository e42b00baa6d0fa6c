"""Infigo payloads to warehouse rows: PascalCase to snake_case, every amount to an exact
decimal, timestamps to aware UTC, enums (integer, numeric string or name) to their integer
code plus the document's name, free-form lists kept as JSON. Every field arrives, documented
or not; a value that breaks the document's types raises `Unreadable`."""
from __future__ import annotations

import base64
import functools
import hashlib
import re
from datetime import datetime
from typing import Any

import orjson

from ..common.http import StaticHeaderAuth
from ..common.quarantine import Unreadable, decimal_of, list_of, utc_of
from . import settings as S

ORDER_MONEY = ("ShippingCost", "Tax", "OrderTotal", "BudgetUsed", "CurrencyRate", "OrderSubtotalInclTax",
               "OrderSubtotalExclTax", "OrderSubTotalDiscountInclTax", "OrderSubTotalDiscountExclTax",
               "OrderTax", "OrderDiscount", "RefundedAmount", "PaymentMethodAdditionalFeeInclTax",
               "PaymentMethodAdditionalFeeExclTax", "OrderShippingInclTax", "OrderShippingExclTax",
               "OrderProcessingFeeExclTax", "OrderProcessingFeeInclTax", "OrderLineHandlingFeeExclTax",
               "OrderLineHandlingFeeInclTax", "ProductHandlingFeeExclTax", "ProductHandlingFeeInclTax")
ORDER_TIMES = ("OrderDate", "ShippedDateUtc", "DeliveryDateUtc", "DispatchBy", "DeliverBy")
ORDER_ENUMS = {"Status": S.ORDER_STATUS, "OrderState": S.ORDER_STATE, "ShippingState": S.SHIPPING_STATE,
               "PaymentState": S.PAYMENT_STATE}
ORDER_JSON = ("OrderLineItems", "DiscountCodes", "TaxRatesList", "CheckoutAttributes", "Data", "MisConfigurations")

LINE_MONEY = ("Price", "UnitPriceInclTax", "UnitPriceExclTax", "SubTotalPriceInclTax", "SubTotalPriceExclTax",
              "DiscountAmountInclTax", "DiscountAmountExclTax")
LINE_TIMES = ("CreatedOnUtc",)
LINE_ENUMS = {"Status": S.LINE_ITEM_STATUS, "Type": S.PRODUCT_TYPE}
LINE_JSON = ("History", "PreviewUrls", "ThumbnailUrls", "Tags", "MisConfigurations", "ProductAttributes",
             "DeliveryType", "Variables", "AssetDetails", "GenericJobFiles")

PRODUCT_MONEY = ("Price", "OldPrice", "ProductCost", "SpecialPrice", "AdditionalShippingCharge",
                 "MinimumCustomerEnteredPrice", "MaximumCustomerEnteredPrice", "PrepayAmount")
PRODUCT_TIMES = ("SpecialPriceStartDateTimeUtc", "SpecialPriceEndDateTimeUtc", "AvailableStartDateTimeUtc",
                 "AvailableEndDateTimeUtc")
PRODUCT_ENUMS = {"Type": S.PRODUCT_TYPE}
PRODUCT_JSON = ("CategoryIds", "TierPrices", "SpecificationAttributes", "Variables", "PricingScript",
                "PreviewUrls", "ThumbnailUrls", "Tags", "ProductAttributes", "AttributeCombinations",
                "MisConfigurations", "TaxCategoryIds")

CUSTOMER_TIMES = ("CreatedOn", "LastActivityDate", "DateOfBirth")
CUSTOMER_ENUMS = {"Status": S.CUSTOMER_STATUS}
CUSTOMER_JSON = ("AdditionalAttributes", "Approvers", "BudgetManagers", "MisConfigurations", "Addresses",
                 "CustomerRoles")
#: never stored, even if an API version starts returning it
CUSTOMER_SECRET = ("Password",)


def basic_auth(token: str, setting: str) -> StaticHeaderAuth:
    """Basic auth with the token as user name and an empty password (RFC 7617: `token:`)."""
    value = base64.b64encode(f"{token}:".encode()).decode()
    return StaticHeaderAuth("Authorization", f"Basic {value}", setting, token)


_CAPS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@functools.lru_cache(maxsize=4096)      # a few hundred distinct field names, seen on every record
def snake(name: str) -> str:
    """`OrderSubTotalDiscountInclTax` -> `order_sub_total_discount_incl_tax`."""
    return _CAPS.sub("_", name).lower()


def enum_code(value: Any, names: dict[int, str]) -> int | None:
    """The document types enums as integers, names them in `x-enumNames`, and some fields as
    strings: accept `30`, `"30"` and `"Shipped"` alike. A name the document does not list
    has no code (None); `shape` keeps it as the name."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        raise Unreadable(f"{value!r} is not an enum code")
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    by_name = {v.lower(): k for k, v in names.items()}
    return by_name.get(text.lower())


def shape(payload: dict, *, money: tuple = (), times: tuple = (), enums: dict | None = None,
          json: tuple = (), drop: tuple = ()) -> dict:
    """One API object as a row: snake_case keys, amounts as decimals, UTC timestamps, enum
    codes with a `<field>_name`, the listed lists/objects as JSON values, other nested
    objects (addresses) left to dlt to flatten into `<object>__<field>` columns. Nulls are
    left out: a column appears once a value does (a merge replaces the whole row). An enum
    value outside the document keeps its code (`<field>_name` NULL) or, sent as a name, its
    name (`<field>` NULL): the marts flag it, nothing is lost."""
    enums = enums or {}
    row: dict[str, Any] = {}
    for key, value in payload.items():
        if key in drop or value is None:
            continue
        name = snake(key)
        if key in money:
            row[name] = decimal_of(value, key)
        elif key in times:
            row[name] = utc_of(value, key)
        elif key in enums:
            row[name] = enum_code(value, enums[key])
            row[f"{name}_name"] = enums[key].get(row[name]) if row[name] is not None else str(value)
        elif key in json:
            row[name] = value
        elif isinstance(value, dict):
            row[name] = {snake(k): v for k, v in value.items() if v is not None and not isinstance(v, (list, dict))}
        else:
            row[name] = value
    return row


def version_of(payload: dict) -> str:
    """What makes two sightings of a record the same version: its whole payload."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:20]


def order_row(o: dict) -> dict:
    row = shape(o, money=ORDER_MONEY, times=ORDER_TIMES, enums=ORDER_ENUMS, json=ORDER_JSON)
    if row.get("id") is None:
        raise Unreadable("Id is missing")
    row["order_line_items"] = [j for j in list_of(o.get("OrderLineItems"), "OrderLineItems") if j]
    row["version"] = version_of(o)
    return row


def line_item_row(item: dict) -> dict:
    row = shape(item, money=LINE_MONEY, times=LINE_TIMES, enums=LINE_ENUMS, json=LINE_JSON)
    history = [utc_of(h.get("Timestamp"), "History[].Timestamp")
               for h in list_of(item.get("History"), "History") if h.get("Timestamp")]
    row["last_status_at"] = max(history) if history else None
    return row


def product_row(p: dict, store_currency: str) -> dict:
    row = shape(p, money=PRODUCT_MONEY, times=PRODUCT_TIMES, enums=PRODUCT_ENUMS, json=PRODUCT_JSON)
    tags = p.get("Tags") or []
    row["category"] = tags[0] if tags else None
    row["currency"] = store_currency
    return row


def customer_row(c: dict) -> dict:
    row = shape(c, times=CUSTOMER_TIMES, enums=CUSTOMER_ENUMS, json=CUSTOMER_JSON, drop=CUSTOMER_SECRET)
    roles = [r for r in (c.get("CustomerRoles") or []) if r]
    row["is_guest"] = bool(roles) and all(r.lower() == "guests" for r in roles)
    stamps = [t for t in (row.get("created_on"), row.get("last_activity_date")) if t is not None]
    row["changed_at"] = max(stamps) if stamps else None
    row["version"] = version_of({k: v for k, v in c.items() if k not in CUSTOMER_SECRET})
    return row


def iso_utc(ts: datetime) -> str:
    """A timestamp as the API's filters take it (ISO 8601, UTC, `Z`)."""
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
