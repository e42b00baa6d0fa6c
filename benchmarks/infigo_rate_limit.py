"""Full Infigo sync at the documented rate limit: how close to the allowed rate it runs and how
often it is throttled. Prints one JSON object.

    .venv/bin/python benchmarks/infigo_rate_limit.py [--scale 'tiny*4'] [--seed 3] [--latency-ms 0]

Runs a sandbox with only Infigo at its default limit (50 requests per rolling 10 s), syncs every
resource into a throw-away warehouse with the source's default settings, and reads the request
count, the 429s and the first/last request times from the sandbox's own statistics.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tiny*4", help="sandbox scale (tiny*4: a few hundred orders)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()

    from sandbox.client import SandboxProcess

    tmp = Path(tempfile.mkdtemp(prefix="infigo-bench-"))
    os.environ.update({"VENDORSYNC_DATA_DIR": str(tmp), "RUNTIME__DLTHUB_TELEMETRY": "false",
                       "DLT_PROJECT_DIR": str(ROOT)})
    from pipelines.settings import prepare_environment, resolve_paths

    paths = resolve_paths(tmp / "warehouse.duckdb")
    prepare_environment(paths)
    with SandboxProcess(seed=args.seed, scale=args.scale, vendors=["infigo"], latency_ms=args.latency_ms) as sb:
        info = sb.vendor("infigo")
        os.environ["SOURCES__INFIGO__BASE_URL"] = info["base_url"]
        os.environ["SOURCES__INFIGO__API_TOKEN"] = info["credentials"]["api_token"]
        limits = sb.control.configure("infigo")
        truth = sb.control.truth("infigo")
        from pipelines.runner import run_vendor
        from pipelines.vendors import VENDORS

        started = time.monotonic()
        result = run_vendor(VENDORS["infigo"], paths)
        wall = time.monotonic() - started
        stats = sb.control.stats()["infigo"]
    limit, window = limits["rate_limit_per_window"], limits["rate_limit_window_s"]
    span = stats["last_request_at"] - stats["first_request_at"]
    requests_ = stats["requests"]
    allowed_in_span = limit * (math.floor(span / window) + 1)    # a fresh rolling window allows a burst
    throttled = stats["statuses"].get("429", 0)
    print(json.dumps({
        "ok": result.ok, "error": result.error, "scale": args.scale, "seed": args.seed,
        "latency_ms": args.latency_ms, "orders": truth["orders"]["count"], "lines": truth["orders"]["lines"],
        "customers": truth["customers"]["count"], "rows_loaded": result.rows,
        "requests": requests_, "requests_by_resource": {r: m["requests"] for r, m in result.requests.items()},
        "http_429": throttled, "http_429_share": round(throttled / requests_, 4),
        "limit": f"{limit} per {window:g} s", "allowed_rate_per_s": limit / window,
        "request_span_s": round(span, 2), "sync_wall_s": round(wall, 2),
        "achieved_rate_per_s": round((requests_ - 1) / span, 3),
        "achieved_vs_allowed_rate": round((requests_ - 1) / span / (limit / window), 3),
        "achieved_vs_most_possible_in_span": round(requests_ / allowed_in_span, 3),
        "rate_over_whole_sync_per_s": round(requests_ / wall, 3),
    }, indent=2))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
