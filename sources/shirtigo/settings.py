"""Shirtigo constants: defaults for the settings in `[sources.shirtigo]` and the API's shape."""

VENDOR = "shirtigo"
#: requested page size; the maximum is undocumented, so the source reads `meta.pagination`
#: back instead of trusting it
PAGE_SIZE = 100
#: days an order keeps changing after it is placed (production, shipping, complaints);
#: every sync re-scans this window because the API has no "changed since" filter
MUTATION_HORIZON_DAYS = 45
#: payments never change; a short re-scan covers late writes and clock skew
PAYMENTS_LOOKBACK_DAYS = 3
SOURCE_TIMEZONE = "Europe/Berlin"
START_DATE = "2020-01-01"
MAX_WORKERS = 4
