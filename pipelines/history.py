"""A first sync starts with the present and fills the history backwards in committed slices.

Why: a store's history at a vendor's documented rate takes hours or days to fetch. Loaded as
one run, a kill (a deploy, a reboot) throws all of it away, memory grows with the history, and
analysts wait for the oldest order before they see today's.

How (the same for every vendor; the sources only take a `start_date`/`end_date` window):
- The first sync of a vendor into a warehouse (no sync state there, no plan) sets the vendor's
  *boundary*: midnight UTC `recent_days` before now, recorded in `ops.history_plans` before
  anything loads. From then on every sync starts the vendor's windowed resources at the
  boundary, so the cursors are live from the first run on and scheduled syncs keep the
  present current whatever the history does.
- The history, `[start_date, boundary)`, is filled newest first, one slice at a time: a run of
  the source over `[a, b)` with its own pipeline (as a backfill chunk: it keeps no cursors),
  recorded in `ops.backfill_chunks` once its rows are loaded. A killed fill leaves at most the
  slice in flight to fetch again; rows of a slice loaded twice merge on their keys.
- Slices are sized by what they hold: the rows per day of the newest loaded slice (or of the
  present) set the next span to hold about `slice_rows` rows, so memory is bounded by a slice,
  and empty years before a store opened pass in one slice.
- The coverage is the backfill's, per resource: a `vendorsync backfill` of part of the history
  counts, and a reset or full refresh of windowed resources forgets theirs (`forget_coverage`),
  so their history is fetched again with them and the other resources' is not.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import dlt
import requests

from sources.common.errors import VendorConfigError
from sources.common.hints import UTC_TS, columns
from sources.common.timeutil import as_utc_datetime

from . import ledger
from .backfill import covered_intervals, record_chunk
from .logs import event
from .runner import VendorResult, run_vendor
from .settings import Paths
from .vendors import Vendor
from .warehouse import execute, query

log = logging.getLogger("vendorsync.history")
PLANS = "history_plans"


@dataclass(frozen=True)
class HistorySettings:
    """`[vendorsync]` settings of the history fill, checked once per run."""
    recent_days: float = 30.0           # the present a first sync loads before any history
    refresh_minutes: float = 15.0       # a long fill syncs the present and rebuilds the marts this often
    slice_rows: int = 20_000            # rows a history slice aims to hold (bounds a slice's memory)

    @classmethod
    def from_config(cls) -> HistorySettings:
        values: dict[str, Any] = {}
        for name, low in (("recent_days", 0.0), ("refresh_minutes", 0.0), ("slice_rows", 1)):
            raw: Any = dlt.config.get(f"vendorsync.history_{name}")
            if raw is None:
                continue
            try:
                value = type(getattr(cls, name))(raw)
            except (TypeError, ValueError):
                value = None
            if value is None or value < low:
                raise ValueError(f"[vendorsync] history_{name} in .dlt/config.toml (or VENDORSYNC__HISTORY_"
                                 f"{name.upper()}) must be a number of at least {low:g}, not {raw!r}")
            values[name] = value
        return cls(**values)


def configured_start(vendor: Vendor) -> datetime | None:
    """The vendor's `start_date` as its source reads it (config, else the declared default;
    None: no start date, the whole history in one go); a malformed one raises the source's own
    error, which names the setting."""
    raw: Any = dlt.config.get(f"sources.{vendor.name}.start_date")
    if raw is None:
        raw = vendor.load().Settings.start_date
    start = as_utc_datetime(vendor.name, raw, f"sources.{vendor.name}.start_date")
    # a plain datetime: pendulum's (what the parser returns) mixes badly with timedelta sums
    return None if start is None else datetime.fromtimestamp(start.timestamp(), timezone.utc)


def boundary_of(paths: Paths, vendor: Vendor) -> datetime | None:
    rows = query(paths, f"select boundary from {ledger.DATASET}.{PLANS} where vendor = '{vendor.name}'")
    return _utc(rows[0][0]) if rows else None


def has_sync_state(paths: Paths, vendor: Vendor) -> bool:
    """Whether the warehouse holds any sync state of the vendor (it was synced into it before)."""
    return bool(query(paths, f"select 1 from {vendor.dataset}._dlt_pipeline_state "
                             f"where pipeline_name = '{vendor.pipeline_name}' limit 1"))


def vendor_now(vendor: Vendor) -> datetime:
    """The vendor's clock, from the `Date` header of one unauthenticated request to its base
    URL (every HTTP server sends one, whatever the status): "recent" is recent at the vendor,
    whose clock may differ from this machine's (the sandbox's stands still in the past). This
    machine's clock when the vendor does not answer or sends no date, or a date ahead of it."""
    here = datetime.now(timezone.utc)
    base_url: Any = dlt.config.get(f"sources.{vendor.name}.base_url")
    if not base_url:
        return here
    try:
        with requests.head(str(base_url), timeout=10, allow_redirects=False) as response:
            there = parsedate_to_datetime(response.headers["Date"])
    except (requests.RequestException, KeyError, TypeError, ValueError):
        return here
    return min(here, there if there.tzinfo else there.replace(tzinfo=timezone.utc))


def plan_first_sync(paths: Paths, vendor: Vendor, has_state: bool, settings: HistorySettings,
                    now: datetime | None = None) -> datetime | None:
    """The vendor's boundary: the recorded one, or, on a first sync whose start date lies
    before the recent days, a new one recorded now (before the first load, so no cursor can
    exist without the plan that says what lies before it). None: load from the start date."""
    boundary = boundary_of(paths, vendor)
    if boundary is not None or has_state or settings.recent_days <= 0:
        return boundary
    now = now or vendor_now(vendor)
    boundary = _midnight(now - timedelta(days=settings.recent_days))
    start = configured_start(vendor)
    if start is None or start >= boundary:
        return None
    ledger.write_table(paths, PLANS, [{"vendor": vendor.name, "boundary": boundary, "planned_at": now}],
                       key=("vendor",), hints=columns(boundary=UTC_TS, planned_at=UTC_TS))
    event("%s: first sync: the present from %s first, then the history back to %s in slices", vendor.name,
          f"{boundary:%Y-%m-%d}", f"{start:%Y-%m-%d}", vendor=vendor.name,
          boundary=boundary.isoformat())
    return boundary


def remaining(start: datetime, end: datetime, covered: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """`[start, end)` minus the covered intervals, oldest first."""
    left = [(start, end)]
    for a, b in covered:
        left = [part for s, e in left for part in ((s, min(e, a)), (max(s, b), e)) if part[0] < part[1]]
    return sorted(left)


Intervals = list[tuple[datetime, datetime]]


def missing(start: datetime, boundary: datetime, windowed: tuple[str, ...],
            chunks: list[tuple[datetime, datetime, set[str]]]) -> dict[str, Intervals]:
    """resource -> the parts of `[start, boundary)` no slice or backfill of it has loaded.
    Per resource: a reset of one (Shirtigo `payments`) refetches its history, not the others'."""
    return {name: remaining(start, boundary, [(a, b) for a, b, names in chunks if name in names])
            for name in windowed}


def days_in(left: dict[str, Intervals]) -> float:
    """Days in which some resource's history is missing."""
    union: Intervals = []
    for a, b in sorted(iv for parts in left.values() for iv in parts):
        if union and a <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], b))
        else:
            union.append((a, b))
    return sum((b - a for a, b in union), timedelta()) / timedelta(days=1)


def history_left(paths: Paths, vendor: Vendor) -> dict[str, Intervals]:
    """resource -> its history not loaded yet (nothing without a plan)."""
    boundary = boundary_of(paths, vendor)
    if boundary is None:
        return {}
    start = configured_start(vendor)
    if start is None:                   # the start date was removed since: nothing before it to fill
        return {}
    left = missing(start, boundary, vendor.windowed_resources,
                   covered_intervals(paths, vendor.name))
    return {name: parts for name, parts in left.items() if parts}


def next_slice(left: dict[str, Intervals], span: timedelta) -> tuple[datetime, datetime, list[str]]:
    """The newest missing window and the resources missing all of it: `[a, b)` ends where the
    newest hole ends and reaches back `span` (from midnight), no further than any of them is
    missing."""
    b = max(parts[-1][1] for parts in left.values())
    due = sorted(name for name, parts in left.items() if parts[-1][1] == b)
    a = max([left[name][-1][0] for name in due] + [_midnight(b - span)])
    return a, b, due


def progress(read: Callable[[str], list[tuple]], vendor: Vendor) -> dict | None:
    """What `vendorsync status` shows of the vendor's history (None: no plan): the boundary,
    how far back it is loaded, the days left, and the time to finish at the pace of the
    slices loaded so far. `read` is the status command's read-only query."""
    from .backfill import TABLE

    plans = read(f"select boundary from {ledger.DATASET}.{PLANS} where vendor = '{vendor.name}'")
    if not plans:
        return None
    try:
        boundary, start = _utc(plans[0][0]), configured_start(vendor)
    except VendorConfigError:           # the sync says what to fix; status shows the rest
        return None
    if start is None:
        return None
    rows = read(f"select chunk_start, chunk_end, resources, seconds from {ledger.DATASET}.{TABLE} "
                f"where vendor = '{vendor.name}'")
    chunks = [(_utc(a), _utc(b), set(str(names).split(",")), seconds) for a, b, names, seconds in rows]
    left = missing(start, boundary, vendor.windowed_resources, [(a, b, names) for a, b, names, _ in chunks])
    complete_from = max((parts[-1][1] for parts in left.values() if parts), default=start)
    paced = [(b - a, s) for a, b, _, s in chunks if s is not None and a >= start and b <= boundary]
    days_left = days_in(left)
    per_day = sum(s for _, s in paced) / (sum((d for d, _ in paced), timedelta()) / timedelta(days=1)) \
        if paced else None
    return {"boundary": boundary.isoformat(), "start": start.isoformat(),
            "loaded_back_to": complete_from.isoformat(),
            "days_left": round(days_left, 1),
            "seconds_left": None if per_day is None or not days_left else round(days_left * per_day)}


class SliceSizer:
    """The span of the next slice, from the rows per day of the last one: about `target`
    rows a slice, at least a day; a span that held nothing doubles."""

    def __init__(self, target: int, span: timedelta):
        self.target, self.span = target, max(span, timedelta(days=1))

    def learn(self, span: timedelta, rows: int) -> None:
        if rows <= 0:
            self.span = span * 2
            return
        per_day = rows / max(span / timedelta(days=1), 1 / 24)
        self.span = max(timedelta(days=self.target / per_day), timedelta(days=1))


def last_slice(paths: Paths, vendor: Vendor) -> tuple[datetime, datetime, int] | None:
    """(start, end, rows) of the slice or backfill chunk of all the vendor's windowed resources
    committed last (None: none yet; a chunk of some resources only would understate the rows)."""
    from .backfill import TABLE

    resources = ",".join(sorted(vendor.windowed_resources))
    rows = query(paths, f"select chunk_start, chunk_end, rows from {ledger.DATASET}.{TABLE} where vendor = "
                        f"'{vendor.name}' and resources = '{resources}' order by finished_at desc limit 1")
    return (_utc(rows[0][0]), _utc(rows[0][1]), int(rows[0][2] or 0)) if rows else None


@dataclass
class Fill:
    """One vendor's history fill in one round."""
    vendor: Vendor
    results: list[VendorResult]
    left: bool = True           # history still to fill after this round
    failed: bool = False


def fill_vendor(paths: Paths, vendor: Vendor, run_id: str, settings: HistorySettings, until: float,
                sizer: SliceSizer) -> Fill:
    """Slices of the vendor's history, newest first, until it is all loaded, a slice fails,
    or the monotonic clock passes `until` (the slice in flight then finishes)."""
    fill = Fill(vendor, [])
    while True:
        left = history_left(paths, vendor)
        if not left:
            fill.left = False
            return fill
        if time.monotonic() >= until:
            return fill
        a, b, due = next_slice(left, sizer.span)
        started = time.monotonic()
        result = run_vendor(vendor, paths, resources=due,
                            source_args={"start_date": a.isoformat(), "end_date": b.isoformat()},
                            pipeline_name=f"{vendor.pipeline_name}_history", run_kind="slice")
        fill.results.append(result)
        if not result.ok:
            fill.failed = True
            return fill
        rows = sum(result.rows.get(r, 0) for r in due)
        record_chunk(paths, vendor, due, a, b, result, run_id, time.monotonic() - started)
        sizer.learn(b - a, rows)
        event("%s: history %s to %s loaded (%d rows%s)", vendor.name, f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}", rows,
              "" if due == sorted(vendor.windowed_resources) else f" of {', '.join(due)}",
              vendor=vendor.name, slice_start=a.isoformat(), resources=due, rows=rows)


def forget_coverage(paths: Paths, vendor: Vendor, resources: list[str]) -> bool:
    """A reset or full refresh of some windowed resources, once the vendor has a plan: the
    slices and backfills stop counting for them (and only them), so their history is fetched
    again. True when there was a plan."""
    from .backfill import TABLE

    if boundary_of(paths, vendor) is None:
        return False
    forgotten = set(resources)
    statements = []
    for (names,) in query(paths, f"select distinct resources from {ledger.DATASET}.{TABLE} "
                                 f"where vendor = '{vendor.name}'"):
        kept = ",".join(sorted(set(str(names).split(",")) - forgotten))
        if kept != names:
            where = f"where vendor = '{vendor.name}' and resources = '{names}'"
            statements.append(f"update {ledger.DATASET}.{TABLE} set resources = '{kept}' {where}" if kept
                              else f"delete from {ledger.DATASET}.{TABLE} {where}")
    if statements:
        execute(paths, *statements)
    return True


def _midnight(value: datetime) -> datetime:
    return datetime.combine(value.date(), datetime.min.time(), timezone.utc)


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
