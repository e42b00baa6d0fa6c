"""Shirtigo payloads to warehouse rows: unwrap Fractal `{"data": [...]}` relations, Money to
decimals, naive Berlin timestamps to UTC, a stable customer key from the delivery address."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..common.hints import JSON, columns
from ..common.quarantine import Unreadable, as_sent, require, unknown_fields
from ..common.timeutil import local_to_utc
from ..common.values import minor_to_decimal, stable_key

#: top-level fields of the document's Order schema (anything else is kept as new columns)
ORDER_FIELDS = frozenset({
    "orderStatusEntries", "shipping", "total_items", "created_at", "products", "sender", "reference",
    "invoice_reference", "delivery", "fulfillment", "net_price", "vat_amount", "bill", "vat_rate",
    "status_key", "gross_price", "payments", "status", "updated_at"})


#: documented fields kept as sent (`as_sent`; the resources declare the same hints)
ORDER_AS_SENT = columns(sender=JSON, bill=JSON)
LINE_AS_SENT = columns(images=JSON)
PRODUCT_AS_SENT = columns(active_integration_syncs=JSON, integration_products=JSON, base_product=JSON, images=JSON,
                          integration_sync_log=JSON)


def relation(obj: dict | None, name: str) -> list:
    """A to-many relation: `{"data": [...]}` in the document; tolerate a bare list or null."""
    value = (obj or {}).get(name)
    if isinstance(value, dict):
        value = value.get("data")
    return value if isinstance(value, list) else []


def money(value: object) -> tuple:
    """(decimal, currency) from a Money object, or from a bare integer of euro cents (the
    document's examples show `net_total_price` that way)."""
    if value is None:
        return None, None
    if isinstance(value, (int, float)):
        return minor_to_decimal(value), "EUR"
    if not isinstance(value, dict):
        raise Unreadable(f"expected a Money object, got {type(value).__name__} {str(value)[:40]!r}")
    amount = value.get("amount")
    factor = value.get("currency_factor") or 100
    return minor_to_decimal(amount, factor), value.get("currency_code") or "EUR"


def customer_id(delivery: dict) -> str:
    """The delivery address is the only trace of the end customer (no id, no e-mail)."""
    d = delivery or {}
    return stable_key(d.get("firstname"), d.get("lastname"), d.get("company"), d.get("street"),
                      d.get("postcode"), d.get("city"), d.get("country"))


def order_row(o: dict, tz: ZoneInfo) -> dict:
    net, currency = money(require(o.get("net_price"), "net_price"))
    vat, _ = money(o.get("vat_amount"))
    gross, _ = money(require(o.get("gross_price"), "gross_price"))
    delivery = o.get("delivery") or {}
    shipping = o.get("shipping") or {}
    ship_cost, _ = money(shipping.get("cost"))
    entries = relation(o, "orderStatusEntries")
    payments = relation(o, "payments")
    fulfillment = o.get("fulfillment")
    parent = delivery.get("parent") or {}
    created = local_to_utc(require(o.get("created_at"), "created_at"), tz)
    updated = local_to_utc(o.get("updated_at"), tz)
    stamps = [updated] + [local_to_utc(x.get("updated_at"), tz) for x in entries + payments] \
        + [local_to_utc(shipping.get("updated_at"), tz)]
    return {
        **unknown_fields(o, ORDER_FIELDS),
        **as_sent(o, ORDER_AS_SENT),
        "reference": require(o.get("reference"), "reference"),
        "invoice_reference": o.get("invoice_reference"),
        "created_at": created,
        "updated_at": updated,
        "changed_at": max(s for s in stamps if s is not None),
        "status": o.get("status"),
        "status_key": o.get("status_key"),
        "total_items": o.get("total_items"),
        "currency": currency,
        "net_price": net,
        "vat_amount": vat,
        "gross_price": gross,
        "vat_rate": o.get("vat_rate"),
        "customer_id": customer_id(delivery),
        "delivery": {k: delivery.get(k) for k in
                     ("title", "firstname", "lastname", "company", "street", "postcode", "city", "country")},
        "parent_reference": parent.get("reference"),
        "is_shipped": bool(shipping.get("is_shipped")),
        "shipping_cost": ship_cost,
        "shipping_type": shipping.get("type"),
        "shipping_country_code": shipping.get("country_code"),
        "tracking_code": shipping.get("tracking_code"),
        "tracking_url": shipping.get("tracking_url"),
        "shipped_at": local_to_utc(shipping.get("created_at"), tz),
        "fulfillment": fulfillment if isinstance(fulfillment, dict) else None,
        "lines": [line_row(i, line) for i, line in enumerate(relation(o, "products"))],
        "status_entries": [
            {"key": e.get("key"), "status": e.get("status"), "description": e.get("description"),
             "created_at": local_to_utc(e.get("created_at"), tz),
             "updated_at": local_to_utc(e.get("updated_at"), tz)} for e in entries],
        "payments": [
            {"id": p.get("id"), "type": p.get("type"), "status": p.get("status"),
             "status_details": p.get("status_details"), "gross_amount": money(p.get("gross_amount"))[0],
             "net_amount": money(p.get("net_amount"))[0], "vat_amount": money(p.get("vat_amount"))[0],
             "vat_rate": p.get("vat_rate"), "updated_at": local_to_utc(p.get("updated_at"), tz)}
            for p in payments],
    }


def line_row(index: int, line: dict) -> dict:
    """`OrderProduct.id` is the product id, not a line id: lines are keyed by position."""
    unit, currency = money(line.get("net_unit_price"))
    total, _ = money(line.get("net_total_price"))
    return {**as_sent(line, LINE_AS_SENT), "line_index": index, "product_id": line.get("id"), "name": line.get("name"),
            "color": line.get("color"), "size": line.get("size"), "quantity": line.get("amount"),
            "net_unit_price": unit, "net_total_price": total, "currency": currency}


def customer_row(order: dict) -> dict:
    """The customer as the address block names them; order dates come from the orders."""
    return {"customer_id": order["customer_id"], **order["delivery"]}


def product_row(p: dict, tz: ZoneInfo) -> dict:
    price, currency = money(p.get("price"))
    base = p.get("base_product") or {}
    return {
        **as_sent(p, PRODUCT_AS_SENT),
        "id": p["id"],
        "name": p.get("name"),
        "custom_name": p.get("custom_name"),
        "project": p.get("project"),
        "project_name": p.get("project_name"),
        "price": price,
        "currency": currency,
        "is_rendered": p.get("is_rendered"),
        "is_available": p.get("is_available"),
        "has_express": p.get("has_express"),
        "description": p.get("description"),
        "updated_at": local_to_utc(p.get("updated_at"), tz),
        "base_product_id": base.get("id"),
        "base_product_name": base.get("name"),
        "category": base.get("category"),
        "category_id": base.get("category_id"),
        "manufacturer": (base.get("manufacturer") or {}).get("name"),
        "colors": [c.get("color") for c in p.get("colors") or []],
    }


def payment_row(p: dict, tz: ZoneInfo) -> dict:
    gross, currency = money(p.get("gross_amount"))
    return {
        "id": p["id"],
        "created_at": local_to_utc(p.get("created_at"), tz),
        "status": p.get("status"),
        "status_title": p.get("status_title"),
        "payment_reference": p.get("payment_reference"),
        "currency": currency,
        "gross_amount": gross,
        "net_amount": money(p.get("net_amount"))[0],
        "vat_amount": money(p.get("vat_amount"))[0],
        "vat_rate": p.get("vat_rate"),
        "order_reference": (p.get("order") or {}).get("reference"),
    }


def version_of(row: dict) -> str:
    """What makes two sightings of an order the same version."""
    return row["changed_at"].isoformat() + "|" + str(row["status_key"])


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days (rounded up) from `earlier` to `later`, at least 1: the `period` to ask for."""
    seconds = (later - earlier).total_seconds()
    return max(1, int(-(-seconds // 86400)))
