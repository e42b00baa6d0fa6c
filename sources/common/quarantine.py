"""Records that cannot be read as the vendor documents them (schema drift: a string where an
object was, a number that does not parse, a required field missing) go to the vendor's
`quarantine` table with the reason and the raw record, instead of crashing the run or being
dropped silently; the rest of the page loads. Fields the document does not know are kept as
new columns (`unknown_fields`).

A resource that quarantines and has an incremental cursor sets
`on_cursor_value_missing="include"`: quarantine rows carry no cursor value, and every valid
row has one because the mappers require it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import InvalidOperation
from typing import Callable, Iterable

import dlt

from .hints import JSON, TEXT, UTC_TS, columns

TABLE = "quarantine"
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, InvalidOperation, ArithmeticError)
_HINTS = dlt.mark.make_hints(
    table_name=TABLE, write_disposition="merge", primary_key=["resource", "record_key"],
    columns=columns(resource=TEXT, record_key=TEXT, reason=TEXT, payload=JSON, quarantined_at=UTC_TS))


class Unreadable(ValueError):
    """Raised by a mapper for a record that breaks the documented contract."""


def require(value, what: str):
    if value is None or value == "":
        raise Unreadable(f"{what} is missing")
    return value


def split_readable(records: Iterable[dict], mapper: Callable[[dict], dict], *, resource: str,
                   key_of: Callable[[dict], object]) -> tuple[list[dict], list | None]:
    """(rows, quarantine item or None): map each record, set aside the ones that fail."""
    rows, bad = [], []
    now = datetime.now(timezone.utc)
    for record in records:
        try:
            rows.append(mapper(record))
        except UNREADABLE as exc:
            try:
                key = str(key_of(record))
            except UNREADABLE:
                key = "(no key)"
            reason = f"{type(exc).__name__}: {exc}"[:500]
            bad.append({"resource": resource, "record_key": key, "reason": reason, "payload": record,
                        "quarantined_at": now})
    return rows, (dlt.mark.with_hints(bad, _HINTS, create_table_variant=True) if bad else None)


def unknown_fields(payload: dict, known: frozenset[str]) -> dict:
    """Top-level fields the vendor document does not list: kept, so they arrive as columns."""
    return {k: v for k, v in payload.items() if k not in known}
