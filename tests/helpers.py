"""Small helpers for tests: run one vendor's source through the real runner."""
from __future__ import annotations

from pipelines.runner import VendorResult, run_vendor
from pipelines.vendors import VENDORS


def sync(project, vendor: str, **kwargs) -> VendorResult:
    result = run_vendor(VENDORS[vendor], project.paths(), **kwargs)
    assert result.ok, result.error
    return result


def table_counts(project, dataset: str, tables: list[str]) -> dict[str, int]:
    return {t: project.scalar(f"select count(*) from {dataset}.{t}") for t in tables}
