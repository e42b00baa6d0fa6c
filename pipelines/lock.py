"""One run at a time per warehouse: an exclusive `flock` on `<warehouse>.lock`.

The kernel drops the lock when the holder dies (even on SIGKILL), so a crash never leaves
a stale lock behind; the file only records who holds it, for the error message."""
from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path


class LockBusy(RuntimeError):
    pass


class WarehouseLock:
    def __init__(self, path: Path, command: str):
        self.path = path
        self.command = command
        self._fd: int | None = None

    def acquire(self, wait: bool = False, timeout_s: float | None = None) -> "WarehouseLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (deadline is not None and time.monotonic() > deadline):
                    holder = self._holder()
                    os.close(fd)
                    raise LockBusy(
                        f"another vendorsync run holds the warehouse {self.path.with_suffix('')} "
                        f"({holder}); it allows one run at a time. Wait for it to finish, or pass "
                        "--wait to queue behind it.") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": self.command,
                                 "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}).encode())
        self._fd = fd
        return self

    def _holder(self) -> str:
        try:
            info = json.loads(self.path.read_text() or "{}")
            return f"`{info.get('command')}` pid {info.get('pid')} since {info.get('since')}"
        except (OSError, ValueError):
            return "holder unknown"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "WarehouseLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
