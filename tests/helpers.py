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


def column_types(project, dataset: str, table: str) -> dict[str, str]:
    return dict(project.query("select column_name, data_type from information_schema.columns "
                              f"where table_schema = '{dataset}' and table_name = '{table}'"))


def assert_second_run_loads_nothing(project, vendor: str, tables: list[str]) -> VendorResult:
    """Two syncs back to back: the second loads no row and changes no table."""
    sync(project, vendor)
    before = table_counts(project, f"raw_{vendor}", tables)
    again = sync(project, vendor)
    assert sum(again.rows.values()) == 0, again.rows
    assert table_counts(project, f"raw_{vendor}", tables) == before
    return again
