"""Loading pages as Arrow tables (`pipelines.arrow`) gives the raw tables dlt's own normalizer
gives: the same tables, columns, types and rows, on a first sync and after the vendor's world
moved on (children of reloaded parents replaced, not duplicated)."""
from __future__ import annotations

import pytest

from pipelines.runner import run_vendor
from pipelines.settings import Paths
from pipelines.vendors import VENDORS

#: loader-made ids: random per load, so never equal between two warehouses
IDS = {"_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id", "_dlt_root_key", "_dlt_valid_from",
       "_dlt_valid_to"}


def warehouse(project, name: str) -> Paths:
    base = project.paths()
    data = base.data_dir / name
    return Paths(base.project_dir, data, data / "warehouse.duckdb")


def columns(con, dataset: str) -> dict[str, dict[str, str]]:
    rows = con.execute("select table_name, column_name, data_type from information_schema.columns "
                       f"where table_schema = '{dataset}' and table_name not like '_dlt%'").fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if column not in IDS:
            out.setdefault(table, {})[column] = data_type
    return out


def rows(con, dataset: str, table: str, cols: list[str], parent_key: dict[str, str]) -> list[str]:
    """Every row, a child row with its parent's key in place of the loader's link ids."""
    select = ", ".join(f't."{c}"' for c in cols)
    if "__" in table:
        root = table.split("__")[0]
        sql = (f'select p."{parent_key[root]}", {select} from {dataset}."{table}" t '
               f'join {dataset}."{root}" p on t._dlt_parent_id = p._dlt_id')
    else:
        sql = f'select {select} from {dataset}."{table}" t'
    return sorted(map(repr, con.execute(sql).fetchall()))


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_arrow_pages_load_the_tables_the_normalizer_loads(project, fresh_sandbox, vendor):
    import duckdb

    project.point_at(fresh_sandbox, [vendor])
    ways = {"dicts": warehouse(project, "dicts"), "arrow": warehouse(project, "arrow")}
    for round_ in range(2):
        if round_:
            fresh_sandbox.control.advance(days=2)
        loaded = {}
        for way, paths in ways.items():
            result = run_vendor(VENDORS[vendor], paths, arrow=way == "arrow")
            assert result.ok, result.error
            loaded[way] = result.tables
        # the same tables got rows (their counts may differ: a transformer that dedups per call,
        # e.g. customers from orders, sees a batch of pages at once)
        assert set(loaded["arrow"]) == set(loaded["dicts"]), round_
    assert any("__" in t for t in loaded["arrow"]) or vendor == "infigo", "the scenario needs nested lists"

    dataset = VENDORS[vendor].dataset
    cons = {way: duckdb.connect(str(paths.warehouse), read_only=True) for way, paths in ways.items()}
    try:
        schemas = {way: columns(con, dataset) for way, con in cons.items()}
        assert schemas["arrow"] == schemas["dicts"]
        keys = {t: ("reference" if "reference" in c else "id") for t, c in schemas["dicts"].items()}
        for table, cols in schemas["dicts"].items():
            names = sorted(cols)
            assert rows(cons["arrow"], dataset, table, names, keys) == rows(cons["dicts"], dataset, table, names, keys), table
        # a reloaded parent's children were replaced, not kept beside the new ones
        for table in (t for t in schemas["arrow"] if "__" in t):
            assert cons["arrow"].execute(
                f'select count(*) from (select _dlt_root_key, _dlt_list_idx from {dataset}."{table}" '
                "group by all having count(*) > 1)").fetchone()[0] == 0, table
    finally:
        for con in cons.values():
            con.close()
