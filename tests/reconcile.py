"""Checks that hold for every vendor's raw dataset: it equals the vendor's truth (each
vendor's source tests say how), and no key is duplicated anywhere."""
from __future__ import annotations

import importlib

import dlt


def assert_matches_truth(vendor: str, project, truth: dict) -> None:
    """The vendor's own reconciliation (`tests/sources/<vendor>/test_<vendor>_source.py`)."""
    module = importlib.import_module(f"tests.sources.{vendor}.test_{vendor}_source")
    module.assert_matches_truth(project, truth)


def duplicate_keys(project, vendor: str) -> dict[str, int]:
    """table -> number of duplicated keys, over every table of the vendor's dlt schema: merge
    tables by their primary key (SCD2 tables: among current versions), nested tables by row id."""
    from pipelines.vendors import VENDORS

    v = VENDORS[vendor]
    schema = dlt.pipeline(v.pipeline_name, pipelines_dir=str(project.paths().pipelines_dir)).default_schema
    present = {r[0] for r in project.query(
        f"select table_name from information_schema.tables where table_schema = '{v.dataset}'")}
    out = {}
    for table in schema.data_tables():
        name = table["name"]
        if name not in present:
            continue
        cols = table["columns"]
        keys = [c for c, spec in cols.items() if spec.get("primary_key")] or ["_dlt_id"]
        where = " where _dlt_valid_to is null" if "_dlt_valid_to" in cols else ""
        key_sql = ", ".join(keys)
        dupes = project.scalar(f"select count(*) from (select {key_sql} from {v.dataset}.{name}{where} "
                               f"group by {key_sql} having count(*) > 1) as d")
        if dupes:
            out[name] = dupes
    return out
