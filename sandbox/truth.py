"""The ground-truth contract the simulators expose and tests reconcile the marts against.

Revenue rules (the same rules the marts document; each side implements them separately):
- a *document* is an order (or an enfore invoice); a refund document (an enfore credit memo)
  is a negative document dated on its own date;
- a document counts toward revenue unless the vendor's rules say it never became a sale
  (a cancelled order); reversals that are their own documents do not un-count the original;
- `total` is the gross amount the customer pays (goods + shipping + tax - discount), in the
  document currency; days are UTC calendar days of the document time.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class TruthDocument:
    vendor_order_id: str
    at: datetime                 # UTC
    currency: str
    total_minor: int             # signed; negative for refund documents
    units: int                   # signed like total
    is_refund: bool
    counts_in_revenue: bool
    customer_id: str | None      # vendor customer id (None for anonymous)
    status: str                  # vendor status code as served


def money(minor: int) -> str:
    """Minor units (cents) as an exact decimal string; every sandbox currency has 2 decimals."""
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def daily_summary(documents: list[TruthDocument]) -> list[dict]:
    """Aggregate documents per (UTC day, currency), the grain of `mart_sales_daily`."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"orders": 0, "refunds": 0, "units": 0,
                                                      "gross": 0, "refund": 0})
    first_seen: dict[str, tuple] = {}
    for d in sorted(documents, key=lambda d: d.at):
        if not d.counts_in_revenue:
            continue
        key = (d.at.date().isoformat(), d.currency)
        g = groups[key]
        g["units"] += d.units
        if d.is_refund:
            g["refunds"] += 1
            g["refund"] += -d.total_minor
        else:
            g["orders"] += 1
            g["gross"] += d.total_minor
            if d.customer_id is not None and d.customer_id not in first_seen:
                first_seen[d.customer_id] = key
    new_customers: dict[tuple, int] = defaultdict(int)
    for key in first_seen.values():
        new_customers[key] += 1
    return [
        {
            "sales_date": day,
            "currency": currency,
            "orders": g["orders"],
            "refunds": g["refunds"],
            "units": g["units"],
            "gross_revenue": money(g["gross"]),
            "refund_amount": money(g["refund"]),
            "net_revenue": money(g["gross"] - g["refund"]),
            "new_customers": new_customers[(day, currency)],
        }
        for (day, currency), g in sorted(groups.items())
    ]


def truth_payload(vendor: str, now: datetime, documents: list[TruthDocument], *, customers: int,
                  products_active: list, products_deleted: list, lines: int, **extra: object) -> dict:
    """The ground truth every simulator reports (`GET /truth/<vendor>` on the control API):

    - `orders.count`: every document the vendor holds now (sales and refund documents);
      `orders.lines` their lines; `orders.by_status`; `orders.revenue` per currency (what counts)
    - `daily`: `daily_summary(documents)`, the grain of `mart_sales_daily`
    - `customers.count`: distinct customers the vendor knows (as the marts' dim_customers should)
    - `products.active` / `products.deleted`: ids served now / ids that existed and are gone
    - `documents`: one entry per document (id, UTC time, status, total, units, is_refund)
    - anything vendor-specific in `extra` (e.g. payments, skus)
    """
    by_status: dict[str, int] = defaultdict(int)
    revenue: dict[str, int] = defaultdict(int)
    for d in documents:
        by_status[d.status] += 1
        if d.counts_in_revenue:
            revenue[d.currency] += d.total_minor
    return {
        "vendor": vendor,
        "now": now.isoformat(),
        "orders": {"count": len(documents), "lines": lines, "by_status": dict(by_status),
                   "revenue": {c: money(v) for c, v in sorted(revenue.items())}},
        "daily": daily_summary(documents),
        "customers": {"count": customers},
        "products": {"active": sorted(products_active), "deleted": sorted(products_deleted)},
        "documents": [{"id": d.vendor_order_id, "at": d.at.isoformat(), "status": d.status,
                       "currency": d.currency, "total": money(d.total_minor), "units": d.units,
                       "is_refund": d.is_refund, "counts_in_revenue": d.counts_in_revenue}
                      for d in documents],
        **extra,
    }
