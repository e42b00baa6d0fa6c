"""Fault injection, deterministic from the seed.

Each request is keyed by (method, path and query, how many times this key was seen before):
the n-th attempt at a URL always gets the same fate for a given seed, whatever order
concurrent requests arrive in, and a retry of a failed request draws afresh.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields

from .rng import unit

#: fault kinds in the order their probability bands are laid out on [0, 1).
#: `empty_page`: a list endpoint answers 200 with no records on a page that has some (the
#: simulator's list handlers honour it through `VendorSim.page_items`).
KINDS = ("429", "500", "502", "503", "timeout", "drop", "malformed", "empty_page")


@dataclass
class FaultSpec:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_502: float = 0.0
    rate_503: float = 0.0
    rate_timeout: float = 0.0     # answer only after `timeout_s` (past a sane client timeout)
    rate_drop: float = 0.0        # close the connection without a response
    rate_malformed: float = 0.0   # 200 with a truncated JSON body
    rate_empty_page: float = 0.0  # 200 with an empty page in the middle of a listing
    retry_after_s: float = 1.0    # Retry-After sent with injected 429s
    timeout_s: float = 20.0
    latency_ms: float = 0.0       # added to every response
    latency_jitter_ms: float = 0.0
    drift_every: float = 0.0      # every N requests to this vendor the world's clock moves on...
    drift_minutes: float = 0.0    # ...by this much: records change between two pages of a listing

    @classmethod
    def from_dict(cls, data: dict) -> FaultSpec:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: float(v) for k, v in data.items()})

    def to_dict(self) -> dict:
        return asdict(self)

    def rate(self, kind: str) -> float:
        return getattr(self, f"rate_{kind}")


class FaultPlan:
    """Decides the fate of each request of one vendor and counts what it injected."""

    def __init__(self, seed: int, vendor: str, spec: FaultSpec | None = None):
        self.seed = seed
        self.vendor = vendor
        self.spec = spec or FaultSpec()
        self._attempts: Counter[tuple] = Counter()
        self.injected: Counter[str] = Counter()

    def decide(self, method: str, path_qs: str) -> str | None:
        key = (method, path_qs)
        attempt = self._attempts[key]
        self._attempts[key] += 1
        if not any(self.spec.rate(k) for k in KINDS):
            return None
        u = unit(self.seed, "fault", self.vendor, method, path_qs, attempt)
        edge = 0.0
        for kind in KINDS:
            edge += self.spec.rate(kind)
            if u < edge:
                self.injected[kind] += 1
                return kind
        return None

    def latency_s(self, method: str, path_qs: str) -> float:
        if not self.spec.latency_jitter_ms:
            return self.spec.latency_ms / 1000.0
        jitter = self.spec.latency_jitter_ms * unit(self.seed, "jitter", self.vendor, method, path_qs)
        return (self.spec.latency_ms + jitter) / 1000.0
