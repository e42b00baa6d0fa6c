"""Dagster definitions for vendorsync: a sync job every 15 minutes and a daily freshness check.

Load with `dagster dev -m pipelines.orchestrators.dagster_defs` (install `.[orchestration]`).
Each op runs the `vendorsync` command in a child process, so the CLI's warehouse locks,
run ledger and exit codes apply unchanged; exit code 3 (some vendors failed) fails the op
with the CLI's summary attached, and 4 (another vendorsync run holds the warehouse) is a skip,
not an error. 7 (a program outside vendorsync, such as an analyst's DuckDB session, held the
warehouse file past the sync's --wait-timeout; nothing was loaded) fails the op and names that
process, like every other non-zero code.
"""

import os
import subprocess
import sys

from dagster import Definitions, Failure, In, MetadataValue, Nothing, OpExecutionContext, ScheduleDefinition, job, op

EXIT_BUSY = 4
EXIT_HELD = 7
#: how long a sync waits for an outside holder of the DuckDB file (within the 15-minute schedule)
WAIT_TIMEOUT_S = "600"


def run_vendorsync(context: OpExecutionContext, *args: str) -> str:
    cmd = [sys.executable, "-m", "pipelines.cli", "--log-format", "json", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    for line in proc.stderr.splitlines():
        context.log.info(line)
    if proc.returncode == EXIT_BUSY:
        context.log.warning("another vendorsync run holds the warehouse; skipping this tick")
        return proc.stdout
    if proc.returncode != 0:
        why = ""
        if proc.returncode == EXIT_HELD:
            why = ": another program held the warehouse file (" + \
                  next((ln for ln in reversed(proc.stderr.splitlines()) if "held by" in ln), "see the log") + ")"
        raise Failure(description=f"vendorsync {' '.join(args)} exited with {proc.returncode}{why}",
                      metadata={"summary": MetadataValue.text(proc.stdout[-4000:]),
                                "stderr": MetadataValue.text(proc.stderr[-4000:])})
    return proc.stdout


@op(description="Load new and changed records from every vendor, then dbt build.")
def sync_all_vendors(context: OpExecutionContext) -> None:
    context.log.info(run_vendorsync(context, "sync", "--wait", "--wait-timeout", WAIT_TIMEOUT_S))


@op(ins={"after": In(Nothing)}, description="Fail when a vendor's data is older than its threshold.")
def check_freshness(context: OpExecutionContext) -> None:
    context.log.info(run_vendorsync(context, "status"))


@job(description="Scheduled vendorsync sync")
def vendorsync_sync():
    sync_all_vendors()


@job(description="vendorsync freshness check (alerts through Dagster when stale)")
def vendorsync_freshness():
    check_freshness()


defs = Definitions(
    jobs=[vendorsync_sync, vendorsync_freshness],
    schedules=[
        ScheduleDefinition(job=vendorsync_sync, cron_schedule="*/15 * * * *", execution_timezone="UTC"),
        ScheduleDefinition(job=vendorsync_freshness, cron_schedule="0 7 * * *", execution_timezone="UTC"),
    ],
)
