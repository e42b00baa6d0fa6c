"""`vendorsync status`: per vendor and resource, the last successful sync, the cursor, the rows
in the warehouse, the records held in quarantine (schema drift) and whether the vendor's data
is fresh enough (exit 5 when it is not, so a scheduler can alert)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import dlt

from sources.common.quarantine import TABLE as QUARANTINE

from . import ledger
from .lock import write_lock
from .settings import Paths
from .vendors import Vendor
from .warehouse import destination_for, query

DEFAULT_FRESHNESS_HOURS = 26.0


def freshness_hours(vendor: str) -> float:
    """`[vendorsync] freshness_hours`, overridable per vendor by `[vendorsync.<vendor>]`."""
    for key in (f"vendorsync.{vendor}.freshness_hours", "vendorsync.freshness_hours"):
        value = dlt.config.get(key)
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


def cursors(paths: Paths, vendor: Vendor) -> dict[str, str]:
    """resource -> 'cursor_path last_value' from the sync pipeline's dlt state (restored from
    the warehouse when this machine has no local copy)."""
    pipeline = dlt.pipeline(vendor.pipeline_name, destination=destination_for(paths),
                            dataset_name=vendor.dataset, pipelines_dir=str(paths.pipelines_dir))
    if not pipeline.state.get("sources"):
        with write_lock(paths.lock_anchor, "status"):
            try:
                pipeline.sync_destination()
            except Exception:  # no state stored yet: nothing to show
                return {}
    resources = pipeline.state.get("sources", {}).get(vendor.name, {}).get("resources", {})
    out = {}
    for resource, state in resources.items():
        for cursor, inc in (state.get("incremental") or {}).items():
            out[resource] = f"{cursor} {inc.get('last_value')}"
    return out


def row_counts(paths: Paths, vendor: Vendor) -> dict[str, int]:
    """Current rows per resource table (SCD2 tables: current versions only), and the
    vendor's `quarantine` table's rows (records it could not read, not loaded since)."""
    out: dict[str, int] = {}
    pipeline = dlt.pipeline(vendor.pipeline_name, destination=destination_for(paths),
                            dataset_name=vendor.dataset, pipelines_dir=str(paths.pipelines_dir))
    with write_lock(paths.lock_anchor, "status"):
        try:
            with pipeline.sql_client() as client:
                present = {r[0]: r[1] for r in client.execute_sql(
                    "select table_name, count(*) filter (where column_name = '_dlt_valid_to') "
                    f"from information_schema.columns where table_schema = '{vendor.dataset}' "
                    "group by table_name")}
                for resource in (*vendor.resources, QUARANTINE):
                    if resource in present:
                        where = " where _dlt_valid_to is null" if present[resource] else ""
                        out[resource] = client.execute_sql(
                            f"select count(*) from {vendor.dataset}.{resource}{where}")[0][0]
        except Exception:
            return out
    return out


def collect(paths: Paths, vendors: list[Vendor], now: datetime | None = None) -> list[dict]:
    now = now or datetime.now(timezone.utc)
    last = {(v, r): _utc(t) for v, r, t in query(
        paths, f"select vendor, resource, max(finished_at) from {ledger.DATASET}.{ledger.TABLE} "
               "where status = 'success' and command in ('sync', 'demo') group by vendor, resource")}
    report = []
    for vendor in vendors:
        threshold = freshness_hours(vendor.name)
        newest = last.get((vendor.name, "*"))
        age_h = None if newest is None else (now - newest).total_seconds() / 3600
        fresh = age_h is not None and age_h <= threshold
        cursor = cursors(paths, vendor)
        rows = row_counts(paths, vendor)
        report.append({
            "vendor": vendor.name, "fresh": fresh, "threshold_hours": threshold,
            "last_success": _iso(newest),
            "age_hours": None if age_h is None else round(age_h, 2),
            "quarantined": rows.get(QUARANTINE, 0),
            "resources": [{"resource": r, "last_success": _iso(last.get((vendor.name, r))),
                           "cursor": cursor.get(r), "rows": rows.get(r)} for r in vendor.resources],
        })
    return report


def _verdict(v: dict) -> str:
    limit = f"limit {v['threshold_hours']:g} h"
    if v["fresh"]:
        return f"FRESH ({v['age_hours']:.1f} h old, {limit})"
    age = "never synced" if v["age_hours"] is None else f"{v['age_hours']:.1f} h old"
    return f"STALE ({age}, {limit})"


def format_report(report: list[dict]) -> str:
    def when(iso: str | None) -> str:
        return (iso or "never")[:16].replace("T", " ")

    lines = [f"{'vendor':<10} {'resource':<16} {'last success (UTC)':<20} {'rows':>9}  cursor / freshness"]
    for v in report:
        lines.append(f"{v['vendor']:<10} {'(vendor)':<16} {when(v['last_success']):<20} {'':>9}  {_verdict(v)}")
        for r in v["resources"]:
            rows = "" if r["rows"] is None else r["rows"]
            lines.append(f"{'':<10} {r['resource']:<16} {when(r['last_success']):<20} {rows:>9}  {r['cursor'] or ''}")
        if v["quarantined"]:
            lines.append(f"{'':<10} {QUARANTINE:<16} {'':<20} {v['quarantined']:>9}  records not loaded: "
                         f"see raw_{v['vendor']}.{QUARANTINE}")
    return "\n".join(lines)


def as_json(report: list[dict]) -> str:
    return json.dumps(report, indent=2, default=str)
