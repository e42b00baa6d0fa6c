"""Vendor values to warehouse values: money to exact decimals, ids to stable keys."""
from __future__ import annotations

import hashlib
from decimal import Decimal

CENTS = Decimal("0.01")


def minor_to_decimal(amount: int | float | str | None, factor: int = 100) -> Decimal | None:
    """Minor units (e.g. cents) to an exact major-unit decimal."""
    if amount is None:
        return None
    return Decimal(str(amount)) / Decimal(factor)


def number_to_decimal(value: int | float | str | None) -> Decimal | None:
    """A JSON number (parsed as float) to the decimal it was written as."""
    if value is None or value == "":
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def stable_key(*parts: object, length: int = 20) -> str:
    """A key derived from normalised values (trimmed, lower-case), for records the vendor
    gives no id of their own (e.g. customers known only by an address)."""
    text = "|".join(" ".join(str(p or "").split()).lower() for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
