"""The fault matrix: every vendor × every kind of fault ends with the warehouse equal to the
vendor's truth (no record lost, none duplicated), because every fault is retried, detected or
caught by the next run. Run at the `tiny` scale with small pages, so every listing has pages,
and for the faults that act on pages (a page failing, records moving between pages) also at
the `small` scale with each vendor's configured page sizes, the sizes real syncs use (the
empty-page losses of issue 17 showed there and not at tiny; empty pages at that scale are
`test_empty_pages.py`).

Set VENDORSYNC_FAULT_REPORT=<file> to append one JSON line per cell (faults injected,
requests retried, records lost, duplicates) for the reliability report."""
from __future__ import annotations

import json
import os

import pytest

from pipelines.runner import run_vendor
from pipelines.vendors import VENDORS
from sandbox.client import SandboxProcess
from tests.reconcile import assert_matches_truth, duplicate_keys

#: settings that give every listing several pages at the tiny scale
SMALL_PAGES = {
    "shirtigo": {"PAGE_SIZE": "5"},
    "yodify": {"PAGE_SIZE": "5"},
    "enfore": {"DOCUMENT_PAGE_SIZE": "5", "PRODUCTS_PAGE_SIZE": "5"},
    "infigo": {"PAGE_SIZE": "5"},
}
FAULTS = {
    "429 storm": {"rate_429": 0.5, "retry_after_s": 0.02},
    "500/502/503": {"rate_500": 0.1, "rate_502": 0.1, "rate_503": 0.1},
    "slow past the timeout": {"rate_timeout": 0.1, "timeout_s": 1.5},
    "dropped connection": {"rate_drop": 0.2},
    "truncated JSON": {"rate_malformed": 0.2},
    "empty page mid-listing": {"rate_empty_page": 0.2},
    "records change while paging": {"drift_every": 3, "drift_minutes": 20},
}
#: faults also run at the small scale with the configured page sizes, failures at a rate that
#: still fails pages of every listing: half the tiny rate, and a sixth of it at Infigo, whose
#: 1,800 requests would otherwise spend most of a minute in back-off
SMALL_SCALE_FAULTS = {"500/502/503": lambda vendor: {f"rate_{status}": 0.01 if vendor == "infigo" else 0.05
                                                     for status in (500, 502, 503)},
                      "records change while paging": lambda vendor: FAULTS["records change while paging"]}
CELLS = [pytest.param(vendor, fault, "tiny", id=f"{vendor}-{fault}") for vendor in VENDORS for fault in FAULTS] + [
    pytest.param(vendor, fault, "small", id=f"{vendor}-{fault}-small") for vendor in VENDORS
    for fault in SMALL_SCALE_FAULTS]


def report(cell: dict) -> None:
    path = os.environ.get("VENDORSYNC_FAULT_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(cell) + "\n")


@pytest.mark.parametrize("vendor, fault, scale", CELLS)
def test_fault_cell_ends_equal_to_the_truth(project, vendor, fault, scale):
    with SandboxProcess(seed=23, scale=scale, vendors=[vendor]) as sandbox:
        project.point_at(sandbox)
        if scale == "tiny":
            for key, value in SMALL_PAGES[vendor].items():
                project.set(f"SOURCES__{vendor.upper()}__{key}", value)
        project.set(f"SOURCES__{vendor.upper()}__REQUEST_TIMEOUT_S", "0.5")
        project.set(f"SOURCES__{vendor.upper()}__MAX_ATTEMPTS", "10")
        spec = SMALL_SCALE_FAULTS[fault](vendor) if scale == "small" else FAULTS[fault]
        sandbox.control.set_faults(vendor, **spec)
        first = run_vendor(VENDORS[vendor], project.paths())
        injected = sandbox.control.stats()[vendor]["faults_injected"]
        sandbox.control.set_faults(vendor)
        runs = [first]
        if fault == "records change while paging":
            assert first.ok, first.error
            runs.append(run_vendor(VENDORS[vendor], project.paths()))   # the next run catches up
        assert all(r.ok for r in runs), [r.error for r in runs]
        truth = sandbox.control.truth(vendor)
        duplicates = duplicate_keys(project, vendor)
        report({"vendor": vendor, "fault": fault, "scale": scale, "injected": sum(injected.values()) or None,
                "drifted_minutes": spec.get("drift_minutes"),
                "requests": sum(r.total_requests for r in runs),
                "retried": sum(r.total_retries for r in runs), "duplicates": sum(duplicates.values())})
        assert duplicates == {}
        assert_matches_truth(vendor, project, truth)          # nothing lost, nothing stale
        if fault != "records change while paging":
            assert sum(injected.values()) > 0, "the cell must inject its fault"


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_a_fault_that_outlasts_the_retries_fails_clearly_and_moves_no_cursor(project, vendor):
    with SandboxProcess(seed=29, scale="tiny", vendors=[vendor]) as sandbox:
        project.point_at(sandbox)
        project.set(f"SOURCES__{vendor.upper()}__MAX_ATTEMPTS", "2")
        sandbox.control.set_faults(vendor, rate_503=1.0)
        failed = run_vendor(VENDORS[vendor], project.paths())
        assert not failed.ok and failed.error.startswith(f"{vendor}: ") and "503" in failed.error
        assert "Traceback" not in failed.error and "\n" not in failed.error
        # nothing, not even a cursor, was committed
        assert not project.warehouse.exists() or project.query(
            "select count(*) from information_schema.tables "
            f"where table_schema = 'raw_{vendor}' and table_name = '_dlt_pipeline_state'") == [(0,)]
        sandbox.control.set_faults(vendor)
        again = run_vendor(VENDORS[vendor], project.paths())
        assert again.ok, again.error
        assert_matches_truth(vendor, project, sandbox.control.truth(vendor))
