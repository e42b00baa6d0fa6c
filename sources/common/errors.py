"""Errors a user can act on. Each names the vendor, what happened and what to change;
`str()` is one line with no secret in it (messages pass through `redact`)."""
from __future__ import annotations

from .redact import redact


class VendorError(Exception):
    """Base of all vendor failures. `setting` is the config key to fix, if one is to blame."""

    kind = "error"

    def __init__(self, vendor: str, message: str, *, setting: str | None = None, hint: str | None = None):
        self.vendor = vendor
        self.message = redact(message)
        self.setting = setting
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.vendor}: {self.message}"
        if self.hint:
            text += f" {self.hint}"
        elif self.setting:
            text += f" Check the setting {setting_help(self.setting)}."
        return " ".join(text.split())


class VendorConfigError(VendorError):
    kind = "config"


class VendorAuthError(VendorError):
    kind = "auth"


class VendorRequestError(VendorError):
    """The vendor refused a request in a way retrying cannot fix (4xx), or retries ran out."""

    kind = "request"

    def __init__(self, vendor: str, message: str, *, status: int | None = None, **kw):
        self.status = status
        super().__init__(vendor, message, **kw)


class VendorDataError(VendorError):
    """The vendor answered with something that breaks its documented contract."""

    kind = "data"


def setting_env(setting: str) -> str:
    """`sources.shirtigo.api_key` -> `SOURCES__SHIRTIGO__API_KEY`, the variable dlt reads."""
    return "__".join(part.upper() for part in setting.split("."))


def setting_file(setting: str) -> str:
    """The file a setting belongs in: secrets (keys, tokens, passwords) apart from the rest."""
    secret = any(s in setting for s in ("key", "secret", "password", "token"))
    return ".dlt/secrets.toml" if secret else ".dlt/config.toml"


def setting_help(setting: str) -> str:
    """`sources.shirtigo.api_key` -> where to set it, in both places dlt reads."""
    return f"{setting} (in {setting_file(setting)} or the environment variable {setting_env(setting)})"
