"""`vendorsync status`: per vendor, the last attempt (outcome, error, when) and the last
success; per resource, the cursor, the rows in the warehouse, and a flag when the cursor
claims data the raw table does not hold; the records held in quarantine (schema drift); and
whether the vendor's data is fresh enough (exit 5 when it is not, so a scheduler can alert).

It only reads: the DuckDB file is opened read-only and no vendorsync lock is taken, so it
answers while a sync runs (it waits out a load in progress, `READ_WAIT_S`) and while an
analyst holds the file open.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Any

import dlt
import duckdb
from dlt.common.versioned_state import decompress_state

from sources.common.quarantine import TABLE as QUARANTINE

from . import history, ledger
from .holders import WarehouseHeld, holder_in
from .settings import Paths
from .vendors import Vendor

DEFAULT_FRESHNESS_HOURS = 26.0
#: how long `status` waits for a vendorsync load that holds the DuckDB file as writer
READ_WAIT_S = 60.0
ATTEMPT_COMMANDS = ("sync", "sync --full-refresh", "demo")

Reader = Callable[[str], list[tuple]]


def freshness_hours(vendor: str) -> float:
    """`[vendorsync] freshness_hours`, overridable per vendor by `[vendorsync.<vendor>]`."""
    for key in (f"vendorsync.{vendor}.freshness_hours", "vendorsync.freshness_hours"):
        value: Any = dlt.config.get(key)
        if value is not None:
            return float(value)
    return DEFAULT_FRESHNESS_HOURS


def _utc(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@contextmanager
def read_only(paths: Paths) -> Iterator[Reader]:
    """A `sql -> rows` reader on the warehouse that never writes and takes no vendorsync lock;
    a table that does not exist reads as no rows."""
    if paths.destination != "duckdb":
        from dlt.destinations.exceptions import DatabaseUndefinedRelation

        from .warehouse import ops_pipeline

        with ops_pipeline(paths).sql_client() as client:
            def read(sql: str) -> list[tuple]:
                try:
                    return [tuple(r) for r in client.execute_sql(sql) or []]
                except DatabaseUndefinedRelation:
                    return []
            yield read
        return
    if not paths.warehouse.is_file():
        yield lambda sql: []
        return
    con = _connect_read_only(paths)
    try:
        def read(sql: str) -> list[tuple]:
            try:
                return con.execute(sql).fetchall()
            except duckdb.CatalogException:
                return []
        yield read
    finally:
        con.close()


def _connect_read_only(paths: Paths) -> duckdb.DuckDBPyConnection:
    """DuckDB lets readers share the file, but not with a writer: wait out a load in progress."""
    started = time.monotonic()
    while True:
        try:
            return duckdb.connect(str(paths.warehouse), read_only=True)
        except duckdb.IOException as exc:
            holder = holder_in(str(exc))
            if holder is None:
                raise
            if time.monotonic() - started > READ_WAIT_S:
                raise WarehouseHeld(paths.warehouse, holder, time.monotonic() - started) from None
            time.sleep(0.2)


def stored_state(read: Reader, vendor: Vendor) -> dict:
    """The sync pipeline's dlt state as last committed to the warehouse (dlt stores it in
    `<dataset>._dlt_pipeline_state` with each load, and restores it from there the same way:
    the newest completed load). Never this machine's local copy: the state belongs to the
    warehouse (`pipelines.state`), and a copy may claim rows this warehouse never got."""
    rows = read(f"select s.state from {vendor.dataset}._dlt_pipeline_state as s "
                f"join {vendor.dataset}._dlt_loads as l on l.load_id = s._dlt_load_id "
                f"where s.pipeline_name = '{vendor.pipeline_name}' and l.status = 0 "
                "order by l.load_id desc limit 1")
    return decompress_state(rows[0][0]) if rows else {}


def cursors(state: dict, vendor: Vendor) -> dict[str, tuple[str, Any]]:
    """resource -> (cursor path, last value) of its dlt incremental."""
    resources = state.get("sources", {}).get(vendor.name, {}).get("resources", {})
    out = {}
    for resource, rstate in resources.items():
        for cursor, inc in (rstate.get("incremental") or {}).items():
            out[resource] = (cursor, inc.get("last_value"))
    return out


def _comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


def cursor_ahead(read: Reader, vendor: Vendor, resource: str, cursor: str, value: Any,
                 rows: int | None) -> str | None:
    """Why the cursor claims more than the raw table holds, or None. A cursor past the newest
    value of its column in the table means records were skipped that were never loaded (the
    table was emptied, restored from an older copy, or loaded elsewhere)."""
    if value is None:
        return None
    if not rows:
        return f"cursor at {value} but raw_{vendor.name}.{resource} holds no rows"
    column = cursor.replace(".", "__")
    newest = read(f'select max("{column}") from {vendor.dataset}.{resource}')
    if not newest or newest[0][0] is None:
        return None
    held, claimed = _comparable(newest[0][0]), _comparable(value)
    try:
        if claimed > held:
            return f"cursor {value} is past the newest {column} loaded ({newest[0][0]})"
    except TypeError:                     # not comparable: nothing to flag
        return None
    return None


def row_counts(read: Reader, vendor: Vendor) -> dict[str, int]:
    """Current rows per resource table (SCD2 tables: current versions only), and the
    vendor's `quarantine` table's rows (records it could not read, not loaded since)."""
    present = {r[0]: r[1] for r in read(
        "select table_name, count(*) filter (where column_name = '_dlt_valid_to') "
        f"from information_schema.columns where table_schema = '{vendor.dataset}' group by table_name")}
    out: dict[str, int] = {}
    for resource in (*vendor.resources, QUARANTINE):
        if resource in present:
            where = " where _dlt_valid_to is null" if present[resource] else ""
            out[resource] = read(f"select count(*) from {vendor.dataset}.{resource}{where}")[0][0]
    return out


def collect(paths: Paths, vendors: list[Vendor], now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(timezone.utc)
    commands = ", ".join(f"'{c}'" for c in ATTEMPT_COMMANDS)
    table = f"{ledger.DATASET}.{ledger.TABLE}"
    with read_only(paths) as read:
        last = {(v, r): _utc(t) for v, r, t in read(
            f"select vendor, resource, max(finished_at) from {table} "
            f"where status = 'success' and command in ({commands}) group by vendor, resource")}
        attempts = {v: (status, error, _utc(started), _utc(finished)) for v, status, error, started, finished in read(
            "select vendor, status, error, started_at, finished_at from ("
            "select *, row_number() over (partition by vendor order by started_at desc, "
            f"finished_at desc nulls first) as n from {table} "
            f"where resource = '*' and command in ({commands})) as a where n = 1")}
        report = [_vendor_report(read, paths, vendor, now, last, attempts.get(vendor.name)) for vendor in vendors]
    return report


def _vendor_report(read: Reader, paths: Paths, vendor: Vendor, now: datetime, last: dict,
                   attempt: tuple | None) -> dict:
    threshold = freshness_hours(vendor.name)
    newest = last.get((vendor.name, "*"))
    age_h = None if newest is None else (now - newest).total_seconds() / 3600
    last_attempt = None
    if attempt:
        status, error, started, finished = attempt
        last_attempt = {"status": status, "error": error, "at": _iso(finished or started)}
    failed_last = bool(last_attempt and last_attempt["status"] == "failed")
    fresh = age_h is not None and age_h <= threshold and not failed_last
    cursor = cursors(stored_state(read, vendor), vendor)
    rows = row_counts(read, vendor)
    filling = history.progress(read, vendor)
    resources = []
    for r in vendor.resources:
        path, value = cursor.get(r, (None, None))
        # a cursor still at the history boundary (nothing newer yet) claims nothing
        at_boundary = filling is not None and _comparable(value) == _comparable(filling["boundary"])
        resources.append({
            "resource": r, "last_success": _iso(last.get((vendor.name, r))),
            "cursor": None if path is None else f"{path} {value}", "rows": rows.get(r),
            "cursor_ahead": None if path is None or at_boundary
            else cursor_ahead(read, vendor, r, path, value, rows.get(r)),
        })
    return {
        "vendor": vendor.name, "fresh": fresh, "threshold_hours": threshold,
        "last_success": _iso(newest), "age_hours": None if age_h is None else round(age_h, 2),
        "last_attempt": last_attempt, "quarantined": rows.get(QUARANTINE, 0), "resources": resources,
        "history": filling,
    }


def _verdict(v: dict) -> str:
    limit = f"limit {v['threshold_hours']:g} h"
    if v["fresh"]:
        return f"FRESH ({v['age_hours']:.1f} h old, {limit})"
    age = "never synced" if v["age_hours"] is None else f"{v['age_hours']:.1f} h old"
    failed = ", last attempt FAILED" if (v.get("last_attempt") or {}).get("status") == "failed" else ""
    return f"STALE ({age}{failed}, {limit})"


def format_report(report: list[dict]) -> str:
    def when(iso: str | None) -> str:
        return (iso or "never")[:16].replace("T", " ")

    lines = [f"{'vendor':<10} {'resource':<16} {'last success (UTC)':<20} {'rows':>9}  cursor / freshness"]
    for v in report:
        lines.append(f"{v['vendor']:<10} {'(vendor)':<16} {when(v['last_success']):<20} {'':>9}  {_verdict(v)}")
        attempt = v.get("last_attempt")
        if attempt:
            error = f": {attempt['error']}" if attempt["error"] else ""
            lines.append(f"{'':<10} {'last attempt':<16} {when(attempt['at']):<20} {'':>9}  "
                         f"{attempt['status']}{error}")
        for r in v["resources"]:
            rows = "" if r["rows"] is None else r["rows"]
            lines.append(f"{'':<10} {r['resource']:<16} {when(r['last_success']):<20} {rows:>9}  {r['cursor'] or ''}")
            if r.get("cursor_ahead"):
                lines.append(f"{'':<10} {'':<16} {'':<20} {'':>9}  CURSOR AHEAD OF DATA: {r['cursor_ahead']}")
        if v.get("history"):
            lines.append(f"{'':<10} {'history':<16} {'':<20} {'':>9}  {_history_line(v['history'])}")
        if v["quarantined"]:
            lines.append(f"{'':<10} {QUARANTINE:<16} {'':<20} {v['quarantined']:>9}  records not loaded: "
                         f"see raw_{v['vendor']}.{QUARANTINE}")
    return "\n".join(lines)


def _history_line(h: dict) -> str:
    """`complete since 2020-01-01`, or how far back, what is left and the time to finish."""
    if not h["days_left"]:
        return f"complete back to {h['start'][:10]} (the present from {h['boundary'][:10]})"
    eta = "" if h["seconds_left"] is None else f", about {h['seconds_left'] / 3600:.1f} h to go at the pace so far"
    return (f"loaded back to {h['loaded_back_to'][:10]}, {h['days_left']:g} days left to {h['start'][:10]}{eta}; "
            "the next sync goes on")


def as_json(report: list[dict]) -> str:
    return json.dumps(report, indent=2, default=str)
