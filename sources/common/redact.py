"""Secrets never reach a log line, an error message or the run ledger.

Every credential a source loads is registered here; `redact` replaces each registered value
(and its common encodings) in any text, and `RedactingFilter` applies it to every log record.
Credentials written into a URL (`https://user:password@host/...`, in a base URL for example)
are masked wherever a URL appears, registered or not.
"""
from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote, quote_plus, unquote, urlsplit

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


#: the user-info part of a URL (`scheme://user:password@`), never followed by a path separator
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@'\"<>]+@")


def register_url_credentials(url: object) -> None:
    """Register the password (and the whole user info) of `url`, so it is masked even where it
    appears without its URL around it."""
    try:
        parts = urlsplit(str(url or "").strip())
    except ValueError:
        return
    if parts.password:
        register_secret(parts.password)
        register_secret(unquote(parts.password))
    if "@" in parts.netloc:
        register_secret(parts.netloc.rsplit("@", 1)[0])


def redact(text: object) -> str:
    out = str(text)
    if "@" in out:
        out = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", out)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    return out


class RedactingFilter(logging.Filter):
    """Scrubs the message, the traceback (formatted here, so formatters use the scrubbed text)
    and the structured fields of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        return True
