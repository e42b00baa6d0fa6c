"""End to end as the README's first command runs it: sandbox -> sync -> dbt build -> marts,
and the marts equal what the sandbox's vendors really hold."""
from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.client import SandboxProcess
from tests.reconcile import daily_sales, daily_sales_sql, readme_questions, truth_daily_sales

SEED, SCALE = 5, "tiny"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory):
    """Run `vendorsync demo` once for the module, then read the truth of the same world."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    data = tmp_path_factory.mktemp("demo") / "data"
    env = {**os.environ, "VENDORSYNC_DATA_DIR": str(data), "VENDORSYNC_PROJECT_DIR": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "demo", "--seed", str(SEED),
                           "--scale", SCALE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MISMATCH" not in proc.stdout
    with SandboxProcess(seed=SEED, scale=SCALE) as sb:          # same seed, same world
        truths = {v: sb.control.truth(v) for v in sb.state["vendors"]}
    return data / "warehouse.duckdb", truths, proc.stdout


def query(warehouse, sql):
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_daily_sales_equal_ground_truth(demo_warehouse):
    warehouse, truths, _ = demo_warehouse
    for vendor, truth in truths.items():
        assert daily_sales(query(warehouse, daily_sales_sql(vendor))) == truth_daily_sales(truth), vendor


def test_order_count_and_revenue_equal_ground_truth(demo_warehouse):
    warehouse, truths, _ = demo_warehouse
    for vendor, truth in truths.items():
        count, revenue = query(warehouse, "select count(*), sum(total) from marts.fct_orders "
                                          f"where vendor = '{vendor}' and counts_in_revenue")[0]
        assert count == sum(d["orders"] + d["refunds"] for d in truth["daily"])
        assert revenue == sum(Decimal(d["net_revenue"]) for d in truth["daily"])
        all_docs = query(warehouse, f"select count(*) from marts.fct_orders where vendor = '{vendor}'")[0][0]
        assert all_docs == truth["orders"]["count"]


def test_customers_equal_ground_truth(demo_warehouse):
    warehouse, truths, _ = demo_warehouse
    for vendor, truth in truths.items():
        with_orders = query(warehouse, "select count(*) from marts.dim_customers "
                                       f"where vendor = '{vendor}' and order_count > 0")[0][0]
        total = query(warehouse, f"select count(*) from marts.dim_customers where vendor = '{vendor}'")[0][0]
        assert total == truth["customers"]["count"]
        assert with_orders <= total


def test_every_fact_joins_its_dimensions(demo_warehouse):
    warehouse, _, _ = demo_warehouse
    assert query(warehouse, "select count(*) from marts.fct_orders o left join marts.dim_customers c "
                            "using (customer_key) where o.customer_key is not null and c.customer_key is null") == [(0,)]
    assert query(warehouse, "select count(*) from marts.fct_order_lines l left join marts.dim_products p "
                            "using (product_key) where p.product_key is null") == [(0,)]


def test_demo_summary_names_every_vendor(demo_warehouse):
    _, truths, stdout = demo_warehouse
    for vendor in truths:
        assert f"{vendor}" in stdout and "marts match" in stdout


def test_the_readme_questions_run_and_answer(demo_warehouse):
    queries = readme_questions()
    assert len(queries) == 5
    warehouse, _, _ = demo_warehouse
    for sql in queries:
        rows = query(warehouse, sql)
        assert rows, sql                          # every question has an answer in the demo data
