"""Time values: vendors' naive local times to UTC, config dates to aware datetimes, windows."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pendulum

from .errors import VendorConfigError


def zone(vendor: str, name: str, setting: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise VendorConfigError(vendor, f"unknown time zone {name!r}.", setting=setting) from None


def local_to_utc(text: str | None, tz: ZoneInfo) -> datetime | None:
    """`"2024-03-04 09:15:02"` wall-clock time in `tz` -> aware UTC. In the repeated hour of a
    DST fall-back the first occurrence is taken: the vendor's format cannot tell them apart."""
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(timezone.utc)


def parse_utc(text: str | None) -> datetime | None:
    """ISO 8601 / RFC 3339 with an offset or `Z` -> aware UTC; a naive value is taken as UTC."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def as_utc_datetime(vendor: str, value: object, setting: str) -> datetime | None:
    """A start/end date from config or the command line (date, datetime or ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        parsed = pendulum.parse(str(value))
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        raise VendorConfigError(vendor, f"{value!r} is not a date or timestamp (use YYYY-MM-DD).",
                                setting=setting) from None
    if isinstance(parsed, datetime):
        return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if not isinstance(parsed, date):          # a time of day or a duration ("P1D")
        raise VendorConfigError(vendor, f"{value!r} is not a date or timestamp (use YYYY-MM-DD).", setting=setting)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)


def window_bounds(vendor: str, start_date: object, end_date: object) -> tuple[datetime | None, datetime | None]:
    """A source's `start_date`/`end_date` settings as aware UTC datetimes; the end (a
    backfill's) must come after the start."""
    start = as_utc_datetime(vendor, start_date, f"sources.{vendor}.start_date")
    end = as_utc_datetime(vendor, end_date, f"sources.{vendor}.end_date")
    if start and end and end <= start:
        raise VendorConfigError(vendor, f"end_date {end:%Y-%m-%d} is not after start_date {start:%Y-%m-%d}.",
                                setting=f"sources.{vendor}.end_date")
    return start, end


def windows(start: datetime, end: datetime, step: timedelta) -> list[tuple[datetime, datetime]]:
    """Half-open `[a, b)` windows covering `[start, end)`."""
    out, a = [], start
    while a < end:
        b = min(a + step, end)
        out.append((a, b))
        a = b
    return out


def cut_at(rows: list[dict], end: datetime, at: str) -> tuple[list[dict], bool]:
    """A page of a listing sorted by `at`, oldest first, read up to a backfill's `end`: the
    rows before it, and whether the listing has reached it (stop reading there)."""
    inside = [r for r in rows if r[at] < end]
    return inside, len(inside) < len(rows)
