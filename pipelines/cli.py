"""`vendorsync`: the command line for scheduled syncs, backfills, transforms, status, the demo
and the sandbox. Exit codes are in `pipelines.errors` and the README."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from .settings import DESTINATIONS, PathProblem, prepare_environment, resolve_paths

log = logging.getLogger("vendorsync")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vendorsync", description=__doc__)
    parser.add_argument("--destination", choices=DESTINATIONS, default=None,
                        help="the warehouse: duckdb (default) or postgres (env VENDORSYNC_DESTINATION, "
                             "or [vendorsync] destination in .dlt/config.toml)")
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
    sync.add_argument("--wait", action="store_true",
                      help="wait for a running sync, and for another program's hold on the DuckDB file, "
                           "instead of exiting")
    sync.add_argument("--wait-timeout", type=float, default=None, metavar="SECONDS",
                      help="how long to wait for another program holding the DuckDB file (default: 10 "
                           "without --wait; 1800 with it, or [vendorsync] wait_timeout_seconds); then exit 7")
    sync.add_argument("--history-minutes", type=float, default=None, metavar="MINUTES",
                      help="fill the history a first sync left (oldest last) for at most this long, then stop "
                           "(the next sync goes on); 0: only the present; default: until it is all loaded")
    sync.add_argument("--full-refresh", action="store_true",
                      help="reload the selected vendors and resources from their start date (their cursors "
                           "are reset first; analysts keep the old rows until the new ones commit)")

    reset = sub.add_parser("reset", help="forget a vendor's (or resource's) cursors: the next sync reloads "
                                         "it from the start date")
    reset.add_argument("--vendor", action="append", required=True, help="the vendor (repeatable)")
    reset.add_argument("--resource", action="append", help="only this resource (repeatable; default all)")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation (for scripts)")

    backfill = sub.add_parser("backfill", help="load a historical window without moving the sync cursors")
    backfill.add_argument("--vendor", required=True)
    backfill.add_argument("--resource", action="append",
                          help="a windowed resource (repeatable; default all windowed ones)")
    backfill.add_argument("--start", required=True, help="window start, YYYY-MM-DD (inclusive)")
    backfill.add_argument("--end", required=True, help="window end, YYYY-MM-DD (exclusive)")
    backfill.add_argument("--chunk", default="7d", help="window per chunk, e.g. 7d, 1d, 12h (default 7d)")
    backfill.add_argument("--workers", type=int, default=1, help="chunks loaded concurrently (default 1)")
    backfill.add_argument("--no-transform", action="store_true")

    status = sub.add_parser("status", help="last runs, cursors, rows and freshness per vendor")
    status.add_argument("--vendor", action="append")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    transform = sub.add_parser("transform", help="dbt build of the staging models and marts")
    transform.add_argument("--full-refresh", action="store_true")
    transform.add_argument("--select", default=None, help="dbt node selection")

    sub.add_parser("docs", help="generate the dbt docs of the marts (offline) and say where they are")

    demo = sub.add_parser("demo", help="sandbox -> sync -> marts, the embedded default")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--scale", default="small")

    sandbox = sub.add_parser("sandbox", help="run or drive the local vendor simulators")
    from sandbox.cli import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(sandbox)
    return parser


def _print_results(results, dbt_result=None, history=()) -> None:
    print(f"\n{'vendor':<10} {'status':<8} {'rows':>8} {'requests':>9} {'retries':>8} {'seconds':>8}")
    for label, rows in (("", results), (" history", history)):
        for r in rows:
            print(f"{r.vendor + label:<10} {r.status:<8} {sum(r.rows.values()):>8} "
                  f"{r.total_requests:>9} {r.total_retries:>8} {r.seconds:>8.1f}")
    for r in [*results, *history]:
        if r.error:
            print(f"  {r.error}")
        if r.quarantined:
            print(f"  {r.vendor}: {r.quarantined} record(s) or listing problem(s) not loaded, "
                  f"see raw_{r.vendor}.quarantine")
    if dbt_result is not None:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(dbt_result.counts.items()))
        print(f"dbt build: {'ok' if dbt_result.ok else 'FAILED'} in {dbt_result.seconds:.1f}s ({counts})")
        if not dbt_result.ok:
            print(f"  {dbt_result.error}")


def _exit_code(results, built) -> int:
    from .errors import EXIT_BUSY, EXIT_FAILED, EXIT_HELD, EXIT_OK, EXIT_PARTIAL, EXIT_TRANSFORM, EXIT_USAGE

    failed = [r for r in results if r.status == "failed"]
    # a vendor that failed on a listing gap loaded what it read: partial, not failed
    if failed and len(failed) == len(results) and not any(r.loaded for r in failed):
        # nothing loaded because of the user's settings: say so with the usage code; because
        # another vendorsync run holds the warehouse: the busy code, try again next tick; because
        # a program outside vendorsync holds the DuckDB file: its own code, a failure
        kinds = {r.error_kind for r in failed}
        if kinds <= {"config", "auth"}:
            return EXIT_USAGE
        if "held" in kinds and kinds <= {"held", "warehouse", "busy"}:
            return EXIT_HELD
        return EXIT_BUSY if kinds <= {"warehouse", "busy"} else EXIT_FAILED
    if failed:
        return EXIT_PARTIAL
    if built is not None and not built.ok:
        return EXIT_TRANSFORM
    return EXIT_OK


def cmd_sync(args, paths) -> int:
    from .lock import sync_lock
    from .logs import event
    from .sync import run_sync
    from .vendors import pick_vendors, resources_for

    vendors = pick_vendors(args.vendor)
    resources = resources_for(vendors, args.resource)
    for v in vendors:
        if v.name not in resources:
            event("%s: not synced, it has no resource %s", v.name, ", ".join(args.resource), vendor=v.name)
    vendors = [v for v in vendors if v.name in resources]
    if args.history_minutes is not None and args.history_minutes < 0:
        raise ValueError(f"--history-minutes must be 0 or more, not {args.history_minutes:g}")
    command = "sync --full-refresh" if args.full_refresh else "sync"
    with sync_lock(paths.lock_anchor, command).acquire(wait=args.wait):
        if paths.destination == "duckdb":
            _wait_for_outside_holders(paths, args)
        outcome = run_sync(paths, vendors, command=command, resources=resources, full_refresh=args.full_refresh,
                           build_marts=not args.no_transform, history_minutes=args.history_minutes)
    _print_results(outcome.present, outcome.built, outcome.history)
    return _exit_code(outcome.results, outcome.built)


def reset_all(paths, vendors, resources: dict[str, list[str] | None]) -> list:
    """Reset each vendor's chosen resources. Every vendor's lock is taken first (a backfill of
    any of them must finish before), so the command resets all of them or none; the caller
    holds the sync lock."""
    from contextlib import ExitStack

    from .lock import vendor_lock
    from .reset import reset_vendor

    with ExitStack() as held:
        for vendor in vendors:
            held.enter_context(vendor_lock(paths.lock_anchor, vendor.name, "reset").acquire(wait=False))
        return [reset_vendor(vendor, paths, resources.get(vendor.name)) for vendor in vendors]


def cmd_reset(args, paths) -> int:
    from datetime import datetime, timezone

    from . import ledger
    from .errors import EXIT_OK, EXIT_USAGE
    from .lock import sync_lock
    from .reset import resources_to_reset
    from .vendors import pick_vendors, resources_for

    resources = resources_for(pick_vendors(args.vendor), args.resource)
    vendors = [v for v in pick_vendors(args.vendor) if v.name in resources]
    plan = {v.name: resources_to_reset(v, resources[v.name]) for v in vendors}
    what = "; ".join(f"{name}: {', '.join(names)}" for name, names in plan.items())
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"vendorsync: error: reset needs confirmation: pass --yes to reset {what}", file=sys.stderr)
            return EXIT_USAGE
        answer = input(f"Reset {what}? The next sync reloads them from the start date; the rows stay "
                       "readable meanwhile. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing reset")
            return EXIT_OK
    with sync_lock(paths.lock_anchor, "reset").acquire(wait=False):
        run_id = ledger.new_run_id()
        started = datetime.now(timezone.utc)
        outcomes = reset_all(paths, vendors, resources)
        ledger.write(paths, [ledger.LedgerRow(run_id, "reset", o.vendor, "*", "success", started,
                                              datetime.now(timezone.utc),
                                              detail={"resources": o.resources, "had_state": o.had_state})
                             for o in outcomes])
    for o in outcomes:
        state = "reset" if o.had_state else "had no sync state in this warehouse"
        print(f"{o.vendor}: {', '.join(o.resources)} {state}; the next sync reloads them from the start date")
    return EXIT_OK


def _wait_for_outside_holders(paths, args) -> None:
    """Before a sync touches the DuckDB file: a program outside vendorsync holding it (an
    analyst's session) is waited out for `--wait-timeout` with --wait, for a brief grace
    without; then the sync fails with exit 7 naming that process."""
    import dlt

    from .holders import DEFAULT_WAIT_TIMEOUT_S, GRACE_S, wait_until_free

    timeout = GRACE_S
    if args.wait_timeout is not None:
        timeout = args.wait_timeout
    elif args.wait:
        configured: Any = dlt.config.get("vendorsync.wait_timeout_seconds")
        try:
            timeout = DEFAULT_WAIT_TIMEOUT_S if configured is None else float(configured)
        except (TypeError, ValueError):
            raise ValueError(f"[vendorsync] wait_timeout_seconds in .dlt/config.toml must be a number of "
                             f"seconds, not {configured!r}") from None
    if timeout < 0:
        raise ValueError(f"the wait timeout must be 0 or more seconds, not {timeout:g}")
    wait_until_free(paths.warehouse, timeout, "sync")


def cmd_backfill(args, paths) -> int:
    from datetime import date, datetime, timezone

    from . import ledger, transform
    from .backfill import merged_result, parse_chunk, run_backfill
    from .lock import vendor_lock
    from .vendors import check_resources, pick_vendors

    [vendor] = pick_vendors([args.vendor])
    resources = check_resources(vendor, args.resource, windowed_only=True) or list(vendor.windowed_resources)
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        raise ValueError(f"--start/--end must be dates like 2026-01-31, not {args.start!r}/{args.end!r}") from None
    if end <= start:
        raise ValueError(f"--end {end} must be after --start {start} (the window is [start, end))")
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, not {args.workers}")
    chunk = parse_chunk(args.chunk)
    as_utc = lambda d: datetime(d.year, d.month, d.day, tzinfo=timezone.utc)  # noqa: E731
    lock = vendor_lock(paths.lock_anchor, vendor.name, "backfill")
    holder = lock.holder()
    # wait for a sync's short hold of the vendor; refuse to queue behind another backfill
    lock.acquire(wait=holder.get("purpose") != "backfill", timeout_s=3600)
    with lock:
        run_id = ledger.new_run_id()
        command = f"backfill {start}..{end}"
        started = datetime.now(timezone.utc)
        ledger.write(paths, [ledger.running(run_id, command, vendor.name)])
        outcome = run_backfill(paths, vendor, resources, as_utc(start), as_utc(end), chunk,
                               args.workers, run_id)
        result = merged_result(vendor.name, outcome.results, started)
        ledger.write(paths, result.ledger_rows(run_id, command))
        built = transform.build(paths) if outcome.done and outcome.ok and not args.no_transform else None
    _print_results([result], built)
    print(f"backfill {vendor.name}: {outcome.chunks} chunks, {outcome.skipped} done before, "
          f"{outcome.done} loaded now" + (f", stopped at {outcome.failed[0]}" if outcome.failed else ""))
    return _exit_code([result], built)


def cmd_status(args, paths) -> int:
    from .errors import EXIT_OK, EXIT_STALE
    from .status import as_json, collect, format_report
    from .vendors import pick_vendors

    report = collect(paths, pick_vendors(args.vendor))
    print(as_json(report) if args.json else format_report(report))
    return EXIT_OK if all(v["fresh"] for v in report) else EXIT_STALE


def cmd_transform(args, paths) -> int:
    from . import transform
    from .errors import EXIT_OK, EXIT_TRANSFORM

    result = transform.build(paths, full_refresh=args.full_refresh, select=args.select)
    return EXIT_OK if result.ok else EXIT_TRANSFORM


def cmd_docs(args, paths) -> int:
    from .errors import EXIT_OK, EXIT_TRANSFORM
    from .transform import run_dbt

    result = run_dbt(paths, "docs generate")
    if not result.ok:
        print(f"vendorsync: error: {result.error}", file=sys.stderr)
        return EXIT_TRANSFORM
    target = paths.dbt_artifacts_dir / "target"
    print(f"dbt docs written to {target}/index.html (with catalog.json and manifest.json);\n"
          f"serve them with: .venv/bin/python -m http.server --directory {target} 8080")
    return EXIT_OK


class SandboxMissing(ValueError):
    """A usage error: the command needs the simulators, an optional part of the install."""


def require_sandbox() -> None:
    """The sandbox (simulators and their HTTP server, aiohttp) is the extra `vendorsync[sandbox]`:
    a production install syncs real vendors without it, and only `demo` and `sandbox serve`
    need it."""
    try:
        import aiohttp  # noqa: F401

        import sandbox.server  # noqa: F401
    except ImportError:
        raise SandboxMissing("the sandbox is not installed; install it with pip install 'vendorsync[sandbox]' "
                             "(make demo and make test do)") from None


def cmd_demo(args, paths) -> int:
    from .demo import run_demo
    from .lock import sync_lock

    require_sandbox()

    with sync_lock(paths.lock_anchor, "demo").acquire(wait=False):
        return run_demo(paths, args.seed, args.scale)


def cmd_sandbox(args, paths) -> int:
    if args.sandbox_command == "serve":     # the others talk to a running sandbox over HTTP
        require_sandbox()
    from sandbox.cli import run as run_sandbox

    if getattr(args, "state_file", None) == Path("data/sandbox.json"):
        args.state_file = paths.sandbox_state
    return run_sandbox(args)


COMMANDS = {"sync": cmd_sync, "reset": cmd_reset, "backfill": cmd_backfill, "status": cmd_status,
            "transform": cmd_transform, "docs": cmd_docs, "demo": cmd_demo, "sandbox": cmd_sandbox}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from dlt.common.configuration.providers.toml import TomlProviderReadException

    from .errors import EXIT_BUSY, EXIT_FAILED, EXIT_HELD, EXIT_USAGE, explain, toml_problem

    try:
        paths = resolve_paths(args.warehouse, args.destination)
        if args.warehouse and paths.destination != "duckdb":
            raise PathProblem(f"--warehouse names a DuckDB file; the {paths.destination} warehouse is "
                              f"set by destination.{paths.destination}.credentials (see the README)")
        prepare_environment(paths)
    except PathProblem as problem:
        print(f"vendorsync: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except TomlProviderReadException as problem:     # a malformed .dlt/config.toml or secrets.toml
        print(f"vendorsync: error: {toml_problem(problem)}", file=sys.stderr)
        return EXIT_USAGE
    from .logs import setup_logging

    setup_logging(args.log_format, paths.log_file, args.verbose)
    try:
        if args.command != "sandbox":
            from .warehouse import check_reachable

            check_reachable(paths)
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
        if kind == "held":
            return EXIT_HELD
        if kind in ("busy", "warehouse"):
            return EXIT_BUSY
        if kind in ("usage", "config", "auth"):
            return EXIT_USAGE
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
