"""`dbt build` of the marts with the project's own profiles.yml (dlt's built-in dbt runner
would use a default profile that downloads DuckDB extensions). The dbt target is the run's
destination (profiles.yml has one output per warehouse), its connection handed over in the
child's environment. dbt's target and log folders go under data/, so a build never writes
into the source tree."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from sources.common.redact import redact

from .lock import write_lock
from .warehouse import postgres_credentials, query
from .logs import event
from .settings import Paths

log = logging.getLogger("vendorsync.dbt")


@dataclass
class DbtResult:
    ok: bool
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)     # status -> nodes
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    warned_relations: list[str] = field(default_factory=list)  # stored failures of warning tests


def dbt_args(paths: Paths, command: str, *extra: str) -> list[str]:
    """`command` may be several words (`source freshness`, `docs generate`)."""
    return [*command.split(), "--project-dir", str(paths.dbt_project_dir), "--profiles-dir",
            str(paths.dbt_project_dir), "--target-path", str(paths.dbt_artifacts_dir / "target"),
            "--log-path", str(paths.dbt_artifacts_dir / "logs"), *extra]


def dbt_environment(paths: Paths) -> dict[str, str]:
    """What profiles.yml reads: the target, and the warehouse it connects to. The password
    goes in a DBT_ENV_SECRET_ variable, which dbt scrubs from its own logs."""
    env = {"VENDORSYNC_DBT_TARGET": paths.destination, "VENDORSYNC_WAREHOUSE": str(paths.warehouse)}
    if paths.destination == "postgres":
        c = postgres_credentials()
        env.update({"VENDORSYNC_PG_HOST": str(c.host), "VENDORSYNC_PG_PORT": str(c.port),
                    "VENDORSYNC_PG_USER": str(c.username), "VENDORSYNC_PG_DATABASE": str(c.database),
                    "VENDORSYNC_PG_SSLMODE": str((c.query or {}).get("sslmode", "prefer")),
                    "VENDORSYNC_PG_CONNECT_TIMEOUT": str(c.connect_timeout),
                    "DBT_ENV_SECRET_VENDORSYNC_PG_PASSWORD": str(c.password or "")})
    return env


def run_dbt(paths: Paths, command: str = "build", *extra: str) -> DbtResult:
    """Run dbt in a child process (its adapter would otherwise keep the warehouse open in
    ours) and read the outcome from run_results.json."""
    target = paths.dbt_artifacts_dir / "target"
    results_file = target / ("sources.json" if command == "source freshness" else "run_results.json")
    results_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "dbt.cli.main", "--no-use-colors", "--quiet", *dbt_args(paths, command, *extra)]
    started = time.monotonic()
    with write_lock(paths.lock_anchor, f"dbt {command}"):
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **dbt_environment(paths)})
    seconds = time.monotonic() - started
    counts: dict[str, int] = {}
    failures: list[str] = []
    warned: list[str] = []
    if results_file.exists():
        for r in json.loads(results_file.read_text()).get("results", []):
            status = r.get("status", "unknown")
            counts[status] = counts.get(status, 0) + 1
            if status in ("error", "fail"):
                node = r.get("unique_id", "?").split(".", 2)
                failures.append(f"{node[0]} {node[-1]}: {redact((r.get('message') or '').strip())[:200]}")
            if status == "warn" and r.get("relation_name"):
                warned.append(r["relation_name"])
    ok = proc.returncode == 0
    error = None
    if not ok:
        tail = redact((proc.stdout + proc.stderr).strip().splitlines()[-1:] and
                      " ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:]))
        error = f"dbt {command} failed: " + ("; ".join(failures[:5]) if failures else tail or
                                             "see data/dbt/logs/dbt.log")
    log.debug("dbt output:\n%s", redact(proc.stdout + proc.stderr))
    return DbtResult(ok, seconds, counts, failures, error, warned)


def build(paths: Paths, full_refresh: bool = False, select: str | None = None) -> DbtResult:
    extra = ["--full-refresh"] if full_refresh else []
    if select:
        extra += ["--select", select]
    event("dbt build%s ...", " --full-refresh" if full_refresh else "")
    result = run_dbt(paths, "build", *extra)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
    if result.ok:
        event("dbt build passed in %.1fs (%s)", result.seconds, summary, status="success",
              seconds=round(result.seconds, 1), counts=result.counts)
    else:
        event("dbt build FAILED in %.1fs (%s)", result.seconds, summary, level=logging.ERROR,
              status="failed", failures=result.failures)
        for failure in result.failures[:20]:
            log.error("  %s", failure)
    for warning in warnings(paths, result):
        event("dbt warning: %s", warning, level=logging.WARNING, warning=warning)
    return result


def warnings(paths: Paths, result: DbtResult) -> list[str]:
    """The rows stored by warning tests, one line each (e.g. the unmapped vendor statuses)."""
    lines = []
    for relation in result.warned_relations:
        rows = query(paths, f"select * from {relation} limit 20")
        name = relation.replace('"', "").split(".")[-1]
        for row in rows:
            lines.append(f"{name}: " + ", ".join(str(v) for v in row))
    if any(r.startswith("unmapped_vendor_statuses") for r in lines):
        lines.append("map these statuses in dbt_project/seeds/status_map.csv, then run `vendorsync transform`")
    return lines
