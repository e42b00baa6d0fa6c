"""`vendorsync`: the command line for scheduled syncs, backfills, transforms, status, the demo
and the sandbox. Exit codes are in `pipelines.errors` and the README."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .settings import prepare_environment, resolve_paths

log = logging.getLogger("vendorsync")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vendorsync", description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB warehouse file (default data/warehouse.duckdb; env VENDORSYNC_WAREHOUSE)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per line on stderr, for schedulers")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every retry and step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    sync = sub.add_parser("sync", help="load new and changed records from the vendors, then dbt build")
    sync.add_argument("--vendor", action="append", help="only this vendor (repeatable; default all)")
    sync.add_argument("--resource", action="append", help="only this resource (repeatable)")
    sync.add_argument("--no-transform", action="store_true", help="skip dbt build after loading")
    sync.add_argument("--wait", action="store_true", help="wait for a running sync instead of exiting")

    backfill = sub.add_parser("backfill", help="load a historical window without moving the sync cursors")
    backfill.add_argument("--vendor", required=True)
    backfill.add_argument("--resource", action="append",
                          help="a windowed resource (repeatable; default all windowed ones)")
    backfill.add_argument("--start", required=True, help="window start, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--end", required=True, help="window end, YYYY-MM-DD (exclusive)")
    backfill.add_argument("--no-transform", action="store_true")
    backfill.add_argument("--wait", action="store_true")

    transform = sub.add_parser("transform", help="dbt build of the staging models and marts")
    transform.add_argument("--full-refresh", action="store_true")
    transform.add_argument("--select", default=None, help="dbt node selection")
    transform.add_argument("--wait", action="store_true")

    demo = sub.add_parser("demo", help="sandbox -> sync -> marts, the embedded default")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--scale", default="small")

    sandbox = sub.add_parser("sandbox", help="run or drive the local vendor simulators")
    from sandbox.cli import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(sandbox)
    return parser


def _print_results(results, dbt_result=None) -> None:
    print(f"\n{'vendor':<10} {'status':<8} {'rows':>8} {'requests':>9} {'retries':>8} {'seconds':>8}")
    for r in results:
        print(f"{r.vendor:<10} {'ok' if r.ok else 'FAILED':<8} {sum(r.rows.values()):>8} "
              f"{r.total_requests:>9} {r.total_retries:>8} {r.seconds:>8.1f}")
    for r in results:
        if not r.ok:
            print(f"  {r.error}")
    if dbt_result is not None:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(dbt_result.counts.items()))
        print(f"dbt build: {'ok' if dbt_result.ok else 'FAILED'} in {dbt_result.seconds:.1f}s ({counts})")


def cmd_sync(args, paths) -> int:
    from . import ledger, transform
    from .errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_TRANSFORM, EXIT_USAGE
    from .lock import WarehouseLock
    from .runner import destination_for, run_vendors
    from .vendors import check_resources, pick_vendors

    vendors = pick_vendors(args.vendor)
    resources = {v.name: check_resources(v, args.resource) for v in vendors}
    with WarehouseLock(paths.lock_file, "sync").acquire(wait=args.wait):
        run_id = ledger.new_run_id()
        results = run_vendors(vendors, paths, resources=resources)
        ledger.write([row for r in results for row in r.ledger_rows(run_id, "sync")],
                     destination_for(paths), str(paths.pipelines_dir))
        built = None
        if not args.no_transform and any(r.ok for r in results):
            built = transform.build(paths)
    _print_results(results, built)
    failed = [r for r in results if not r.ok]
    if len(failed) == len(results):
        # nothing loaded because of the user's settings: say so with the usage code
        return EXIT_USAGE if all(r.error_kind in ("config", "auth") for r in failed) else EXIT_FAILED
    if failed:
        return EXIT_PARTIAL
    if built is not None and not built.ok:
        return EXIT_TRANSFORM
    return EXIT_OK


def cmd_backfill(args, paths) -> int:
    from datetime import date

    from . import ledger, transform
    from .errors import EXIT_FAILED, EXIT_OK, EXIT_TRANSFORM, EXIT_USAGE
    from .lock import WarehouseLock
    from .runner import destination_for, run_vendor
    from .vendors import check_resources, pick_vendors

    [vendor] = pick_vendors([args.vendor])
    resources = check_resources(vendor, args.resource, windowed_only=True) or list(vendor.windowed_resources)
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        raise ValueError(f"--start/--end must be dates like 2026-01-31, not {args.start!r}/{args.end!r}") from None
    if end <= start:
        raise ValueError(f"--end {end} must be after --start {start} (the window is [start, end))")
    with WarehouseLock(paths.lock_file, "backfill").acquire(wait=args.wait):
        run_id = ledger.new_run_id()
        result = run_vendor(vendor, paths, resources=resources,
                            source_args={"start_date": start.isoformat(), "end_date": end.isoformat()},
                            pipeline_name=f"{vendor.pipeline_name}_backfill")
        ledger.write(result.ledger_rows(run_id, f"backfill {start}..{end}"), destination_for(paths),
                     str(paths.pipelines_dir))
        built = transform.build(paths) if result.ok and not args.no_transform else None
    _print_results([result], built)
    if not result.ok:
        return EXIT_USAGE if result.error_kind in ("config", "auth") else EXIT_FAILED
    return EXIT_TRANSFORM if built is not None and not built.ok else EXIT_OK


def cmd_transform(args, paths) -> int:
    from . import transform
    from .errors import EXIT_OK, EXIT_TRANSFORM
    from .lock import WarehouseLock

    with WarehouseLock(paths.lock_file, "transform").acquire(wait=args.wait):
        result = transform.build(paths, full_refresh=args.full_refresh, select=args.select)
    return EXIT_OK if result.ok else EXIT_TRANSFORM


def cmd_demo(args, paths) -> int:
    from .demo import run_demo
    from .lock import WarehouseLock

    with WarehouseLock(paths.lock_file, "demo").acquire(wait=False):
        return run_demo(paths, args.seed, args.scale)


def cmd_sandbox(args, paths) -> int:
    from sandbox.cli import run as run_sandbox

    if getattr(args, "state_file", None) == Path("data/sandbox.json"):
        args.state_file = paths.sandbox_state
    return run_sandbox(args)


COMMANDS = {"sync": cmd_sync, "backfill": cmd_backfill, "transform": cmd_transform, "demo": cmd_demo, "sandbox": cmd_sandbox}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = resolve_paths(args.warehouse)
    prepare_environment(paths)
    from .errors import EXIT_BUSY, EXIT_FAILED, EXIT_USAGE, explain
    from .logs import setup_logging

    setup_logging(args.log_format, paths.log_file, args.verbose)
    try:
        return COMMANDS[args.command](args, paths)
    except KeyboardInterrupt:
        print("vendorsync: interrupted; nothing half-loaded was committed.", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place a failure becomes a line and an exit code
        from .demo import DemoRefused
        from .vendors import UnknownName

        if isinstance(exc, (UnknownName, DemoRefused, ValueError)):
            message, kind = str(exc), "usage"
        else:
            message, kind = explain(exc)
        log.debug("command failed", exc_info=True)
        print(f"vendorsync: error: {message}", file=sys.stderr)
        if kind == "busy":
            return EXIT_BUSY
        if kind in ("usage", "config", "auth"):
            return EXIT_USAGE
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
