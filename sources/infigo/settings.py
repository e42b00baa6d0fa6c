"""Infigo settings (`[sources.infigo]`, declared once: defaults and allowed values) and the API's enums."""
from __future__ import annotations

from dataclasses import dataclass

from ..common.settings import VendorSettings, within

VENDOR = "infigo"
#: `filterByStatus` values re-polled every run: everything not Complete (40) or Cancelled (50).
#: 10 alone should do ("Open (not complete/cancelled)"), but if 10 means only Open the others
#: are still asked for; the union costs three extra id lists
OPEN_STATUSES = (10, 20, 30, 60)
#: an order in these statuses no longer changes (Complete, Cancelled): it leaves the re-poll
CLOSED_STATUSES = (40, 50)


@dataclass(frozen=True)
class Settings(VendorSettings):
    vendor = VENDOR
    credentials = ("api_token",)

    #: records per page of /catalog/v2/product and /customer/v2, and order details per loaded chunk
    page_size: int = within(100, low=1)
    #: the orders window re-lists this far behind the vendor clock of the previous run (orders
    #: committed late, clock skew); changed orders outside it are caught by the open-order re-poll
    orders_lookback_hours: float = within(48, low=0)
    customers_lookback_hours: float = within(48, low=0)
    #: `/customer/v2` defaults to Registered; guest checkouts are customers of role Guests
    customer_roles: tuple[str, ...] = ("Registered", "Guests")
    #: products carry no currency: they are priced in the store's default currency
    store_currency: str = "GBP"
    #: the documented limit: 50 requests per rolling 10 s per token
    rate_limit_per_window: int = within(50, low=1)
    rate_limit_window_s: float = within(10.0, above=0)
    #: widens the client's window so a request sent just after a slot frees cannot reach the
    #: server before it frees there (measured: see benchmarks/infigo_rate_limit.py)
    rate_limit_margin_s: float = within(0.25, low=0)
    #: detail and line-item fetches in flight; the rate budget, not this, caps the request rate (16
    #: keep up with a raised limit at ~50 ms per request)
    max_workers: int = within(16, low=1, high=32, why="requests in flight per resource")

# Enums as the document names them (`x-enumNames`); the wire carries the numeric codes.
ORDER_STATUS = {10: "Open", 20: "Paid", 30: "Shipped", 40: "Complete", 50: "Cancelled", 60: "Delivered"}
ORDER_STATE = {10: "Pending", 20: "Processing", 30: "Complete", 40: "Cancelled"}
SHIPPING_STATE = {10: "ShippingNotRequired", 20: "NotYetShipped", 30: "Shipped", 40: "Delivered"}
PAYMENT_STATE = {10: "Pending", 20: "Authorized", 30: "Paid", 35: "PartiallyRefunded", 40: "Refunded",
                 50: "Voided", 60: "Cancelled"}
PRODUCT_TYPE = {10: "Normal", 20: "Variable", 30: "Static", 40: "MultiPart", 50: "Dynamic", 60: "Sms",
                70: "Symphony", 80: "Custom"}
CUSTOMER_STATUS = {0: "NotActive", 1: "Active", 2: "Invited"}
#: `InfigoOrderlineItem.Status` (the numbering of the read model, taken as canonical over the
#: conflicting one of `deleteitemstatus`)
LINE_ITEM_STATUS = {
    0: "Nothing", 1: "Creating", 2: "InBasket", 3: "Ordered", 4: "OutputCreationStarted", 5: "OutputCreated",
    6: "OutputCreationFailed", 7: "InHotFolder", 8: "Printed", 9: "Shipped", 10: "AwaitingApproval",
    11: "AwaitingData", 12: "AwaitingParts", 13: "AwaitingProof", 14: "InArtworking", 15: "InFinishing",
    16: "InPacking", 17: "InProduction", 18: "InReprographics", 19: "OnHold", 20: "FutureOrder",
    21: "UnapprovedOrder", 22: "Rejected", 23: "Approved", 24: "RecreationRequested", 25: "OutputDownloaded",
    26: "OutputVerified", 27: "SentEmail", 28: "SentEmailFailed", 29: "SmsDispatched", 30: "EmailBounced",
    31: "EmailBouncedAndPrintJobCreated", 32: "PrintJobVersion", 33: "NoEmailBounceActionRequired",
    34: "SmsDispatching", 35: "MisNotified", 36: "TemplateProductCreated", 37: "TemplateProductCreationFailed",
    38: "ExternalOutputRequested", 39: "ExternalOutputJobClosed", 40: "ActionRun", 41: "MisNotificationRetrigger",
    46: "ReadyForCollection", 49: "Blocked", 50: "ArtworkUploaded", 51: "MisOrderProcessed", 52: "MisAssetsOk",
    53: "MisAssetsFailed", 54: "MisFailed", 55: "CustomStatus", 56: "CustomStatusHidden",
    57: "MisAdditionalActionRequired", 58: "MisManifested", 59: "CopyToHotFolderFailed",
    60: "CopyToHotFolderSkipped", 61: "PartiallyApproved", 62: "JobDataDeleted", 63: "ValidationFailed",
    64: "ValidationFinished", 65: "ApprovalJobUpdated", 66: "MisPartiallyFailed", 67: "OutputDeleted",
    68: "MisShipped", 69: "MisSkipped", 70: "RequiresFinalize", 71: "ShippedQuantity", 72: "MisCustomStatus",
    73: "Cancelled", 74: "JobTicketDownloaded", 75: "JobTicketVerified", 76: "StatusManuallyRemoved",
}
