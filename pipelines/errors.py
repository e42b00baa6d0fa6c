"""Turn any failure into one actionable line and an exit code. Tracebacks go to the log
file only; a user mistake never prints one."""
from __future__ import annotations

from pathlib import Path

import psycopg2
import tomlkit
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigValueCannotBeCoercedException
from dlt.common.configuration.providers.toml import TomlProviderReadException
from tomlkit.exceptions import TOMLKitError

from sources.common.errors import VendorError, setting_env, setting_file
from sources.common.redact import redact

from .holders import WarehouseHeld, holder_in
from .lock import LockBusy
from .warehouse import WarehouseSettingError

EXIT_OK = 0
EXIT_FAILED = 1          # every requested vendor failed, or an internal error
EXIT_USAGE = 2           # bad arguments or configuration: fix the command or the settings
EXIT_PARTIAL = 3         # some vendors failed, the others were loaded
EXIT_BUSY = 4            # another vendorsync run holds the warehouse lock: this tick is not needed
EXIT_STALE = 5           # `status`: a vendor's data is older than the freshness threshold
EXIT_TRANSFORM = 6       # the loads succeeded, `dbt build` failed
EXIT_HELD = 7            # a process outside vendorsync (an analyst's DuckDB session) holds the warehouse
                         # file: nothing was loaded, a failure for the scheduler


def toml_problem(exc: TomlProviderReadException) -> str:
    """One line for a config/secrets file dlt could not read: which file, which line, what to
    fix. The file is parsed again here because dlt's message names every path it tried."""
    for path in exc.full_paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            tomlkit.parse(text)
        except TOMLKitError as problem:
            line, col = getattr(problem, "line", None), getattr(problem, "col", None)
            what = str(problem).split(" at line ")[0].rstrip(".")
            where = f" line {line}, column {col}" if line else ""
            example = (".dlt/secrets.toml.example" if exc.file_name == "secrets.toml" else
                       "the repository's .dlt/config.toml")
            return (f"{path}{where}: {what}. Fix the TOML there (`key = value`, text in double quotes, "
                    f"[section] headers on their own line; {example} shows the format).")
    return f"{exc.file_name} cannot be read ({' '.join(str(exc).split())[:300]}); fix the file's TOML syntax."


def _chain(exc: BaseException):
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(x for x in (e.__cause__, e.__context__, getattr(e, "exception", None))
                     if isinstance(x, BaseException))


def explain(exc: BaseException, vendor: str | None = None) -> tuple[str, str]:
    """(one-line message, kind) where kind is config|auth|request|data|busy|held|warehouse|
    unreachable|internal."""
    for e in _chain(exc):
        if isinstance(e, VendorError):
            return str(e), e.kind
    for e in _chain(exc):
        if isinstance(e, TomlProviderReadException):
            return toml_problem(e), "config"
        if isinstance(e, LockBusy):
            return str(e), "busy"
        if isinstance(e, WarehouseHeld):
            return str(e), "held"
        if isinstance(e, WarehouseSettingError):
            return str(e), "config"
        if isinstance(e, psycopg2.OperationalError):
            return _postgres_problem(e)
        if isinstance(e, ConfigFieldMissingException):
            names = [f"sources.{vendor}.{f}" if vendor else f for f in e.fields]
            fields = ", ".join(names)
            where = setting_file(fields)
            env = ", ".join(map(setting_env, names))
            prefix = f"{vendor}: " if vendor else ""
            example = " (see .dlt/secrets.toml.example)" if where.endswith("secrets.toml") else ""
            return f"{prefix}missing setting {fields}. Add it to {where}{example} or set {env}.", "config"
        if isinstance(e, ConfigValueCannotBeCoercedException):
            field = f"sources.{vendor}.{e.field_name}" if vendor else e.field_name
            env = setting_env(field)
            expected = getattr(e.hint, "__name__", str(e.hint))
            return (f"{vendor + ': ' if vendor else ''}setting {field} has a value that is not a valid "
                    f"{expected}. Fix it in .dlt/config.toml or {env}.", "config")
        text = f"{type(e).__name__}: {e}"
        holder = holder_in(text)
        if holder is not None:
            return (f"the warehouse file is in use by {holder.describe()} (DuckDB allows one writer). "
                    "Close that connection (analysts: open it read-only and briefly) and retry, or run "
                    "`vendorsync sync --wait` to wait for it.", "held")
        if "WAL checkpoint iteration does not match" in text:
            return ("the warehouse file's write-ahead log (<warehouse>.wal) belongs to a newer version of the "
                    "file: it was replaced, e.g. by a restored backup. If you restored it on purpose, delete "
                    "the .wal file beside it (its changes are those of the version you replaced) and sync again: "
                    "the sync loads what the restored file lacks.", "config")
        if "read-only" in text.lower() and "database" in text.lower() or isinstance(e, PermissionError):
            return (f"the warehouse cannot be written ({redact(e)}). Check the file's permissions "
                    "or pass --warehouse with a writable path.", "warehouse")
    prefix = f"{vendor}: " if vendor else ""
    detail = redact(f"{type(exc).__name__}: {exc}").splitlines()[0][:300]
    return f"{prefix}unexpected error ({detail}); the traceback is in data/logs/vendorsync.log.", "internal"


def _postgres_problem(e: BaseException) -> tuple[str, str]:
    """A PostgreSQL server that refuses the login (fix the credentials: config) or cannot be
    reached (the server or the network: unreachable)."""
    detail = " ".join(redact(e).split())[:300]
    refused = any(s in detail for s in ("authentication failed", "does not exist", "no pg_hba.conf entry",
                                        "permission denied"))
    if refused:
        return (f"the postgres warehouse refused the connection ({detail}). Fix "
                "destination.postgres.credentials in .dlt/secrets.toml or DESTINATION__POSTGRES__CREDENTIALS.",
                "config")
    return (f"the postgres warehouse cannot be reached ({detail}). Check that the server is running and "
            "accepts connections at the host and port of destination.postgres.credentials.", "unreachable")
