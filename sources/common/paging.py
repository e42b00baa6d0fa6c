"""Paging, always explicit (auto-detection has caused silent partial loads in dlt).

`fan_out` fetches the pages of a listing whose size is known from its first page
concurrently, `fan_out_until_short` those of a bare array until a short page; both yield
pages in order with a bounded number in flight, so memory stays flat whatever the volume.
(dlt's paginators fetch one page after another and stop at an empty page, which is the
end these listings must not believe unverified.)

No listing accepts an end it cannot verify. Where the listing carries evidence of its size
(a total, a page count, `has_more`, the page size the server used) a page shorter than that
evidence is a hole: re-read, and if it stays short a `ListingGap`. `until_gap` turns that
into a `Gap` on the run's `Gaps` (the runner passes one into every source): the resource
loads what it read before the gap, keeps its cursor at or before it (`hold_cursor`), and the
run reports the vendor as failed naming the gap, so the next run reads it again. Where a
vendor gives no evidence at all (bare arrays, enfore's `{items, problems}`), an empty page
is read `EMPTY_PAGE_CONFIRMATIONS` more times before it is believed (`confirmed`); each
source's docstring says which of its listings rely on that.
"""
from __future__ import annotations

import functools
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from dlt.common import jsonpath

from .errors import VendorDataError
from .http import VendorClient

T = TypeVar("T")
R = TypeVar("R")


class ListingGap(VendorDataError):
    """A part of a listing could not be verified: a page stayed shorter (or emptier) than the
    listing's own evidence says it must be. `where` names the request, `span` the part of the
    listing that was not read (pages and records, or a time range)."""

    kind = "gap"

    def __init__(self, vendor: str, where: str, span: str, why: str):
        self.where, self.span, self.why = where, span, why
        super().__init__(vendor, f"{where}: {why}; {span} could not be read. Refusing to read past a "
                                 "hole; retry later.")


@dataclass(frozen=True)
class Gap:
    vendor: str
    resource: str
    where: str
    span: str
    why: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.where}: {self.span} not verified ({self.why})"


class Gaps:
    """The listing gaps of one run of one vendor, passed into its source by the runner (never a
    global: concurrent runs keep their own). A resource that meets a gap loads what it read
    and keeps its cursor at or before the gap; the runner reports the run as failed, naming
    each gap, and the next run reads it again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gaps: list[Gap] = []

    def add(self, gap: Gap) -> None:
        with self._lock:
            self._gaps.append(gap)

    def found(self, resource: str) -> bool:
        with self._lock:
            return any(g.resource == resource for g in self._gaps)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._gaps)

    def __iter__(self) -> Iterator[Gap]:
        with self._lock:
            return iter(list(self._gaps))

    def describe(self, vendor: str) -> str:
        """One line for the run's outcome: vendor, each gap, what happens next."""
        gaps = "; ".join(str(g) for g in self)
        return (f"{vendor}: listing gap: {gaps}. What was read before the gap was loaded and the "
                "cursor stays before it: the next sync reads it again (retry later).")


def note_gap(gaps: Gaps | None, resource: str, gap: ListingGap) -> None:
    """Record `gap` on the run's `gaps`; without them (a caller that did not ask for partial
    loads) it is raised, and the run loads nothing."""
    if gaps is None:
        raise gap
    gaps.add(Gap(gap.vendor, resource, gap.where, gap.span, gap.why))


def until_gap(gaps: Gaps | None, resource: str, pages: Iterable[list]) -> Iterator[list]:
    """`pages` up to the first `ListingGap`, which ends the listing and is noted (`note_gap`)."""
    try:
        yield from pages
    except ListingGap as gap:
        note_gap(gaps, resource, gap)


#: where a held cursor goes when it has no earlier value to keep: before any record
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def hold_cursor(cursor: Any, value: Any) -> None:
    """Keep a `dlt.sources.incremental` at `value` (or its current value if that is lower), so
    the next run starts at or before a gap this run could not read. Call it after the last
    row is yielded: `Incremental.advance` pins the stored value and stops filtering."""
    if cursor.end_value is not None:     # a backfill window keeps no state
        return
    current = cursor.last_value
    if value is None:
        value = EPOCH
    elif current is not None:
        value = min(value, current)
    cursor.advance(value)


@functools.lru_cache(maxsize=64)
def _compiled(data_selector: str) -> Any:
    """dlt's `find_values` compiles its JSONPath on every call (a ply grammar build: 7 % of a
    profiled backfill's GIL time); a listing asks for the same selector on every page."""
    return jsonpath.compile_path(data_selector)


def select(vendor: str, body: Any, data_selector: str | None, where: str) -> list:
    """The list of records in a response body; a missing or non-list selection is a contract
    break, never an empty page."""
    if data_selector is None:
        data = body
    else:
        found = jsonpath.find_values(_compiled(data_selector), body) if isinstance(body, dict) else []
        data = found[0] if found else None
    if not isinstance(data, list):
        raise VendorDataError(vendor, f"{where}: expected a list at {data_selector or 'the body'}, "
                                      f"got {type(data).__name__}. The API contract may have changed.")
    return data


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`map(fn, items)` on a thread pool, results in input order, at most 2×workers in flight."""
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    pending: deque[Future] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


#: how many more times an empty page is read before a listing with no evidence of its size
#: believes it (the only guard there): with half of all pages emptied one false end in 1,024
#: would pass, with a fifth one in ten million. A legitimately empty page costs that many
#: requests, and only where nothing else tells: listings with a total, and the windows of
#: `sources.common.windows` except the last, verify instead.
EMPTY_PAGE_CONFIRMATIONS = 9


def confirmed(fetch: Callable[[int], list], number: int, page: list) -> list:
    """`page` (page `number` as first fetched), or a non-empty re-fetch of it if it was empty."""
    for _ in range(EMPTY_PAGE_CONFIRMATIONS):
        if page:
            break
        page = fetch(number)
    return page


def full_page(client: VendorClient, fetch: Callable[[int], list], number: int, page_size: int,
              where: str, span: str | None = None, page: list | None = None) -> list:
    """Page `number` of a listing whose size is known, which must hold `page_size` records (all
    pages before the last): re-fetched while it comes back short (a hole), a `ListingGap` if
    it stays short. `span` says which records it should hold; `page` is its first read, when
    the caller has it already."""
    attempts = max(2, client.policy.max_attempts)
    read = fetch(number) if page is None else page
    for attempt in range(attempts):
        if attempt:
            read = fetch(number)
        if len(read) >= page_size:
            return read
        if attempt + 1 < attempts:
            client.metrics.add(retries=1)
    raise ListingGap(client.vendor, where, span or f"page {number}",
                     f"page {number} kept coming back with {len(read)} of {page_size} records")


def fan_out(client: VendorClient, path: str, *, params: dict, page_param: str, first_page: int,
            total_pages: Callable[[Any], int], data_selector: str | None, workers: int,
            page_size_of: Callable[[Any], int | None] | None = None,
            total_items_of: Callable[[Any], int | None] | None = None,
            first_body: Any = None, grew: Callable[[Any], bool] | None = None) -> Iterator[list]:
    """Fetch the first page, read how many pages there are, fetch the rest concurrently.

    With `page_size_of` (the page size the server says it used), a page that comes back
    shorter than it must be is a hole (an empty page in the middle of a listing would
    otherwise pass silently): pages before the last must be full, and with `total_items_of`
    the last must hold the rest of the total. A hole is fetched again, and one that stays
    raises `ListingGap` after the pages before it were yielded (`until_gap` records it).

    `first_body`: the first page's body, when the caller read it to learn the listing's
    shape. `grew(body)`: the last page's body says records came while the listing was paged
    (Yodify's `has_more`); the pages after it are then read one by one until it says no more."""

    def body_of(number: int) -> Any:
        return client.get(path, params={**params, page_param: number}).parsed

    def records(body: Any) -> list:
        return select(client.vendor, body, data_selector, f"GET {path}")

    def fetch(number: int) -> list:
        return records(body_of(number))

    body = body_of(first_page) if first_body is None else first_body
    first = records(body)
    count = total_pages(body)
    last = first_page + count - 1
    page_size = page_size_of(body) if page_size_of else None
    total = total_items_of(body) if total_items_of else None
    last_body = [body]                  # the last page's, as first read

    def expected(number: int) -> int:
        if page_size is None:
            return 0
        if number < last:
            return page_size
        return max(0, total - (count - 1) * page_size) if total is not None else 0

    def span(number: int) -> str:
        index = number - first_page
        text = f"page {index + 1} of {count}"
        if page_size:
            low = index * page_size + 1
            high = low + expected(number) - 1
            text += f" (records {low}-{high}" + (f" of {total})" if total is not None else ")")
        return text

    def checked(number: int, page: list | None = None) -> list:
        """Page `number` (`page` when already read), re-read while it is shorter than it must be."""
        need = expected(number)
        if page is None:
            if number == last:
                last_body[0] = body_of(number)
                page = records(last_body[0])
            else:
                page = fetch(number)
        return full_page(client, fetch, number, need, f"GET {path}", span(number), page)

    yield checked(first_page, first)
    yield from ordered_map(checked, range(first_page + 1, last + 1), workers)
    if grew is not None:
        number, body = last, last_body[0]
        while grew(body):
            number += 1
            body = body_of(number)
            yield records(body)


def fan_out_until_short(client: VendorClient, path: str, *, params: dict, page_param: str,
                        first_page: int, page_size: int, data_selector: str | None,
                        workers: int) -> Iterator[list]:
    """Page-number listings with no total (bare arrays): pages are fetched concurrently in
    order, and the first page shorter than `page_size` ends the listing; an empty one only
    once re-fetching has confirmed it (`confirmed`: there is no other evidence). At most
    2×workers requests go past the end."""

    def fetch(number: int) -> list:
        response = client.get(path, params={**params, page_param: number})
        return select(client.vendor, response.parsed, data_selector, f"GET {path}")

    pages = ordered_map(fetch, itertools.count(first_page), workers)
    for number, page in enumerate(pages, start=first_page):
        page = confirmed(fetch, number, page)
        if page:
            yield page
        if len(page) < page_size:
            return
