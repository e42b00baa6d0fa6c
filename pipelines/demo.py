"""`vendorsync demo`: the embedded default end to end. Starts the sandbox, syncs every vendor
from it, builds the marts, prints what they hold next to the sandbox's ground truth, and
leaves the warehouse for the user to query."""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.client import SandboxProcess

from . import marts
from .errors import EXIT_FAILED, EXIT_OK, EXIT_TRANSFORM
from .logs import event
from .settings import Paths
from .sync import run_sync
from .vendors import VENDORS
from .warehouse import OPS_DATASET, OPS_PIPELINE, describe, execute, query

MARKER = ".demo-warehouse"
#: on a server warehouse the marker is a table of the ops schema
SERVER_MARKER = f"{OPS_DATASET}._vendorsync_demo"
#: the schemas dbt builds (dbt_project.yml and the audit schema of stored test failures)
DBT_SCHEMAS = ("seeds", "staging", "intermediate", "marts", "audit")


@dataclass(frozen=True)
class Speedup:
    """A sandbox limit the demo lifts so it runs in seconds: the simulator's knobs
    (`PUT /settings/<vendor>`), the source settings that must follow them, and the line that
    tells the user (the demo never hides that it is not running at the vendor's real limits)."""

    sandbox: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    note: str = ""


SPEEDUPS: dict[str, Speedup] = {
    "infigo": Speedup(
        sandbox={"rate_limit_per_window": 5000}, source={"rate_limit_per_window": 5000},
        note="raised the rate limit from Infigo's documented 50 to 5000 requests per 10 s "
             "(sandbox and source budget alike) for speed"),
}


class DemoRefused(RuntimeError):
    pass


def reset_demo_warehouse(paths: Paths) -> None:
    """The demo rebuilds its warehouse from scratch, but never one it did not create."""
    if paths.destination == "duckdb":
        marker = paths.warehouse.with_name(paths.warehouse.name + MARKER)
        if paths.warehouse.exists() and not marker.exists():
            raise DemoRefused(f"{paths.warehouse} holds data the demo did not create; the demo will not "
                              "overwrite it. Pass --warehouse with another path (e.g. data/demo.duckdb).")
        for path in (paths.warehouse, paths.warehouse.with_name(paths.warehouse.name + ".wal")):
            path.unlink(missing_ok=True)
    else:
        reset_server_schemas(paths)
    for vendor in VENDORS.values():
        shutil.rmtree(paths.pipelines_dir / vendor.pipeline_name, ignore_errors=True)
    shutil.rmtree(paths.pipelines_dir / OPS_PIPELINE, ignore_errors=True)
    if paths.destination == "duckdb":
        marker.touch()


def reset_server_schemas(paths: Paths) -> None:
    """Drop the schemas vendorsync fills, when the demo made them (its marker table is there)
    or there are none yet; then leave the marker."""
    schemas = [OPS_DATASET, *(v.dataset for v in VENDORS.values()), *DBT_SCHEMAS]
    listed = ", ".join(f"'{s}'" for s in schemas)
    present = [r[0] for r in query(paths, "select schema_name from information_schema.schemata "
                                          f"where schema_name in ({listed}) order by schema_name")]
    marked = bool(query(paths, "select table_name from information_schema.tables where table_schema = "
                               f"'{OPS_DATASET}' and table_name = '{SERVER_MARKER.split('.')[1]}'"))
    if present and not marked:
        raise DemoRefused(f"the warehouse {describe(paths)} holds data the demo did not create (schemas "
                          f"{', '.join(present)}); the demo will not overwrite it. Point "
                          "destination.postgres.credentials at an empty database (e.g. `createdb vendorsync_demo`).")
    execute(paths, *(f"drop schema if exists {s} cascade" for s in present),
            f"create schema {OPS_DATASET}", f"create table {SERVER_MARKER} (created_at timestamp with time zone)",
            f"insert into {SERVER_MARKER} values (current_timestamp)")


def how_to_query(paths: Paths) -> str:
    """The one-liner that shows the user their marts."""
    sql = "select * from marts.fct_orders limit 5"
    if paths.destination == "duckdb":
        return (f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{paths.warehouse}', read_only=True)"
                f".sql('{sql}'))\"")
    return f"  psql {describe(paths)} -c '{sql}'      (psql asks for the password)"


def point_sources_at(sandbox: SandboxProcess) -> None:
    """Base URLs and credentials of the running sandbox, as the environment dlt reads."""
    for name, info in sandbox.state["vendors"].items():
        prefix = f"SOURCES__{name.upper()}__"
        os.environ[prefix + "BASE_URL"] = info["base_url"]
        for key, value in info["credentials"].items():
            os.environ[prefix + key.upper()] = str(value)


def apply_speedups(sandbox: SandboxProcess) -> None:
    for name, speedup in SPEEDUPS.items():
        if name not in sandbox.state["vendors"]:
            continue
        sandbox.control.configure(name, **speedup.sandbox)
        for key, value in speedup.source.items():
            os.environ[f"SOURCES__{name.upper()}__{key.upper()}"] = str(value)
        print(f"demo: {name}: {speedup.note}", flush=True)


def truth_totals(truth: dict) -> tuple[int, dict[str, Decimal]]:
    orders = sum(d["orders"] for d in truth["daily"])
    revenue: dict[str, Decimal] = {}
    for d in truth["daily"]:
        revenue[d["currency"]] = revenue.get(d["currency"], Decimal(0)) + Decimal(d["net_revenue"])
    return orders, revenue


def run_demo(paths: Paths, seed: int, scale: str) -> int:
    started = time.monotonic()
    reset_demo_warehouse(paths)
    event("starting the sandbox (seed %d, scale %s) ...", seed, scale)
    with SandboxProcess(seed=seed, scale=scale, vendors=list(VENDORS), state_file=paths.sandbox_state) as sb:
        point_sources_at(sb)
        apply_speedups(sb)
        outcome = run_sync(paths, list(VENDORS.values()), command="demo")
        if not all(r.ok for r in outcome.results):
            for r in outcome.results:
                if not r.ok:
                    print(f"vendorsync: {r.error}")
            return EXIT_FAILED
        built = outcome.built
        if built is None or not built.ok:
            print(f"vendorsync: {built.error if built else 'the marts were not built'}")
            return EXIT_TRANSFORM
        truths = {name: sb.control.truth(name) for name in VENDORS}
    rows = marts.summary(paths)
    revenue_in_marts = marts.revenue_by_currency(paths)
    print()
    print(marts.format_summary(rows))
    print()
    mismatches = 0
    for row in rows:
        orders, revenue = truth_totals(truths[row["vendor"]])
        same = orders == row["orders"] and revenue == revenue_in_marts.get(row["vendor"], {})
        mismatches += not same
        print(f"{row['vendor']:<10} ground truth: {orders} orders, "
              + ", ".join(f"{v:,.2f} {c}" for c, v in sorted(revenue.items()))
              + ("  -> marts match" if same else "  -> MISMATCH"))
    print(f"\ndemo finished in {time.monotonic() - started:.0f}s; query the marts (read-only) with:\n"
          f"{how_to_query(paths)}")
    return EXIT_OK if mismatches == 0 else EXIT_FAILED
