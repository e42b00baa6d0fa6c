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

Such APIs give no count, so an empty page proves nothing by itself: a window whose first
page comes back empty is verified against a page of the rest of the range (`[window start,
end)`, sorted, so its first record says where the next record really is). A first record
at or after the window's end proves the window empty; one inside it shows the empty page
was a glitch: the window is read again, and if it stays empty that is a `WindowGap`. Where
the rest of the range is the window itself (the last window, or the first page of the whole
range) nothing else can tell, and the empty page is read `EMPTY_PAGE_CONFIRMATIONS` more
times before it is believed; an empty page after a full one inside a window likewise. A
window believed empty because the rest of the range read empty too, which later windows
contradict (they hold records), is read again once the scan is done, now knowing records
follow it: an empty read there is a glitch, and one that persists is a `WindowGap`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .paging import EMPTY_PAGE_CONFIRMATIONS, ordered_map
from .timeutil import windows


@dataclass(frozen=True)
class Page:
    records: list
    consumed: int       # entries the API counted toward `limit` (e.g. items + problems)

    def __bool__(self) -> bool:
        """Empty when the API counted nothing on it (`paging.confirmed` re-reads such a page)."""
        return self.consumed > 0


#: (from, to, offset) -> the page of `[from, to)` starting at `offset`
FetchPage = Callable[[datetime, datetime, int], Page]


class WindowTooDense(Exception):
    """More records share one timestamp than the offset ceiling lets a client page through."""


class WindowGap(Exception):
    """`[start, end)` could not be read: it kept coming back empty although the listing
    shows records in it. Everything before `start` was verified."""

    def __init__(self, start: datetime, end: datetime, why: str):
        self.start, self.end, self.why = start, end, why
        super().__init__(f"{start.isoformat()} to {end.isoformat()}: {why}")


@dataclass(frozen=True)
class _Part:
    start: datetime
    end: datetime
    skip: frozenset = frozenset()   # keys already taken at `start`, the instant split at
    offset: int = 0                 # resume offset, when a split could not advance `start`


class _Scan:
    def __init__(self, fetch_page: FetchPage, end: datetime, page_size: int, cursor_of: Callable[[Any], datetime],
                 key_of: Callable[[Any], Any], max_offset: int, max_pages: int, attempts: int):
        self.fetch_page, self.end, self.page_size = fetch_page, end, page_size
        self.cursor_of, self.key_of = cursor_of, key_of
        self.max_offset, self.max_pages, self.attempts = max_offset, max_pages, attempts
        self._lock = threading.Lock()
        self._empty: list[tuple[datetime, datetime]] = []     # spans proven empty by a probe
        self.unproven: list[_Part] = []     # parts believed empty, with nothing after them either

    def part(self, part: _Part, max_pages: int | None = None, more: bool = False) -> tuple[list, _Part | None]:
        """The records of `part` up to `max_pages` pages, and what is left of it (or None).
        `more`: records are known to exist at or after the part's start."""
        records: list = []
        offset = part.offset
        for _ in range(max_pages or self.max_pages):
            page = self.fetch_page(part.start, part.end, offset)
            if not page.consumed:
                page = self.empty(part, offset, more)
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

    def empty(self, part: _Part, offset: int, more: bool) -> Page:
        """The page at `offset` of `part` came back empty: a re-read that is not, or the empty
        page once verified (see the module docstring)."""
        fresh = offset == 0 and not part.skip       # the part's first page: nothing read in it yet
        if fresh and not more:
            with self._lock:
                if any(a <= part.start and part.end <= b for a, b in self._empty):
                    return Page([], 0)
                if any(u.start <= part.start for u in self.unproven):    # "nothing from there on"
                    self.unproven.append(part)
                    return Page([], 0)
        if not fresh or part.end >= self.end:       # nothing else can tell
            for _ in range(self.attempts if more and fresh else EMPTY_PAGE_CONFIRMATIONS):
                page = self.fetch_page(part.start, part.end, offset)
                if page.consumed:
                    return page
            if more and fresh:
                raise WindowGap(part.start, part.end, "it kept coming back empty although records follow")
            if fresh:
                self._unproven(part)
            return Page([], 0)
        empty_probes = rereads = 0
        while True:
            probe = self.fetch_page(part.start, self.end, 0)
            if not probe.consumed:
                empty_probes += 1
                if more and empty_probes >= self.attempts:
                    raise WindowGap(part.start, part.end, "it and the rest of the range kept coming back "
                                                          "empty although records follow")
                if not more and empty_probes > EMPTY_PAGE_CONFIRMATIONS:
                    self._unproven(part)
                    return Page([], 0)
                continue
            first = min((self.cursor_of(r) for r in probe.records), default=part.start)
            if first >= part.end:
                with self._lock:
                    self._empty.append((part.start, first))
                return Page([], 0)
            page = self.fetch_page(part.start, part.end, offset)     # the empty page was a glitch
            if page.consumed:
                return page
            rereads += 1
            if rereads >= self.attempts:
                raise WindowGap(part.start, part.end, f"it kept coming back empty although the range from its "
                                                      f"start holds a record at {first.isoformat()}")

    def _unproven(self, part: _Part) -> None:
        """Believed: nothing in `part` nor after it (checked once the scan is done)."""
        with self._lock:
            self.unproven.append(part)


def scan_range(start: datetime, end: datetime, fetch_page: FetchPage, *, step: timedelta, page_size: int,
               cursor_of: Callable[[Any], datetime], key_of: Callable[[Any], Any], workers: int,
               max_offset: int = 10_000, max_pages: int = 20, attempts: int = 4,
               known: datetime | None = None) -> Iterator[list]:
    """Every record of `[start, end)`, one list per fetched part (not in global order).
    `fetch_page` must return each interval sorted ascending by `cursor_of`. Raises
    `WindowGap` (after yielding what it read) where a window could not be verified;
    `attempts` is how often a window shown to hold records is read again. `known`: the time
    of a record known to be in the range (one an earlier run loaded, in the part re-read):
    an empty first page of the whole range is then a glitch, not an empty range."""
    scan = _Scan(fetch_page, end, page_size, cursor_of, key_of, max_offset, max_pages, attempts)
    latest: datetime | None = None
    for records in _scan(scan, start, end, step, workers, known is not None and start <= known < end):
        if records:
            newest = max(cursor_of(r) for r in records)
            latest = newest if latest is None else max(latest, newest)
        yield records
    # parts believed empty up to the end, that later records contradict: read them again,
    # knowing now that something follows them (an empty read there is a glitch, not an end)
    contradicted = sorted((p for p in scan.unproven if latest is not None and latest >= p.start),
                          key=lambda p: p.start)
    if contradicted:
        yield from _drain(scan, contradicted, workers, more=True)


def _scan(scan: _Scan, start: datetime, end: datetime, step: timedelta, workers: int,
          known: bool) -> Iterator[list]:
    head, rest = scan.part(_Part(start, end), max_pages=1, more=known)
    if head:
        yield head
    if rest is None:
        return
    pending = [_Part(a, b, rest.skip, rest.offset) if a == rest.start else _Part(a, b)
               for a, b in windows(rest.start, end, step)]
    yield from _drain(scan, pending, workers)


def _drain(scan: _Scan, pending: list[_Part], workers: int, more: bool = False) -> Iterator[list]:
    """Every record of `pending` parts, concurrently; a split part's rest in a later pass."""
    while pending:
        later = []
        for records, remainder in ordered_map(lambda p: scan.part(p, more=more), pending, workers):
            if records:
                yield records
            if remainder is not None:
                later.append(remainder)
        pending = later
