"""Column hints shared by every source: money as DECIMAL(18,2) (18,6 where vendors send
fractions of cents), timestamps as UTC `timestamp with time zone`, JSON for free-form parts."""
from __future__ import annotations

MONEY = {"data_type": "decimal", "precision": 18, "scale": 2}
MONEY6 = {"data_type": "decimal", "precision": 24, "scale": 6}
UTC_TS = {"data_type": "timestamp", "timezone": True}
JSON = {"data_type": "json"}
TEXT = {"data_type": "text"}
BIGINT = {"data_type": "bigint"}
DOUBLE = {"data_type": "double"}
BOOL = {"data_type": "bool"}


def columns(**specs: dict) -> dict:
    """`columns(price=MONEY, at=UTC_TS)` -> dlt column hints. Names are repeated inside each
    hint because dlt's `nested_hints` needs them there."""
    return {name: {"name": name, **spec} for name, spec in specs.items()}
