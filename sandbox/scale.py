"""World sizes. `small` is what CI runs; `medium` is the benchmark target
(about 200k orders and 600k lines across the four vendors)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    history_days: int        # days of history generated before "now"
    orders_per_day: float    # mean new orders per vendor per day
    products: int            # catalog size per vendor at the start of history
    people: int              # size of the shared customer pool

    def scaled(self, factor: float) -> Scale:
        return Scale(
            f"{self.name}x{factor:g}",
            self.history_days,
            self.orders_per_day * factor,
            max(1, round(self.products * factor**0.5)),
            max(10, round(self.people * factor)),
        )


SCALES = {
    "tiny": Scale("tiny", history_days=21, orders_per_day=4, products=12, people=60),
    "small": Scale("small", history_days=60, orders_per_day=12, products=40, people=400),
    "medium": Scale("medium", history_days=365, orders_per_day=140, products=400, people=20000),
}


def parse_scale(text: str) -> Scale:
    """`small`, `medium`, or `medium*4` (a multiple of a named scale)."""
    name, _, factor = text.partition("*")
    if name not in SCALES:
        raise ValueError(f"unknown scale {text!r}; use one of {', '.join(SCALES)} (optionally '*N')")
    scale = SCALES[name]
    return scale.scaled(float(factor)) if factor else scale
