"""Logging for the CLI: human text or one JSON object per line (`--log-format json`) on
stderr, full detail in data/logs/vendorsync.log; secrets scrubbed from every record."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

from sources.common.redact import RedactingFilter

log = logging.getLogger("vendorsync")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
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


def event(message: str, *args: object, level: int = logging.INFO, **fields: object) -> None:
    """A log line that also carries structured fields in JSON mode."""
    log.log(level, message, *args, extra={"fields": fields})
