"""The warehouse as dlt sees it: the destination every pipeline of a run loads into."""
from __future__ import annotations

from typing import Any

import dlt

from .settings import Paths


def destination_for(paths: Paths) -> Any:
    """DuckDB at `paths.warehouse` (the embedded default)."""
    return dlt.destinations.duckdb(str(paths.warehouse))
