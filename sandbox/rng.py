"""Deterministic randomness: every draw is a pure function of (seed, labels).

Keying draws by labels (vendor, day, record number, ...) instead of consuming one shared
stream keeps the world identical however the clock is advanced (one day ten times or ten
days once) and whatever order concurrent requests arrive in.
"""
from __future__ import annotations

import hashlib
import random


def _digest(seed: int, labels: tuple) -> int:
    payload = repr((seed,) + labels).encode()
    return int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "big")


def rng(seed: int, *labels: object) -> random.Random:
    """A private random stream for one (seed, labels) key."""
    return random.Random(_digest(seed, labels))


def unit(seed: int, *labels: object) -> float:
    """One uniform draw in [0, 1) for the key, without building a Random."""
    return _digest(seed, labels) / 2**64


def poisson(r: random.Random, mean: float) -> int:
    """Knuth's method for small means, normal approximation above 30."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(r.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1
