"""Records deleted at the vendor stay in the marts' history, flagged, never silently dropped."""
from __future__ import annotations


def test_deleted_products_stay_in_dim_products_flagged(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    assert project.cli("sync", "--vendor", "shirtigo").returncode == 0
    before = fresh_sandbox.control.truth("shirtigo")
    fresh_sandbox.control.configure("shirtigo", product_churn=25)
    fresh_sandbox.control.advance(days=3)
    truth = fresh_sandbox.control.truth("shirtigo")
    deleted = {str(p) for p in set(truth["products"]["deleted"]) - set(before["products"]["deleted"])}
    assert deleted, "the scenario needs product deletions"

    proc = project.cli("sync", "--vendor", "shirtigo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    flagged = {r[0] for r in project.query(
        "select vendor_product_id from marts.dim_products where vendor = 'shirtigo' and is_deleted")}
    assert deleted <= flagged
    active = {r[0] for r in project.query(
        "select vendor_product_id from marts.dim_products where vendor = 'shirtigo' and is_active")}
    assert active == {str(p) for p in truth["products"]["active"]}
    # order lines of deleted products still join their (deleted) product
    orphans = project.scalar("select count(*) from marts.fct_order_lines l left join marts.dim_products p "
                             "using (product_key) where p.product_key is null")
    assert orphans == 0
