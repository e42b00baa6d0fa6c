"""The dbt project as analysts rely on it: incremental builds equal a full refresh, raw
sources are fresh after a sync, docs generate offline."""
from __future__ import annotations

import json

from pipelines.transform import run_dbt

MARTS = ["fct_orders", "fct_order_lines", "dim_customers", "dim_products", "mart_sales_daily",
         "mart_customer_360"]


def snapshot(project) -> dict[str, set]:
    return {t: set(project.query(f"select * from marts.{t}")) for t in MARTS}


def test_incremental_build_after_a_small_sync_equals_a_full_refresh(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    assert project.cli("sync").returncode == 0                 # first build: full
    fresh_sandbox.control.advance(hours=20)                     # new orders, status changes
    incremental = project.cli("sync")                           # second build: incremental
    assert incremental.returncode == 0, incremental.stdout + incremental.stderr
    after_incremental = snapshot(project)
    documents = sum(fresh_sandbox.control.truth(v)["orders"]["count"] for v in fresh_sandbox.state["vendors"])
    assert len(after_incremental["fct_orders"]) == documents
    assert project.cli("transform", "--full-refresh").returncode == 0
    assert snapshot(project) == after_incremental


def test_sources_are_fresh_after_a_sync_and_docs_generate_offline(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    assert project.cli("sync").returncode == 0
    paths = project.paths()
    freshness = run_dbt(paths, "source freshness")
    assert freshness.ok, freshness.error
    sources = json.loads((paths.dbt_artifacts_dir / "target" / "sources.json").read_text())["results"]
    assert sources and all(r["status"] == "pass" for r in sources)

    docs = project.cli("docs")
    assert docs.returncode == 0, docs.stdout + docs.stderr
    catalog = json.loads((paths.dbt_artifacts_dir / "target" / "catalog.json").read_text())
    fct = catalog["nodes"]["model.vendorsync.fct_orders"]["columns"]
    assert {"order_key", "total_eur", "counts_in_revenue"} <= set(fct)
    assert (paths.dbt_artifacts_dir / "target" / "index.html").exists()
