"""Records that cannot be read as the vendor documents them (schema drift: a string where an
object was, a number that does not parse, a required field missing) go to the vendor's
`quarantine` table with the reason and the raw record, instead of crashing the run or being
dropped silently; the rest of the page loads. Fields the document does not know are kept as
new columns (`unknown_fields`).

A resource that quarantines and has an incremental cursor sets
`on_cursor_value_missing="include"`: quarantine rows carry no cursor value, and every valid
row has one because the mappers require it. With a `lag` on that cursor, the quarantine rows
must come after the rows: dlt (1.31) fails an assertion when a batch without cursor values
precedes the first batch with them. Such a resource `read`s its pages and yields `flush()`
at its end.

`Quarantine` with the source state (sync runs) also remembers the keys it set aside until
they read again, so a source can fetch them again however far its cursor moved, and
releases them then: their quarantine row is deleted (`released`, a dlt hard delete), so the
table holds the records that are not loaded, now. Transformers fed by a quarantining
resource see its quarantine rows pass by: `readable_rows` drops them, and a transformer
yields nothing for an item without readable rows (what it yields for one would inherit the
item's quarantine table hints).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import dlt
import orjson
from dlt.extract.exceptions import CurrentSourceNotAvailable

from .changes import snapshot_changed
from .hints import BOOL, JSON, TEXT, UTC_TS, columns
from .timeutil import parse_utc

log = logging.getLogger("vendorsync.quarantine")

TABLE = "quarantine"
UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, InvalidOperation, ArithmeticError)
COLUMNS = ("resource", "record_key", "reason", "payload", "quarantined_at", "released")
_COLUMN_SET = frozenset(COLUMNS)
_HINTS = dlt.mark.make_hints(
    table_name=TABLE, write_disposition="merge", primary_key=["resource", "record_key"],
    columns=columns(resource=TEXT, record_key=TEXT, reason=TEXT, payload=JSON, quarantined_at=UTC_TS,
                    released={**BOOL, "hard_delete": True}))


class Unreadable(ValueError):
    """Raised by a mapper for a record that breaks the documented contract."""


def require(value, what: str):
    if value is None or value == "":
        raise Unreadable(f"{what} is missing")
    return value


def described(value: object) -> str:
    """A value as a quarantine reason names it: its JSON type, and its text when short."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    kind = "a string" if isinstance(value, str) else "a number" if isinstance(value, (int, float)) else \
        type(value).__name__
    return f"{kind} {str(value)[:40]!r}"


def decimal_of(value: object, what: str) -> Decimal | None:
    """A documented number as an exact decimal. A number sent as a string is read when it is
    a plain number ("12.50"); anything else ("12,50", "12.50 EUR", an object) is unreadable:
    guessing would load a wrong amount."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
        raise Unreadable(f"{what}: {value[:40]!r} is not a number")
    raise Unreadable(f"{what}: expected a number, got {described(value)}")


def utc_of(value: object, what: str) -> datetime | None:
    """A documented date-time string as aware UTC (see `timeutil.parse_utc`)."""
    if value is not None and not isinstance(value, str):
        raise Unreadable(f"{what}: expected a date-time string, got {described(value)}")
    try:
        return parse_utc(value)
    except ValueError:
        raise Unreadable(f"{what}: {str(value)[:40]!r} is not a date-time") from None


def list_of(value: object, what: str) -> list:
    """A documented array (null = empty); an object or a string in its place is unreadable."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"{what}: expected an array, got {described(value)}")
    return value


def object_of(value: object, what: str) -> dict:
    """A documented object (null = empty); anything else in its place is unreadable."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{what}: expected an object, got {described(value)}")
    return value


class Quarantine:
    """The quarantine of one raw table for one run. `state` (the source state; None in a
    backfill, which keeps no state) remembers the keys quarantined and not read back yet:
    `pending`, what a source fetches again on its next sync."""

    def __init__(self, resource: str, state: dict | None = None):
        self.resource = resource
        self.pending: dict[str, str] = {} if state is None else \
            state.setdefault("quarantined", {}).setdefault(resource, {})
        self.keys: list = []          # raw keys quarantined by this run (for snapshot scopes)
        self.released: list[str] = []
        self._held: list[dict] = []

    def split(self, records: Iterable[dict], mapper: Callable[[dict], dict],
              key_of: Callable[[dict], object]) -> tuple[list[dict], list | None]:
        """(rows, quarantine item or None): map each record, set aside the ones that fail,
        release the pending ones that read now."""
        rows, out = self._map(records, mapper, key_of)
        return rows, (_quarantine_item(out) if out else None)

    def read(self, records: Iterable[dict], mapper: Callable[[dict], dict],
             key_of: Callable[[dict], object]) -> list[dict]:
        """The rows, as `split`; the quarantine rows are held for `flush`."""
        rows, out = self._map(records, mapper, key_of)
        self._held += out
        return rows

    def flush(self) -> Iterator:
        """The quarantine rows `read` held (an item to yield), once."""
        if self._held:
            yield _quarantine_item(self._held)
            self._held = []

    def _map(self, records: Iterable[dict], mapper: Callable[[dict], dict],
             key_of: Callable[[dict], object]) -> tuple[list[dict], list[dict]]:
        rows, out = [], []
        now = datetime.now(timezone.utc)
        for record in records:
            try:
                raw_key = key_of(record)
                key = "(no key)" if raw_key is None else str(raw_key)
            except UNREADABLE:
                raw_key, key = None, "(no key)"
            try:
                rows.append(mapper(record))
            except UNREADABLE as exc:
                first_seen = self.pending.setdefault(key, now.isoformat()) if raw_key is not None else now.isoformat()
                self.keys.append(raw_key)
                out.append({"resource": self.resource, "record_key": key,
                            "reason": f"{type(exc).__name__}: {exc}"[:500], "payload": record,
                            "quarantined_at": datetime.fromisoformat(first_seen)})
                continue
            if self.pending.pop(key, None) is not None:
                self.released.append(key)
                out.append({"resource": self.resource, "record_key": key, "released": True})
        return rows, out

    def note_problem(self, payload: object, reason: str) -> None:
        """An entry of a listing that names no record (enfore's `problems` as its document
        prints them: a title and a detail): nothing can be fetched or loaded for it, so it is
        held as a quarantine row (`problem:<digest of the payload>`, so the same report listed
        again is one row) and the rest of the listing goes on. It never joins `pending`: there
        is no record to fetch again."""
        key = "problem:" + hashlib.blake2b(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS),
                                           digest_size=8).hexdigest()
        if any(r["record_key"] == key for r in self._held):
            return
        self._held.append({"resource": self.resource, "record_key": key, "reason": reason[:500],
                           "payload": payload, "quarantined_at": datetime.now(timezone.utc)})

    def retry_next_sync(self, key: str) -> None:
        """Fetch the record `key` by id on the next sync (kept in the source state, which
        commits with this run's rows): a record the vendor named but could not serve yet."""
        self.pending.setdefault(str(key), datetime.now(timezone.utc).isoformat())

    def forget(self, keys: Iterable) -> None:
        """Stop fetching records the vendor no longer serves; their quarantine rows stay."""
        for key in keys:
            self.pending.pop(str(key), None)


def _quarantine_item(rows: list[dict]):
    """`rows` bound for the quarantine table. dlt starts a table variant from the yielding
    resource's own hints: every column hinted for the resource would land in the quarantine
    table, and two resources' `dedup_sort` columns conflict there. The variant's columns are
    reset first, so the quarantine table has its own columns only."""
    try:
        dlt.current.resource().apply_hints(table_name=TABLE, columns={}, create_table_variant=True)
    except CurrentSourceNotAvailable:       # mapping outside an extract (no resource to hint)
        pass
    return dlt.mark.with_hints(rows, _HINTS, create_table_variant=True)


def split_readable(records: Iterable[dict], mapper: Callable[[dict], dict], *, resource: str,
                   key_of: Callable[[dict], object]) -> tuple[list[dict], list | None]:
    """(rows, quarantine item or None): map each record, set aside the ones that fail."""
    return Quarantine(resource).split(records, mapper, key_of)


def readable_rows(items: list[dict]) -> list[dict]:
    """The rows of a parent resource's item, without the quarantine rows it also yields."""
    return [r for r in items if not ("record_key" in r and r.keys() <= _COLUMN_SET)]


def snapshot_items(resource: str, records: list[dict], mapper: Callable[[dict], dict],
                   key_of: Callable[[dict], object], column: str = "id",
                   problems: Iterable[tuple[object, str]] = ()) -> Iterator:
    """A complete listing as the items of an SCD2 snapshot resource: its quarantine, then its
    rows (if they changed since the last load) with hints that do not retire the quarantined
    records: one that cannot be read is not a deleted one, it keeps its last loaded version.
    `problems` are the listing's (payload, reason) entries that named no record."""
    quarantine = Quarantine(resource, dlt.current.source_state())
    problems = list(problems)
    for payload, reason in problems:
        quarantine.note_problem(payload, reason)
    yield from quarantine.flush()
    rows, quarantined = quarantine.split(records, mapper, key_of)
    if quarantined:
        if quarantine.keys:
            log.warning("%d %s record(s) could not be read (see the quarantine table); the rest of the "
                        "snapshot loads, those keep their last loaded version", len(quarantine.keys), resource)
        yield quarantined
    if snapshot_changed(dlt.current.resource_state(), "snapshot_sha256", rows):
        # a problem naming no record may stand for any record: nothing absent is retired then
        yield dlt.mark.with_hints(rows, retire_absent_except(quarantine.keys, column, retire=not problems))


def retire_absent_except(keys: Iterable, column: str = "id", retire: bool = True) -> Any:
    """Hints for an SCD2 snapshot loaded without its quarantined records: rows whose `column`
    is one of `keys` are not retired (dlt's `destination_scope`); with `retire` False none
    is. Give them on every load of the snapshot: dlt keeps the last scope in the schema."""
    literals = sorted({"'" + str(k).replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"
                       for k in keys if k is not None})
    scope = "1 = 0" if not retire else \
        f"{{table}}.{column} NOT IN ({', '.join(literals)})" if literals else "1 = 1"
    return dlt.mark.make_hints(write_disposition={"disposition": "merge", "strategy": "scd2",
                                                  "destination_scope": scope})


def as_sent(payload: dict, hints: dict) -> dict:
    """The documented fields a mapper does not shape (`hints`: field -> column hint), kept as
    the vendor sent them so no documented field is dropped; the resource declares the same
    hints (JSON for objects and arrays), so each lands in one column."""
    return {field: payload.get(field) for field in hints}


def unknown_fields(payload: dict, known: frozenset[str]) -> dict:
    """Top-level fields the vendor document does not list: kept, so they arrive as columns."""
    return {k: v for k, v in payload.items() if k not in known}
