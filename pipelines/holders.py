"""Who else has the DuckDB warehouse file open, and waiting them out.

DuckDB takes one writer, and any connection from another process (even a read-only analyst
session) keeps a writer out. vendorsync's own runs take turns through `pipelines.lock`, so a
holder DuckDB reports is a program outside those locks: a notebook, a BI tool, a stray dbt.
DuckDB's lock error names its PID; we add its command line (from /proc, when readable) so
the operator knows what to close.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.common.redact import redact

from .logs import event

#: how long any write waits for a brief holder (a `vendorsync status`, a short query)
#: before it gives up; `sync --wait` waits longer (`--wait-timeout`)
GRACE_S = 10.0
#: `sync --wait`: how long to wait for a DuckDB holder by default
#: (`[vendorsync] wait_timeout_seconds` or `sync --wait-timeout`)
DEFAULT_WAIT_TIMEOUT_S = 1800.0
_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")
_REPORT_EVERY_S = 60.0


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str | None

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        return f"pid {self.pid}" + (f" ({self.command})" if self.command else "")


class WarehouseHeld(RuntimeError):
    """The DuckDB file is held by a process outside vendorsync's locks (exit code 7)."""

    def __init__(self, warehouse: Path, holder: Holder, waited_s: float):
        waited = f" after waiting {waited_s:.0f}s" if waited_s >= 1 else ""
        super().__init__(
            f"the warehouse {warehouse.name} is held by {holder.describe()}{waited}: DuckDB allows no writer "
            "while another process has the file open, even read-only. Close that connection (analysts: "
            "open the file read-only and briefly), or run `vendorsync sync --wait` to wait for it.")
        self.holder = holder


def command_line(pid: int) -> str | None:
    """The process's command line from /proc (Linux), secrets scrubbed, or None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return redact(text)[:200] or None


def holder_in(message: str) -> Holder | None:
    """The holder named by a DuckDB lock error, or None when `message` is not one."""
    if "Could not set lock on file" not in message and "Conflicting lock" not in message:
        return None
    match = _HOLDER.search(message)
    pid = int(match.group("pid")) if match else None
    return Holder(pid, command_line(pid) if pid else None)


def _lock_holder(warehouse: Path) -> int | None:
    """The pid of a process holding a POSIX lock on the file (DuckDB locks its file with
    fcntl: readers shared, the writer exclusive), 0 when none; None when this system cannot
    say. A few microseconds, where opening the database takes tens of milliseconds."""
    layout = "hhqqi4x"                  # struct flock on 64-bit Linux: type, whence, start, len, pid
    try:
        fd = os.open(warehouse, os.O_RDONLY)
    except OSError:
        return None
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
        kind, _, _, _, pid = struct.unpack(layout, answer)
    except (OSError, struct.error):
        return None
    finally:
        os.close(fd)
    return 0 if kind == fcntl.F_UNLCK else pid


def probe(warehouse: Path) -> Holder | None:
    """Who keeps a writer out of `warehouse` right now (None: nobody, or no file yet)."""
    if not warehouse.is_file():
        return None
    if sys.platform == "linux":
        pid = _lock_holder(warehouse)
        if pid == 0:
            return None
        if pid:
            return Holder(pid, command_line(pid))
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as exc:
        holder = holder_in(str(exc))
        if holder is None:
            raise
        return holder
    except duckdb.ConnectionException:      # open in this very process, with other settings: ours
        return None
    return None


def wait_until_free(warehouse: Path, timeout_s: float, purpose: str = "write") -> None:
    """Return once no other process holds `warehouse`, saying whom it waits for; raise
    WarehouseHeld after `timeout_s`."""
    started = time.monotonic()
    reported = None
    while True:
        holder = probe(warehouse)
        if holder is None:
            return
        waited = time.monotonic() - started
        if waited >= timeout_s:
            raise WarehouseHeld(warehouse, holder, waited)
        if reported is None or time.monotonic() - reported >= _REPORT_EVERY_S:
            event("%s: waiting for %s to close the warehouse %s (up to %.0fs more)", purpose,
                  holder.describe(), warehouse.name, timeout_s - waited, level=logging.WARNING,
                  holder_pid=holder.pid, holder_command=holder.command)
            reported = time.monotonic()
        time.sleep(min(0.5, max(0.05, timeout_s - waited)))
