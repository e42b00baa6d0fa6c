"""Schema drift a simulator can serve (`configure(schema_drift=True)`), for the reliability
tests: the vendor adds fields, changes a type or sends an enum value its document never
listed. Which records drift, and how, is drawn once per record from the seed and its key,
so a record drifts the same way on every request (a listing, a by-id read, the next sync);
turning drift off is the vendor fixing its records. `report` is what `truth()` tells."""
from __future__ import annotations

from collections.abc import Iterable

from .rng import unit


class SchemaDrift:
    def __init__(self, seed: int, label: str, shares: dict[str, float]):
        """`shares`: kind -> share of the records that get it (a record gets at most one)."""
        self.seed, self.label, self.shares = seed, label, shares
        self.enabled = False

    def kind(self, key: object) -> str | None:
        if not self.enabled:
            return None
        u = unit(self.seed, "drift", self.label, key)
        for kind, share in self.shares.items():
            if u < share:
                return kind
            u -= share
        return None

    def report(self, keys: Iterable) -> dict[str, list]:
        """kind -> keys of the records that get it (empty lists while drift is off)."""
        out: dict[str, list] = {kind: [] for kind in self.shares}
        for key in keys:
            kind = self.kind(key)
            if kind:
                out[kind].append(key)
        return out
