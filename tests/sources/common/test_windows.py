"""`scan_range`, the shared time-window scan, on a listing held in memory (no vendor behind
it: these are the windowing rules alone; the enfore tests run it against the simulator)."""
from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone

import pytest

from sources.common.windows import Page, WindowGap, WindowTooDense, scan_range

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


class Glitchy(Listing):
    """A listing that answers some requests with an empty page: `empty(start, end, offset, n)`
    decides for the n-th request of that exact interval and offset (the sandbox's fault, in
    memory)."""

    def __init__(self, times, limit, max_offset, empty):
        super().__init__(times, limit, max_offset)
        self.empty, self.seen = empty, {}

    def page(self, start, end, offset):
        n = self.seen.get((start, end, offset), 0)
        self.seen[(start, end, offset)] = n + 1
        if self.empty(start, end, offset, n):
            self.requests.append((start, end, offset))
            return Page([], 0)
        return super().page(start, end, offset)


DAILY = [T0 + timedelta(days=d, hours=h) for d in range(30) for h in range(0, 24, 3)]    # 8 a day
NOON5 = T0 + timedelta(days=5, hours=12)
DAY = timedelta(days=1)


def window_of_noon5(start, end) -> bool:
    """The day window holding day 5's noon (the rest of the range from there is longer)."""
    return start <= NOON5 < end and end - start <= DAY


def test_a_window_emptied_by_a_glitch_is_read_again_not_taken_for_a_quiet_day():
    emptied = lambda start, end, offset, n: window_of_noon5(start, end) and n < 3      # noqa: E731
    listing = Glitchy(DAILY, limit=10, max_offset=1000, empty=emptied)
    got = scan(listing, start=T0 + timedelta(hours=1))
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in listing.records if r["at"] > T0)


def test_a_window_that_stays_empty_between_records_is_a_gap_after_the_rest():
    emptied = lambda start, end, offset, n: window_of_noon5(start, end)                 # noqa: E731
    listing = Glitchy(DAILY, limit=10, max_offset=1000, empty=emptied)
    got = []
    with pytest.raises(WindowGap) as gap:
        for page in scan_range(T0 + timedelta(hours=1), T0 + timedelta(days=30), listing.page, step=DAY,
                               page_size=10, cursor_of=lambda r: r["at"], key_of=lambda r: r["id"], workers=3,
                               max_offset=1000, attempts=4):
            got += page
    assert gap.value.start <= NOON5 < gap.value.end
    assert not any(gap.value.start <= r["at"] < gap.value.end for r in got)
    assert any(r["at"] < gap.value.start for r in got)      # what was read is handed out before


def test_quiet_days_are_proven_empty_by_one_probe_not_re_read():
    times = [T0 + timedelta(hours=h) for h in range(12)] + [T0 + timedelta(days=20, hours=h) for h in range(12)]
    listing = Listing(times, limit=5, max_offset=100)
    assert len(scan(listing)) == 24
    # 30 day windows and the head, a probe per worker for the quiet days, the confirmations of
    # the quiet end: not 9 re-reads of each quiet day
    assert len(listing.requests) < 60, len(listing.requests)


def test_a_window_believed_empty_that_later_records_contradict_is_read_again():
    # day 5's window reads empty twice, the rest of the range from its start 10 times (enough
    # to be believed empty up to the end), but day 6 holds records: once the scan is done,
    # day 5 is read again, knowing something follows it
    def emptied(start, end, offset, n):
        if start <= NOON5 < end and start > T0 + DAY:           # not the head: a page of everything
            return n < (2 if end - start <= DAY else 10)
        return False

    listing = Glitchy(DAILY, limit=10, max_offset=1000, empty=emptied)
    got = scan(listing, start=T0 + timedelta(hours=1))
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in listing.records if r["at"] > T0)
