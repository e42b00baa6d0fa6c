"""Paging, always explicit (auto-detection has caused silent partial loads in dlt).

`paginate` drives one of dlt's paginators over `VendorClient`; `fan_out` fetches the pages
of a listing whose size is known up front concurrently, yielding them in order with a
bounded number in flight, so memory stays flat whatever the volume.
"""
from __future__ import annotations

import functools
import itertools
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator, TypeVar

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import BasePaginator, RangePaginator
from requests import Request, Response

from .errors import VendorDataError
from .http import VendorClient

T = TypeVar("T")
R = TypeVar("R")


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


def paginate(client: VendorClient, path: str, paginator: BasePaginator, *, params: dict | None = None,
             data_selector: str | None = None) -> Iterator[list]:
    """Yield each page's records, following `paginator` until it says there is no next page."""
    request = Request("GET", client.url(path), params=dict(params or {}))
    paginator.init_request(request)
    while True:
        response = client.get(request.url, params=request.params)
        page = select(client.vendor, response.parsed, data_selector, f"GET {path}")
        paginator.update_state(response, page)
        yield page
        if not paginator.has_next_page:
            return
        paginator.update_request(request)


class ShortPagePaginator(RangePaginator):
    """Page-number paging for bare arrays with no total: a page shorter than the page size
    (or empty) is the last one. dlt's own paginators stop only on an empty page there,
    which costs one request per listing and hides a server-side cap on the page size."""

    def __init__(self, page_param: str, page_size: int, base_page: int = 1):
        super().__init__(param_name=page_param, initial_value=base_page, value_step=1,
                         base_index=base_page, stop_after_empty_page=True)
        self.page_size = page_size

    def update_state(self, response: Response, data: list | None = None) -> None:
        if data is None or len(data) < self.page_size:
            self._has_next_page = False
        else:
            self.current_value += self.value_step


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


#: how many more times an empty page is asked for before it is believed: a glitch that empties
#: one page of a listing must not end the listing (a legitimately empty page costs two requests)
EMPTY_PAGE_CONFIRMATIONS = 2


def confirmed(fetch: Callable[[int], list], number: int, page: list) -> list:
    """`page` (page `number` as first fetched), or a non-empty re-fetch of it if it was empty."""
    for _ in range(EMPTY_PAGE_CONFIRMATIONS):
        if page:
            break
        page = fetch(number)
    return page


def full_page(client: VendorClient, fetch: Callable[[int], list], number: int, page_size: int,
              where: str) -> list:
    """Page `number` of a listing whose size is known, which is not its last page so must be
    full: re-fetched while it comes back short (a hole), an error if it stays short."""
    attempts = max(2, client.policy.max_attempts)
    for attempt in range(attempts):
        page = fetch(number)
        if len(page) >= page_size:
            return page
        if attempt + 1 < attempts:
            client.metrics.add(retries=1)
    raise VendorDataError(client.vendor, f"{where}: page {number} kept coming back with {len(page)} of "
                                         f"{page_size} records; refusing to load a listing with a hole. "
                                         "Retry later.")


def fan_out(client: VendorClient, path: str, *, params: dict, page_param: str, first_page: int,
            total_pages: Callable[[Any], int], data_selector: str | None, workers: int,
            page_size_of: Callable[[Any], int] | None = None,
            total_items_of: Callable[[Any], int | None] | None = None) -> Iterator[list]:
    """Fetch the first page, read how many pages there are, fetch the rest concurrently.

    With `page_size_of` (the page size the server says it used), a page that comes back
    shorter than it must be is a hole (an empty page in the middle of a listing would
    otherwise pass silently): pages before the last must be full, and with `total_items_of`
    the last must hold the rest of the total. A hole is fetched again, and a listing that
    keeps one fails instead of loading incomplete."""

    def fetch(number: int) -> list:
        response = client.get(path, params={**params, page_param: number})
        return select(client.vendor, response.parsed, data_selector, f"GET {path}")

    response = client.get(path, params={**params, page_param: first_page})
    first = select(client.vendor, response.parsed, data_selector, f"GET {path}")
    count = total_pages(response.parsed)
    last = first_page + count - 1
    page_size = page_size_of(response.parsed) if page_size_of else None
    total = total_items_of(response.parsed) if total_items_of else None

    def expected(number: int) -> int:
        if page_size is None:
            return 0
        if number < last:
            return page_size
        return max(0, total - (count - 1) * page_size) if total is not None else 0

    def checked(number: int) -> list:
        need = expected(number)
        return full_page(client, fetch, number, need, f"GET {path}") if need else fetch(number)

    if len(first) < expected(first_page):
        first = checked(first_page)
    yield first
    yield from ordered_map(checked, range(first_page + 1, last + 1), workers)


def fan_out_until_short(client: VendorClient, path: str, *, params: dict, page_param: str,
                        first_page: int, page_size: int, data_selector: str | None,
                        workers: int) -> Iterator[list]:
    """Page-number listings with no total (bare arrays): pages are fetched concurrently in
    order, and the first page shorter than `page_size` ends the listing; an empty one only
    once re-fetching has confirmed it. At most 2×workers requests go past the end."""

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
