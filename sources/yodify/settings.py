"""Yodify settings (`[sources.yodify]`, declared once: defaults and allowed values) and the API's shape."""
from __future__ import annotations

from dataclasses import dataclass

from ..common.settings import VendorSettings, within

VENDOR = "yodify"


@dataclass(frozen=True)
class Settings(VendorSettings):
    vendor = VENDOR
    credentials = ("client_id", "client_secret")

    #: OAuth2 client-credentials token endpoint; a relative URL is taken on the base URL's host
    token_url: str = "/connect/token"
    scope: str = "yodify"
    page_size: int = within(100, low=1, high=100, why="the API's Limit")
    #: refunds reach completed orders this long after they were placed; every sync re-scans
    #: that window, measured back from the last successful sync (or now, if earlier), for orders
    #: in a refund status (the API has no "changed since" filter)
    late_change_window_days: float = within(45, above=0)

#: the document's `order_status` enum; a value outside it loads as sent (the marts flag it)
ORDER_STATUSES = frozenset({"New", "Processing", "Shipped", "PartiallyShipped", "Complete", "Cancelled", "Received",
                            "RefundRequested", "Refunded", "RefundRejected", "StockConfirmed",
                            "StockPartiallyConfirmed", "ReadyForPickup", "PartiallyReadyForPickup"})
#: order statuses after which an order still changes: re-fetched by id on every sync
OPEN_STATUSES = frozenset({"New", "Received", "StockConfirmed", "StockPartiallyConfirmed", "Processing",
                           "PartiallyShipped", "Shipped", "ReadyForPickup", "PartiallyReadyForPickup",
                           "RefundRequested"})
#: what a closed (Complete) order can still turn into, found by the late-change window
REFUND_STATUSES = ("RefundRequested", "Refunded", "RefundRejected")
#: children the sync reads; the document does not list Expand values, these are the
#: property names (the simulator returns intrinsic children whether asked or not)
ORDER_EXPAND = ("customer", "items", "shipping_address", "billing_address", "shipments")
PRODUCT_EXPAND = ("brand",)
