"""Peak memory of every vendor's full sync at one scale and at a multiple of it. Prints one JSON object.

    .venv/bin/python benchmarks/memory_growth.py                      # medium and medium*4
    .venv/bin/python benchmarks/memory_growth.py --scale small --factor 4

The issue's target: the peak RSS grows by less than 20 % from medium to 4x medium. Each
scale is `benchmarks/run.py --phases full` in a sandbox of its own, with no added latency and
Infigo's limit raised out of the way (`--infigo-limit`): memory does not depend on the waits,
and the runs take a quarter of the time. The peak RSS of each run comes from `os.wait4`, as in
run.py.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import emit  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)


def full_sync_peaks(scale: str, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--scale", scale, "--latency-ms", "0",
               "--phases", "full", "--infigo-limit", str(args.infigo_limit), "--out", out.name]
        if args.vendors:
            cmd += ["--vendors", args.vendors]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        result = json.loads(Path(out.name).read_text())
    return {"world": result["world"],
            "full_sync": {v: {k: f[k] for k in ("wall_s", "peak_rss_mib", "rows_all_tables")}
                          for v, f in result["full_sync"].items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--vendors", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--infigo-limit", type=int, default=1_000_000, help="Infigo requests per 10 s")
    parser.add_argument("--out", default="", help="also write the JSON here")
    args = parser.parse_args()
    base, big = args.scale, f"{args.scale}*{args.factor}"
    runs = {base: full_sync_peaks(base, args), big: full_sync_peaks(big, args)}
    growth = {}
    for vendor, small in runs[base]["full_sync"].items():
        large = runs[big]["full_sync"][vendor]
        growth[vendor] = {"peak_rss_mib": [small["peak_rss_mib"], large["peak_rss_mib"]],
                          "rows": [small["rows_all_tables"], large["rows_all_tables"]],
                          "growth": round(large["peak_rss_mib"] / small["peak_rss_mib"] - 1, 3)}
    out = {"scales": [base, big], "latency_ms": 0, "runs": runs, "growth": growth,
           "targets": {"peak_rss_growth_under_20pct": {v: g["growth"] < 0.2 for v, g in growth.items()},
                       "peak_rss_under_1gib_at_base": {v: g["peak_rss_mib"][0] < 1024 for v, g in growth.items()}}}
    emit(out, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
