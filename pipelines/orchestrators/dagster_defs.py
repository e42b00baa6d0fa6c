"""Dagster definitions for vendorsync: a sync job every 15 minutes and a daily freshness check.

Load with `dagster dev -m pipelines.orchestrators.dagster_defs` (install `.[orchestration]`).
Each op runs the `vendorsync` command in a child process, so the CLI's warehouse locks,
run ledger and exit codes apply unchanged; exit code 3 (some vendors failed) fails the op
with the CLI's summary attached, and 4 (another run holds the warehouse) is a skip, not an error.
"""

import os
import subprocess
import sys

from dagster import (Definitions, Failure, In, MetadataValue, Nothing, OpExecutionContext,
                     ScheduleDefinition, job, op)

EXIT_BUSY = 4


def run_vendorsync(context: OpExecutionContext, *args: str) -> str:
    cmd = [sys.executable, "-m", "pipelines.cli", "--log-format", "json", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    for line in proc.stderr.splitlines():
        context.log.info(line)
    if proc.returncode == EXIT_BUSY:
        context.log.warning("another vendorsync run holds the warehouse; skipping this tick")
        return proc.stdout
    if proc.returncode != 0:
        raise Failure(description=f"vendorsync {' '.join(args)} exited with {proc.returncode}",
                      metadata={"summary": MetadataValue.text(proc.stdout[-4000:])})
    return proc.stdout


@op(description="Load new and changed records from every vendor, then dbt build.")
def sync_all_vendors(context: OpExecutionContext) -> None:
    context.log.info(run_vendorsync(context, "sync", "--wait"))


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
