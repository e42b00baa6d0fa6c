"""Deliberate crash points for the reliability tests (never set in production).

With `VENDORSYNC_CRASH_DURING=<step>:<seconds>` (step: extract, normalize or load; a history
slice's are slice-extract, ...) a vendor run SIGKILLs its own process that many seconds into
that step, the way an OOM killer or a lost machine would: no cleanup, no exception handlers,
no flushing. `<step>:<seconds>@<n>` arms only the n-th time the process enters the step (the
third slice, say).
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "VENDORSYNC_CRASH_DURING"
_entered: dict[str, int] = {}       # test instrumentation only: times each step was entered
_entered_lock = threading.Lock()


@contextmanager
def crash_point(step: str) -> Iterator[None]:
    armed = os.environ.get(ENV, "")
    name, _, when = armed.partition(":")
    delay, _, nth = when.partition("@")
    if name != step:
        yield
        return
    with _entered_lock:
        _entered[step] = _entered.get(step, 0) + 1
        count = _entered[step]
    if nth and count != int(nth):
        yield
        return
    timer = threading.Timer(float(delay or 0), os.kill, args=(os.getpid(), signal.SIGKILL))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
