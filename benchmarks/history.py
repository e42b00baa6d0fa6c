"""A first sync in history slices, as a new user meets it. Prints one JSON object.

    .venv/bin/python benchmarks/history.py --scale medium --latency-ms 50 > benchmarks/results/history.json
    .venv/bin/python benchmarks/history.py --scale small --vendors shirtigo      # a few minutes

Starts a sandbox (`--scale`, `--latency-ms` added to every response) and runs the real CLI as
child processes against throw-away data folders, per vendor:

- `present`: a first `vendorsync sync --vendor V` (present, marts, then the whole history) into
  an empty warehouse: the time until the marts first hold the recent days (the first "dbt build
  passed" in its JSON log) next to the whole sync, their ratio, the slices, the peak RSS, and
  whether the marts equal the sandbox's truth at the end;
- `kill`: the same first sync SIGKILLed while its `--kill-slice`-th history slice is being
  fetched (`VENDORSYNC_CRASH_DURING=slice-extract:<s>@<n>`), then run again: the requests the
  second run repeats (the same method, path and query as one made before the kill: a multiset
  intersection of the sandbox's request logs) ÷ the requests made before the kill. Infigo runs at
  its documented rate limit here (the sandbox's default), as a user meets it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from run import Run, emit, marts_match  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

sys.path.insert(0, str(ROOT))


class HistoryBench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="vendorsync-history-bench-"))
        project = self.tmp / "project"
        (project / ".dlt").mkdir(parents=True)
        shutil.copy(ROOT / ".dlt" / "config.toml", project / ".dlt" / "config.toml")   # no local secrets
        self.base_env = {**os.environ, "VENDORSYNC_PROJECT_DIR": str(ROOT), "DLT_PROJECT_DIR": str(project),
                         "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": str(ROOT)}
        self.source_env: dict[str, str] = {}

    def cli(self, data: Path, *argv: str, label: str, extra: dict | None = None) -> Run:
        env = {**self.base_env, **self.source_env, "VENDORSYNC_DATA_DIR": str(data), **(extra or {})}
        return Run([sys.executable, "-m", "pipelines.cli", "--log-format", "json", *argv], env, label=label)

    def run(self) -> dict:
        from pipelines.vendors import pick_vendors
        from sandbox.client import SandboxProcess

        a = self.args
        vendors = [v.name for v in pick_vendors(a.vendors.split(",") if a.vendors else None)]
        out: dict = {"scale": a.scale, "latency_ms": a.latency_ms, "cores": os.cpu_count(), "vendors": vendors,
                     "recent_days": a.recent_days, "slice_rows": a.slice_rows, "present": {}, "kill": {}}
        self.base_env.update({"VENDORSYNC__HISTORY_RECENT_DAYS": str(a.recent_days),
                              "VENDORSYNC__HISTORY_SLICE_ROWS": str(a.slice_rows)})
        with SandboxProcess(seed=a.seed, scale=a.scale, vendors=vendors, latency_ms=a.latency_ms,
                            startup_timeout_s=1800) as sb:
            self.sb = sb
            for name, info in sb.state["vendors"].items():
                prefix = f"SOURCES__{name.upper()}__"
                self.source_env[prefix + "BASE_URL"] = info["base_url"]
                for key, value in info["credentials"].items():
                    self.source_env[prefix + key.upper()] = str(value)
            sb.control.set_request_log(True)
            for vendor in vendors:
                if "present" in a.phases:
                    out["present"][vendor] = self.present(vendor)
                if "kill" in a.phases:
                    out["kill"][vendor] = self.kill(vendor)
        shutil.rmtree(self.tmp, ignore_errors=True)
        out["targets"] = {
            "present_over_whole_at_most_0.1": {v: f["present_over_whole"] <= 0.1 for v, f in out["present"].items()},
            "repeated_over_before_at_most_0.25": {v: f["repeated_over_before"] <= 0.25
                                                  for v, f in out["kill"].items() if "repeated_over_before" in f}}
        return out

    def present(self, vendor: str) -> dict:
        data = self.tmp / f"present-{vendor}"
        self.sb.control.reset_stats()
        started = datetime.now(timezone.utc)
        run = self.cli(data, "sync", "--vendor", vendor, label=f"{vendor}-present").check()
        events = [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]
        built = [datetime.fromisoformat(e["ts"]) for e in events if "dbt build passed" in e.get("msg", "")]
        slices = [e for e in events if "history" in e.get("msg", "") and "loaded" in e.get("msg", "")]
        whole = run.wall_s
        first_marts = (built[0] - started).total_seconds() if built else None
        print(f"benchmark: {vendor} first sync {whole:.1f}s, present in the marts after {first_marts}s",
              file=sys.stderr, flush=True)
        return {"whole_s": round(whole, 1), "present_in_marts_s": round(first_marts, 1) if first_marts else None,
                "present_over_whole": round(first_marts / whole, 3) if first_marts and whole else None,
                "marts_builds": len(built), "slices": len(slices), "requests": self.sb.control.stats()[vendor]["requests"],
                "peak_rss_mib": round(run.peak_rss_mib, 1),
                "marts_match": marts_match(data / "warehouse.duckdb", {vendor: self.sb.control.truth(vendor)})[vendor]}

    def kill(self, vendor: str) -> dict:
        a, sb = self.args, self.sb
        data = self.tmp / f"kill-{vendor}"
        if vendor == "infigo" and a.infigo_limit:
            sb.control.configure("infigo", rate_limit_per_window=a.infigo_limit)
            self.source_env["SOURCES__INFIGO__RATE_LIMIT_PER_WINDOW"] = str(a.infigo_limit)
        limits = sb.control.configure(vendor) if vendor == "infigo" else None
        sb.control.reset_stats()                # (also empties the request log)
        killed = self.cli(data, "sync", "--vendor", vendor, "--no-transform", label=f"{vendor}-killed",
                          extra={"VENDORSYNC_CRASH_DURING": f"slice-extract:{a.kill_after_s}@{a.kill_slice}"})
        before = self._logged(vendor)
        if killed.returncode != -9:
            return {"error": f"the run was not killed (exit {killed.returncode}): too few slices at this scale",
                    "requests": sum(before.values())}
        sb.control.reset_stats()
        again = self.cli(data, "sync", "--vendor", vendor, "--no-transform", label=f"{vendor}-resumed").check()
        after = self._logged(vendor)
        repeated = before & after
        made = sum(before.values())
        print(f"benchmark: {vendor} killed after {made} requests; the next run repeated {sum(repeated.values())}",
              file=sys.stderr, flush=True)
        by_path: Counter = Counter()
        for key, n in repeated.items():
            by_path[key.split("?")[0]] += n
        return {"requests_before_kill": made, "requests_after": sum(after.values()),
                "repeated": sum(repeated.values()),
                "repeated_over_before": round(sum(repeated.values()) / made, 3) if made else None,
                "killed_after_s": round(killed.wall_s, 1), "resumed_s": round(again.wall_s, 1),
                "peak_rss_mib": [round(killed.peak_rss_mib, 1), round(again.peak_rss_mib, 1)],
                "rate_limit": f"{limits['rate_limit_per_window']} per {limits['rate_limit_window_s']:g} s"
                if limits else None,
                "repeated_by_path": dict(by_path.most_common(6))}

    def _logged(self, vendor: str) -> Counter:
        """The vendor's requests since the last stats reset, as a multiset of method + path and query."""
        return Counter(f"{e['method']} {e['path_qs']}" for e in self.sb.control.request_log(vendor))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--vendors", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--phases", default="present,kill")
    parser.add_argument("--recent-days", type=float, default=30)
    parser.add_argument("--slice-rows", type=int, default=20000)
    parser.add_argument("--kill-slice", type=int, default=2, help="kill while this history slice is fetched")
    parser.add_argument("--kill-after-s", type=float, default=1.0, help="seconds into that slice's fetch")
    parser.add_argument("--infigo-limit", type=int, default=0,
                        help="Infigo requests per 10 s for the kill (default: the documented limit)")
    parser.add_argument("--out", default="", help="also write the JSON here")
    args = parser.parse_args()
    emit(HistoryBench(args).run(), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
