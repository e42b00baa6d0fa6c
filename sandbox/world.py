"""A world: one clock, one pool of people, one simulator per vendor, all from one seed."""
from __future__ import annotations

from datetime import datetime, timedelta

from .clock import DEFAULT_NOW, SimClock
from .people import PeoplePool
from .scale import Scale, parse_scale
from .vendors import SIMULATORS


class World:
    def __init__(self, seed: int = 42, scale: Scale | str = "small", now: datetime = DEFAULT_NOW,
                 vendors: list[str] | None = None):
        self.seed = seed
        self.scale = parse_scale(scale) if isinstance(scale, str) else scale
        self.clock = SimClock(now)
        self.people = PeoplePool(seed, self.scale.people)
        names = vendors or list(SIMULATORS)
        unknown = set(names) - set(SIMULATORS)
        if unknown:
            raise ValueError(f"unknown vendors {sorted(unknown)}; known: {sorted(SIMULATORS)}")
        self.sims = {n: SIMULATORS[n](seed, self.scale, self.clock, self.people) for n in names}
        for sim in self.sims.values():
            sim.simulate_until(self.clock.now())

    def advance(self, delta: timedelta) -> datetime:
        now = self.clock.advance(delta)
        for sim in self.sims.values():
            sim.simulate_until(now)
        return now

    def describe(self) -> dict:
        return {"seed": self.seed, "scale": self.scale.name, "now": self.clock.now().isoformat()}
