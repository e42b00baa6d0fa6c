"""Command line of the sandbox, shared by `python -m sandbox` and `vendorsync sandbox`."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from .client import ControlClient, SandboxError, read_state
from .faults import FaultSpec
from .scale import SCALES

DEFAULT_STATE_FILE = Path("data/sandbox.json")
DEFAULT_PORT_BASE = 8790


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sandbox_command", required=True)
    serve = sub.add_parser("serve", help="run the vendor simulators in the foreground")
    serve.add_argument("--seed", type=int, default=42)
    serve.add_argument("--scale", default="small",
                       help=f"one of {', '.join(SCALES)}, or a multiple such as 'medium*4'")
    serve.add_argument("--vendors", default="", help="comma-separated subset (default: all)")
    serve.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE,
                       help="control on this port, vendors on the next ones; 0 = any free ports")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added to every vendor response")
    serve.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    advance = sub.add_parser("advance", help="move the running sandbox's clock on")
    advance.add_argument("--days", type=float, default=1.0)
    advance.add_argument("--hours", type=float, default=0.0)
    advance.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)
    truth = sub.add_parser("truth", help="print what a vendor really holds (JSON)")
    truth.add_argument("vendor")
    truth.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)


def run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "serve":
        from .server import serve_forever  # aiohttp only where it is needed

        logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
        serve_forever(seed=args.seed, scale=args.scale,
                      vendors=[v for v in args.vendors.split(",") if v] or None,
                      port_base=args.port_base, faults=FaultSpec(latency_ms=args.latency_ms),
                      state_file=args.state_file)
        return 0
    control = ControlClient(read_state(args.state_file)["control_url"])
    if args.sandbox_command == "advance":
        print(f"sandbox clock now {control.advance(days=args.days, hours=args.hours)}")
    elif args.sandbox_command == "truth":
        print(json.dumps(control.truth(args.vendor), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (SandboxError, ValueError) as exc:
        print(f"sandbox: {exc}")
        return 2
