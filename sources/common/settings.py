"""Every vendor's settings, declared once and checked one way.

A vendor's `settings.py` declares a frozen dataclass, subclass of `VendorSettings`: each field
is a setting of `[sources.<vendor>]` with its type, its default and the values it may take
(`within`). The source function's parameters take their defaults from that class (dlt injects
the configured values into them), and its first line is `cfg = Settings.checked(locals())`:
every value converted to its declared type and checked, the first bad one reported as one
line naming the setting, where to set it and what it may be. The credentials the vendor needs
(`credentials`) are checked the same way: present and not blank.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self, get_type_hints

from .errors import VendorConfigError
from .http import RetryPolicy


@dataclass(frozen=True)
class Limits:
    """The values a numeric setting may take, and why (shown in the error)."""

    low: float | None = None           # inclusive
    high: float | None = None          # inclusive
    above: float | None = None         # exclusive lower bound
    why: str = ""

    def describe(self) -> str:
        parts = []
        if self.above is not None:
            parts.append(f"above {self.above:g}")
        if self.low is not None and self.high is not None:
            parts.append(f"between {self.low:g} and {self.high:g}")
        elif self.low is not None:
            parts.append(f"at least {self.low:g}")
        elif self.high is not None:
            parts.append(f"at most {self.high:g}")
        text = " and ".join(parts)
        return f"{text} ({self.why})" if self.why else text

    def admit(self, number: float) -> bool:
        return (self.low is None or number >= self.low) and (self.high is None or number <= self.high) \
            and (self.above is None or number > self.above)


def within(default: Any, *, low: float | None = None, high: float | None = None, above: float | None = None,
           why: str = "") -> Any:
    """A setting's default and the range its values must fall in."""
    return field(default=default, metadata={"limits": Limits(low, high, above, why)})


@dataclass(frozen=True)
class VendorSettings:
    """What every source takes. Subclasses set `vendor` and `credentials`, add their own
    settings and may redeclare a default here (a field declared again keeps its place)."""

    vendor: ClassVar[str]
    #: secrets and required config values: must be set and not blank
    credentials: ClassVar[tuple[str, ...]] = ()

    start_date: str | None = "2020-01-01"
    max_workers: int = within(4, low=1, high=32, why="requests in flight per resource")
    request_timeout_s: float = within(30.0, above=0)
    max_attempts: int = within(6, low=1)

    @classmethod
    def setting(cls, name: str) -> str:
        return f"sources.{cls.vendor}.{name}"

    @classmethod
    def problem(cls, name: str, message: str) -> VendorConfigError:
        """The error for setting `name`, for checks that involve two settings."""
        return VendorConfigError(cls.vendor, message, setting=cls.setting(name))

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(timeout_s=self.request_timeout_s, max_attempts=self.max_attempts)

    @classmethod
    def checked(cls, values: dict[str, Any]) -> Self:
        """The settings in `values` (a source function's `locals()`), converted and checked."""
        for name in cls.credentials:
            if not str(values.get(name) or "").strip():
                raise cls.problem(name, f"no {name} is set.")
        types = get_type_hints(cls)
        kept: dict[str, Any] = {}
        for spec in fields(cls):
            value = values.get(spec.name, spec.default)
            kept[spec.name] = cls._convert(spec.name, value, types[spec.name], spec.metadata.get("limits"))
        return cls(**kept)

    @classmethod
    def _convert(cls, name: str, value: Any, kind: Any, limits: Limits | None) -> Any:
        if kind in (int, float):
            try:
                number = kind(value)
                if kind is int and float(value) != number:
                    raise ValueError(value)
            except (TypeError, ValueError, OverflowError):
                whole = "a whole number" if kind is int else "a number"
                must = f", {limits.describe()}" if limits else ""
                raise cls.problem(name, f"{name} must be {whole}{must}, not {value!r}.") from None
            if limits and not limits.admit(number):
                raise cls.problem(name, f"{name} must be {limits.describe()}, not {value!r}.")
            return number
        if kind == tuple[str, ...]:
            given = value.split(",") if isinstance(value, str) else list(value or [])
            items = tuple(str(v).strip() for v in given if str(v).strip())
            if not items:
                raise cls.problem(name, f"{name} is empty; list at least one value, e.g. {_default_of(cls, name)}.")
            return items
        return None if value is None else str(value).strip()


def _default_of(cls: type, name: str) -> str:
    default = next(f.default for f in fields(cls) if f.name == name)
    return ",".join(default) if isinstance(default, tuple) else str(default)
