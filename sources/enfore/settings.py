"""enfore settings (`[sources.enfore]`, declared once: defaults and allowed values) and the API's limits."""
from __future__ import annotations

from dataclasses import dataclass

from ..common.settings import VendorSettings, within

VENDOR = "enfore"
#: invoices and credit memos: "Caution: limit is restricted to 50"
DOCUMENT_PAGE_SIZE_MAX = 50
#: products: limit [1 .. 5000]
PRODUCTS_PAGE_SIZE_MAX = 5000
#: a window is split further when it holds more than this many pages
WINDOW_MAX_PAGES = 20


@dataclass(frozen=True)
class Settings(VendorSettings):
    vendor = VENDOR
    credentials = ("org_id", "app_name", "app_secret")

    document_page_size: int = within(DOCUMENT_PAGE_SIZE_MAX, low=1, high=DOCUMENT_PAGE_SIZE_MAX,
                                     why="the API's limit for invoices and credit memos")
    products_page_size: int = within(1000, low=1, high=PRODUCTS_PAGE_SIZE_MAX, why="the API's limit for products")
    #: every sync re-reads this much of `processed_date_and_time` before its cursor: records
    #: appear late in intervals close to the present ("eventual consistency")
    lookback_hours: float = within(48, low=0)
    #: the document recommends intervals of "weeks, days or hours"; a window is split further
    #: when it holds more than `WINDOW_MAX_PAGES` pages
    window_hours: float = within(24, low=0.01)
    #: "It is planned to limit the offset in the future to 10000": never page deeper
    max_offset: int = within(10_000, low=1)
