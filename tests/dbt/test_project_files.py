"""Rules of the dbt project's own files that dbt itself does not check."""
from __future__ import annotations

from pathlib import Path

import yaml

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def source_tables():
    for path in sorted(DBT.glob("models/staging/*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                yield path.name, source, table


def test_every_freshness_checked_table_has_the_load_id_it_is_measured_by():
    for name, source, table in source_tables():
        checked = table.get("freshness", source.get("freshness")) is not None
        columns = {c["name"] for c in table.get("columns", [])}
        if checked:
            assert "_dlt_load_id" in columns, f"{name}: {table['name']} needs freshness: null or _dlt_load_id"


def test_every_documented_raw_column_has_a_type_for_vendor_source():
    for name, _, table in source_tables():
        for column in table.get("columns", []):
            assert column.get("data_type"), f"{name}: {table['name']}.{column['name']} has no data_type"


def test_every_relation_name_fits_postgres_identifiers():
    """Models, seeds, snapshots and unit tests become relations named after them; PostgreSQL
    refuses names over 63 bytes (DuckDB takes any), so a long name breaks only the server build."""
    names = [p.stem for folder in ("models", "seeds", "snapshots", "tests") for p in (DBT / folder).rglob("*")
             if p.suffix in (".sql", ".csv")]
    for path in DBT.glob("models/**/*.yml"):
        names += [t["name"] for t in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])]
    assert names and "fct_orders" in names
    too_long = [n for n in names if len(n.encode()) > 63]
    assert too_long == []
