"""A complete list that suddenly lost most of its records is a glitch until proven otherwise:
loading it would mark them all deleted. The run fails instead, nothing is retired, and the
user is told how to accept a real mass deletion."""
from __future__ import annotations

from pipelines.runner import run_vendor
from pipelines.vendors import VENDORS


def current_products(project) -> int:
    return project.scalar("select count(*) from raw_shirtigo.products where _dlt_valid_to is null")


def test_a_cut_product_list_is_refused_and_retires_nothing(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    assert run_vendor(VENDORS["shirtigo"], project.paths(), resources=["products"]).ok
    before = current_products(project)
    fresh_sandbox.control.configure("shirtigo", products_served=0.2)
    refused = run_vendor(VENDORS["shirtigo"], project.paths(), resources=["products"])
    assert not refused.ok and "refusing to mark" in refused.error and "VENDORSYNC__MAX_SNAPSHOT_DROP" in refused.error
    assert current_products(project) == before
    project.set("VENDORSYNC__MAX_SNAPSHOT_DROP", "1")          # the user says the deletions are real
    accepted = run_vendor(VENDORS["shirtigo"], project.paths(), resources=["products"])
    assert accepted.ok and current_products(project) == round(before * 0.2)
