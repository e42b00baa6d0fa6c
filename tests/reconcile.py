"""Checks that hold for every vendor: its raw dataset equals the vendor's truth (each vendor's
source tests say how) with no key duplicated anywhere; its daily sales in the marts next to
the sandbox's ground truth."""
from __future__ import annotations

import importlib
import re
from decimal import Decimal

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


DAILY_COLUMNS = ["orders", "refunds", "units", "gross_revenue", "refund_amount", "net_revenue", "new_customers"]


def daily_sales(rows) -> dict[tuple[str, str], dict]:
    """(sales_date, currency) -> the daily figures, from rows of `select sales_date, currency,
    <DAILY_COLUMNS> from marts.mart_sales_daily`, in the shape of the sandbox's truth."""
    return {(str(day), currency): {k: (str(v) if isinstance(v, Decimal) else v) for k, v in zip(DAILY_COLUMNS, rest, strict=True)}
            for day, currency, *rest in rows}


def daily_sales_sql(vendor: str) -> str:
    return (f"select sales_date, currency, {', '.join(DAILY_COLUMNS)} from marts.mart_sales_daily "
            f"where vendor = '{vendor}'")


def truth_daily_sales(truth: dict) -> dict[tuple[str, str], dict]:
    """The same figures as the sandbox's vendor really holds them."""
    return {(d["sales_date"], d["currency"]): {k: v for k, v in d.items() if k not in ("sales_date", "currency")}
            for d in truth["daily"]}


def readme_questions() -> list[str]:
    """The SQL of the README's analyst questions (its "Querying the marts" section)."""
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Querying the marts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)
