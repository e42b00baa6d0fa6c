"""Scanning a time range in windows, for APIs that list `[from, to)` intervals with
limit/offset paging and sort each interval by the filtered timestamp.

Why windows: deep offsets are slow or capped (enfore: "avoid offsets greater 10000"), and
short windows can be fetched concurrently. Why split: a window may hold more than a sane
number of pages. `scan_range` first asks for one page of the whole range (a sparse range,
e.g. an incremental run or years before the first record, ends right there); the rest,
from the last timestamp seen, is cut into windows of `step`, fetched concurrently. A
window that reaches the offset ceiling or `max_pages` is split after the last timestamp
it returned: the rest becomes a window of its own, fetched in a later pass. Nothing is
fetched twice (records at the split instant already taken are skipped by key), and
memory is bounded by `max_pages` pages per window in flight.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from .paging import ordered_map
from .timeutil import windows


@dataclass(frozen=True)
class Page:
    records: list
    consumed: int       # entries the API counted toward `limit` (e.g. items + problems)


#: (from, to, offset) -> the page of `[from, to)` starting at `offset`
FetchPage = Callable[[datetime, datetime, int], Page]


class WindowTooDense(Exception):
    """More records share one timestamp than the offset ceiling lets a client page through."""


@dataclass(frozen=True)
class _Part:
    start: datetime
    end: datetime
    skip: frozenset = frozenset()   # keys already taken at `start`, the instant split at
    offset: int = 0                 # resume offset, when a split could not advance `start`


@dataclass(frozen=True)
class _Scan:
    fetch_page: FetchPage
    page_size: int
    cursor_of: Callable[[Any], datetime]
    key_of: Callable[[Any], Any]
    max_offset: int
    max_pages: int

    def part(self, part: _Part, max_pages: int | None = None) -> tuple[list, _Part | None]:
        """The records of `part` up to `max_pages` pages, and what is left of it (or None)."""
        records: list = []
        offset = part.offset
        for _ in range(max_pages or self.max_pages):
            page = self.fetch_page(part.start, part.end, offset)
            records += [r for r in page.records if self.key_of(r) not in part.skip]
            offset += page.consumed
            if page.consumed < self.page_size:
                return records, None
            if offset > self.max_offset:
                break
        last = max((self.cursor_of(r) for r in records), default=part.start)
        at_last = frozenset(self.key_of(r) for r in records if self.cursor_of(r) == last)
        if last > part.start:
            return records, _Part(last, part.end, at_last)
        if offset > self.max_offset:
            raise WindowTooDense(f"more than {self.max_offset} records at {last.isoformat()}")
        return records, _Part(part.start, part.end, part.skip | at_last, offset)


def scan_range(start: datetime, end: datetime, fetch_page: FetchPage, *, step: timedelta, page_size: int,
               cursor_of: Callable[[Any], datetime], key_of: Callable[[Any], Any], workers: int,
               max_offset: int = 10_000, max_pages: int = 20) -> Iterator[list]:
    """Every record of `[start, end)`, one list per fetched part (not in global order).
    `fetch_page` must return each interval sorted ascending by `cursor_of`."""
    scan = _Scan(fetch_page, page_size, cursor_of, key_of, max_offset, max_pages)
    head, rest = scan.part(_Part(start, end), max_pages=1)
    if head:
        yield head
    if rest is None:
        return
    pending = [_Part(a, b, rest.skip, rest.offset) if a == rest.start else _Part(a, b)
               for a, b in windows(rest.start, end, step)]
    while pending:
        later = []
        for records, remainder in ordered_map(scan.part, pending, workers):
            if records:
                yield records
            if remainder is not None:
                later.append(remainder)
        pending = later
