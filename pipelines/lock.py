"""Locks between vendorsync runs, all `flock`s on files named after the warehouse
(`Paths.lock_anchor`: beside the DuckDB file; in `data/postgres/` for the PostgreSQL one).

- the *sync* lock: one `sync` (or demo) at a time per warehouse;
- a *vendor* lock: held while a vendor is being loaded (by a sync's vendor thread, or by a
  backfill for its whole duration), so a sync skips a vendor a backfill is working on;
- the *write* lock: held for every write into the warehouse (a load, the ledger, dbt):
  DuckDB takes one writer at a time, across processes.

The kernel drops a lock when its holder dies, even on SIGKILL, so a crash never leaves a
stale lock; the file only records who holds it, for the error message.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


class LockBusy(RuntimeError):
    def __init__(self, message: str, holder: dict):
        super().__init__(message)
        self.holder = holder


class FileLock:
    def __init__(self, path: Path, purpose: str, what: str, hint: str = ""):
        self.path = path
        self.purpose = purpose          # recorded for whoever finds the lock taken
        self.what = what                # what the lock protects, for messages
        self.hint = hint                # what to do about it
        self._fd: int | None = None

    def acquire(self, wait: bool = False, timeout_s: float | None = None) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    holder = self.holder()
                    os.close(fd)
                    raise LockBusy(f"{self.what} is busy: {describe(holder)}. {self.hint}".strip(),
                                   holder) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "purpose": self.purpose,
                                 "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}).encode())
        self._fd = fd
        return self

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def describe(holder: dict) -> str:
    if not holder:
        return "held by another vendorsync process"
    return f"`{holder.get('purpose')}` (pid {holder.get('pid')}) has held it since {holder.get('since')}"


def _lock_path(warehouse: Path, name: str) -> Path:
    return warehouse.with_name(f"{warehouse.name}.{name}.lock")


def sync_lock(warehouse: Path, purpose: str) -> FileLock:
    return FileLock(_lock_path(warehouse, "sync"), purpose, f"the warehouse {warehouse.name} (one sync at a time)",
                    "Wait for that run to finish, or pass --wait to queue behind it.")


def vendor_lock(warehouse: Path, vendor: str, purpose: str) -> FileLock:
    return FileLock(_lock_path(warehouse, f"vendor-{vendor}"), purpose, f"vendor {vendor}",
                    "A backfill of the vendor runs to completion first; rerun when it is done.")


@contextmanager
def write_lock(warehouse: Path, purpose: str = "write") -> Iterator[None]:
    """Hold for every write into the warehouse; waits for the current writer, then (DuckDB)
    for a brief outside holder of the file (`holders.GRACE_S`), and raises `WarehouseHeld`
    naming it when it stays."""
    from .holders import GRACE_S, wait_until_free

    lock = FileLock(_lock_path(warehouse, "write"), purpose, "the warehouse writer").acquire(wait=True)
    try:
        if warehouse.is_file():         # a DuckDB warehouse (the PostgreSQL anchor is no file)
            wait_until_free(warehouse, GRACE_S, purpose)
        yield
    finally:
        lock.release()
