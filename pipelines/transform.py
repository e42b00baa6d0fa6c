"""`dbt build` of the marts with the project's own profiles.yml (dlt's built-in dbt runner
would use a default profile that downloads DuckDB extensions). The dbt target is the run's
destination (profiles.yml has one output per warehouse), its connection handed over in the
child's environment. dbt's target and log folders go under data/, so a build never writes
into the source tree."""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from sources.common.redact import redact

from .lock import write_lock
from .logs import event
from .settings import Paths
from .warehouse import postgres_credentials, query

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


def _die_with_parent(parent: int):
    """For the dbt child, between fork and exec: the kernel sends it SIGKILL when vendorsync
    dies, however it dies (SIGKILL included; Linux `prctl(PR_SET_PDEATHSIG)`), so a killed run
    never leaves dbt behind holding the warehouse. Elsewhere, its own process group lets
    `subprocess.run` kill it on any exception of ours."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:          # vendorsync died before the line above
            os._exit(1)
    return arm


PR_SET_PDEATHSIG = 1


def run_dbt(paths: Paths, command: str = "build", *extra: str) -> DbtResult:
    """Run dbt in a child process (its adapter would otherwise keep the warehouse open in
    ours) that dies with ours, and read the outcome from run_results.json."""
    target = paths.dbt_artifacts_dir / "target"
    results_file = target / ("sources.json" if command == "source freshness" else "run_results.json")
    results_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "dbt.cli.main", "--no-use-colors", "--quiet", *dbt_args(paths, command, *extra)]
    started = time.monotonic()
    with write_lock(paths.lock_anchor, f"dbt {command}"):
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **dbt_environment(paths)},
                              process_group=0, preexec_fn=_die_with_parent(os.getpid()))
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
        said = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
        tail = redact(" ".join(said[-3:]))[:600]
        if failures:
            reason = "; ".join(failures[:5]) + (f" (and {len(failures) - 5} more)" if len(failures) > 5 else "")
        elif proc.returncode < 0:
            reason = f"dbt was killed by signal {-proc.returncode}"
        else:
            reason = tail or f"dbt exited with {proc.returncode} and said nothing"
        error = f"dbt {command} failed: {reason} (full output: {paths.dbt_artifacts_dir / 'logs' / 'dbt.log'})"
    log.debug("dbt output:\n%s", redact(proc.stdout + proc.stderr))
    return DbtResult(ok, seconds, counts, failures, error, warned)


def build(paths: Paths, full_refresh: bool = False, select: str | None = None) -> DbtResult:
    extra = ["--full-refresh"] if full_refresh else []
    if select:
        extra += ["--select", select]
    event("dbt build%s ...", " --full-refresh" if full_refresh else "")
    result = run_dbt(paths, "build", *extra)
    if result.ok and select and not result.counts:       # dbt only warns and exits 0
        result.ok = False
        result.error = (f"dbt build failed: --select {select!r} matches no model, test or seed of "
                        f"{paths.dbt_project_dir.name}/; check the names (e.g. fct_orders, marts.*, tag:...)")
    summary = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items())) or "no node ran"
    if result.ok:
        event("dbt build passed in %.1fs (%s)", result.seconds, summary, status="success",
              seconds=round(result.seconds, 1), counts=result.counts)
    else:
        event("dbt build FAILED in %.1fs (%s): %s", result.seconds, summary,
              (result.error or "").removeprefix("dbt build failed: "), level=logging.ERROR,
              status="failed", failures=result.failures, error=result.error)
        for failure in result.failures[5:20]:         # the first five are in the error
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
