"""Shirtigo settings (`[sources.shirtigo]`, declared once: defaults and allowed values) and the API's shape."""
from __future__ import annotations

from dataclasses import dataclass

from ..common.settings import VendorSettings, within

VENDOR = "shirtigo"
SOURCE_TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Settings(VendorSettings):
    vendor = VENDOR
    credentials = ("api_key",)

    #: requested page size; the maximum is undocumented, so the source reads `meta.pagination`
    #: back instead of trusting it
    page_size: int = within(100, low=1)
    #: days an order keeps changing after it is placed (production, shipping, complaints);
    #: every sync re-scans this window because the API has no "changed since" filter
    mutation_horizon_days: float = within(45, low=0)
    #: payments never change; a short re-scan covers late writes and clock skew
    payments_lookback_days: float = within(3, low=0)
    #: the zone of the API's wall-clock timestamps
    source_timezone: str = SOURCE_TIMEZONE
