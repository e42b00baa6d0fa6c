"""Vendor values to warehouse values: money to exact decimals, ids to stable keys."""
from __future__ import annotations

import hashlib
from decimal import Decimal


def minor_to_decimal(amount: int | float | str | None, factor: int = 100) -> Decimal | None:
    """Minor units (e.g. cents) to an exact major-unit decimal."""
    if amount is None:
        return None
    return Decimal(str(amount)) / Decimal(factor)


def stable_key(*parts: object, length: int = 20) -> str:
    """A key derived from normalised values (trimmed, lower-case), for records the vendor
    gives no id of their own (e.g. customers known only by an address)."""
    text = "|".join(" ".join(str(p or "").split()).lower() for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
