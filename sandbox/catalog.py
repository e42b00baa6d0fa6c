"""Catalog records that simulated worlds share: records that exist from a time, change in
dated versions and may be deleted (`Versioned`), and the daily churn that edits, deletes and
adds them. Draws come from the caller's day stream, in a fixed order, so a world stays the
same however the clock is advanced (the day loop itself is `sandbox.base.DayByDay`)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from .rng import poisson

R = TypeVar("R", bound="Versioned")


class Versioned:
    """Mixin for a catalog record with `created_at`, `versions` (tuples starting with the time
    each takes effect, in order) and `deleted_at` (None while it exists)."""

    __slots__ = ()
    created_at: datetime
    versions: list[tuple]
    deleted_at: datetime | None

    def visible(self, now: datetime) -> bool:
        return self.created_at <= now and (self.deleted_at is None or now < self.deleted_at)

    def version(self, now: datetime) -> tuple:
        current = self.versions[0]
        for v in self.versions:
            if v[0] <= now:
                current = v
        return current


def initial_catalog(r, count: int, at: datetime, new: Callable[[object, datetime], R]) -> list[R]:
    """The catalog when history starts: `count` records created within ten hours of `at`."""
    return [new(r, at + timedelta(minutes=r.randint(0, 600))) for _ in range(count)]


def churn_day(r, records: Iterable[R], start: datetime, *, rate: float, delete_below: float,
              edit_below: float, edit: Callable[[object, tuple], tuple], new_mean: float,
              new: Callable[[object, datetime], R]) -> list[R]:
    """One day of catalog changes from midnight `start`: each record visible then is deleted
    (roll < delete_below) or gets a new version (roll < edit_below; `edit(r, current version)`
    returns its fields after the time), the roll scaled by `rate`; returns the records created
    that day (`new(r, at)`, a Poisson number with mean `new_mean`)."""

    def at_random() -> datetime:
        return start + timedelta(seconds=r.randint(0, 86399))

    for record in list(records):
        if not record.visible(start):
            continue
        roll = r.random() / rate
        if roll < delete_below:
            record.deleted_at = at_random()
        elif roll < edit_below:
            when = at_random()
            record.versions.append((when, *edit(r, record.version(when))))
    return [new(r, at_random()) for _ in range(poisson(r, new_mean))]
