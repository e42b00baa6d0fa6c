"""Logging for the CLI: human text or one JSON object per line (`--log-format json`) on
stderr, full detail in data/logs/vendorsync.log; secrets scrubbed from every record."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

from sources.common.redact import RedactingFilter, redact

log = logging.getLogger("vendorsync")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_text:                         # already scrubbed by RedactingFilter
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """The terminal gets the message only: tracebacks go to the log file, never the console."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def setup_logging(fmt: str, log_file: Path, verbose: bool = False) -> None:
    redactor = RedactingFilter()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    console.setFormatter(ConsoleFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(message)s")))
    console.addFilter(redactor)
    handlers: list[logging.Handler] = [console]
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(JsonFormatter())
        file_handler.addFilter(redactor)
        handlers.append(file_handler)
    except OSError:
        pass  # a read-only data dir must not stop the run; the console still logs
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.DEBUG)
    for h in handlers:
        root.addHandler(h)
    # libraries speak only when it matters
    for noisy in ("urllib3", "dlt", "dbt", "sqlglot", "asyncio", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("vendorsync.http").setLevel(logging.INFO if verbose else logging.WARNING)
    redact_dlt_traces()


class TraceRedaction:
    """A dlt tracking module (`dlt.pipeline.trace.TRACKING_MODULES`, the hook dlt's own
    telemetry uses): scrubs each step's trace before dlt pickles it into the pipeline folder,
    where the resolved config values (a base URL with a password in it) and the step's
    exception messages would otherwise be kept."""

    def on_start_trace(self, trace, step, pipeline) -> None:
        pass

    def on_start_trace_step(self, trace, step, pipeline) -> None:
        pass

    def on_end_trace_step(self, trace, step, pipeline, step_info, send_state) -> None:
        scrub_trace(trace)

    def on_end_trace(self, trace, pipeline, send_state) -> None:
        scrub_trace(trace)


def scrub_trace(trace) -> None:
    def clean(value):
        return redact(value) if isinstance(value, str) else value

    trace.resolved_config_values[:] = [
        v._replace(value=clean(v.value), default_value=clean(v.default_value))
        for v in trace.resolved_config_values or []]
    for i, step in enumerate(trace.steps or []):
        traces = [{**t, "message": clean(t.get("message")),
                   "stack_trace": [clean(line) for line in t.get("stack_trace") or []],
                   "exception_attrs": {k: clean(v) for k, v in (t.get("exception_attrs") or {}).items()}}
                  for t in step.exception_traces or []]
        trace.steps[i] = step._replace(step_exception=clean(step.step_exception),
                                       exception_traces=traces or step.exception_traces)


def redact_dlt_traces() -> None:
    """Install `TraceRedaction` once in this process."""
    from dlt.pipeline import trace

    if not any(isinstance(m, TraceRedaction) for m in trace.TRACKING_MODULES):
        trace.TRACKING_MODULES.append(TraceRedaction())


def event(message: str, *args: object, level: int = logging.INFO, **fields: object) -> None:
    """A log line that also carries structured fields in JSON mode."""
    log.log(level, message, *args, extra={"fields": fields})
