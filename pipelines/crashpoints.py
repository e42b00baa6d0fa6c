"""Deliberate crash points for the reliability tests (never set in production).

With `VENDORSYNC_CRASH_DURING=<step>:<seconds>` (step: extract, normalize or load) a vendor
run SIGKILLs its own process that many seconds into that step, the way an OOM killer or a
lost machine would: no cleanup, no exception handlers, no flushing.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "VENDORSYNC_CRASH_DURING"


@contextmanager
def crash_point(step: str) -> Iterator[None]:
    armed = os.environ.get(ENV, "")
    name, _, delay = armed.partition(":")
    if name != step:
        yield
        return
    timer = threading.Timer(float(delay or 0), os.kill, args=(os.getpid(), signal.SIGKILL))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
