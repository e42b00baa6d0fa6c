"""`scan_range`, the shared time-window scan, on a listing held in memory (no vendor behind
it: these are the windowing rules alone; the enfore tests run it against the simulator)."""
from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone

import pytest

from sources.common.windows import Page, WindowTooDense, scan_range

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Listing:
    """[from, to) with limit/offset over records sorted by (at, id), refusing deep offsets."""

    def __init__(self, times: list[datetime], limit: int, max_offset: int):
        self.records = sorted(({"id": f"r{i:05d}", "at": t} for i, t in enumerate(times)),
                              key=lambda r: (r["at"], r["id"]))
        self.keys = [r["at"] for r in self.records]
        self.limit, self.max_offset = limit, max_offset
        self.requests: list[tuple] = []

    def page(self, start: datetime, end: datetime, offset: int) -> Page:
        assert offset <= self.max_offset, "asked past the offset ceiling"
        self.requests.append((start, end, offset))
        lo, hi = bisect.bisect_left(self.keys, start), bisect.bisect_left(self.keys, end)
        chunk = self.records[lo:hi][offset: offset + self.limit]
        return Page(chunk, len(chunk))


def scan(listing: Listing, start=T0, end=T0 + timedelta(days=30), **kw) -> list[dict]:
    pages = scan_range(start, end, listing.page, step=kw.pop("step", timedelta(days=1)), page_size=listing.limit,
                       cursor_of=lambda r: r["at"], key_of=lambda r: r["id"], workers=kw.pop("workers", 3),
                       max_offset=listing.max_offset, **kw)
    return [r for page in pages for r in page]


def test_a_sparse_range_ends_with_its_first_page():
    listing = Listing([T0 + timedelta(days=d) for d in (3, 9, 20)], limit=10, max_offset=100)
    assert [r["id"] for r in scan(listing, start=T0 - timedelta(days=3000))] == ["r00000", "r00001", "r00002"]
    assert len(listing.requests) == 1


def test_windows_split_at_the_ceiling_return_every_record_once():
    times = [T0 + timedelta(minutes=7 * i) for i in range(3000)]          # ~14.6 days, dense
    listing = Listing(times, limit=10, max_offset=40)
    got = scan(listing, max_pages=3)
    assert sorted(r["id"] for r in got) == [f"r{i:05d}" for i in range(3000)]
    assert max(offset for _, _, offset in listing.requests) <= 40


def test_records_sharing_the_split_instant_are_neither_lost_nor_repeated():
    times = [T0 + timedelta(hours=h) for h in range(10) for _ in range(7)]   # 7 records per instant
    listing = Listing(times, limit=5, max_offset=10)
    got = scan(listing, step=timedelta(hours=4))
    assert sorted(r["id"] for r in got) == [f"r{i:05d}" for i in range(70)]


def test_more_records_at_one_instant_than_the_ceiling_reaches_is_an_error():
    listing = Listing([T0] * 30, limit=5, max_offset=10)
    with pytest.raises(WindowTooDense):
        scan(listing)
    # within the ceiling, an instant denser than a page resumes by offset
    listing = Listing([T0] * 12 + [T0 + timedelta(hours=1)], limit=5, max_offset=20)
    assert len(scan(listing, max_pages=1)) == 13
