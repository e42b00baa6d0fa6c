"""enfore constants: defaults for the settings in `[sources.enfore]` and the API's limits."""

VENDOR = "enfore"
#: invoices and credit memos: "Caution: limit is restricted to 50"
DOCUMENT_PAGE_SIZE = 50
DOCUMENT_PAGE_SIZE_MAX = 50
#: products: limit [1 .. 5000]
PRODUCTS_PAGE_SIZE = 1000
PRODUCTS_PAGE_SIZE_MAX = 5000
#: "It is planned to limit the offset in the future to 10000": never page deeper
MAX_OFFSET = 10_000
#: every sync re-reads this much of `processed_date_and_time` before its cursor: records
#: appear late in intervals close to the present ("eventual consistency")
LOOKBACK_HOURS = 48
#: the document recommends intervals of "weeks, days or hours"; a window is split further
#: when it holds more than `WINDOW_MAX_PAGES` pages
WINDOW_HOURS = 24
WINDOW_MAX_PAGES = 20
START_DATE = "2020-01-01"
MAX_WORKERS = 4
