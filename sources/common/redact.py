"""Secrets never reach a log line, an error message or the run ledger.

Every credential a source loads is registered here; `redact` replaces each registered value
(and its common encodings) in any text, and `RedactingFilter` applies it to every log record.
"""
from __future__ import annotations

import base64
import logging
import threading
from urllib.parse import quote, quote_plus

_lock = threading.Lock()
_secrets: set[str] = set()
MASK = "***"


def register_secret(value: object) -> None:
    text = str(value or "")
    if len(text) < 4:          # too short to scrub without destroying ordinary text
        return
    variants = {text, quote(text, safe=""), quote_plus(text), base64.b64encode(text.encode()).decode(),
                base64.b64encode(f"{text}:".encode()).decode()}
    with _lock:
        _secrets.update(v for v in variants if len(v) >= 4)


def redact(text: object) -> str:
    out = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    return out


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = ()
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True
