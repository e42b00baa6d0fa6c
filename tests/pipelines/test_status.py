"""`vendorsync status` tells the truth about the last attempt: a vendor whose last sync failed
is not FRESH and shows why and when; a cursor that claims rows the warehouse does not hold is
flagged."""
from __future__ import annotations

import json

import duckdb


def test_status_shows_the_last_attempt_and_is_not_fresh_after_it_failed(project, sandbox_tiny):
    project.point_at(sandbox_tiny, vendors=["shirtigo", "yodify"])
    assert project.cli("sync", "--vendor", "shirtigo", "--vendor", "yodify", "--no-transform").returncode == 0
    fresh = project.cli("status", "--vendor", "shirtigo", "--vendor", "yodify", "--json")
    assert fresh.returncode == 0 and all(v["fresh"] for v in json.loads(fresh.stdout))

    for vendor in ("shirtigo", "yodify"):                 # now every vendor fails
        project.set(f"SOURCES__{vendor.upper()}__BASE_URL", "http://127.0.0.1:9/api")
        project.set(f"SOURCES__{vendor.upper()}__MAX_ATTEMPTS", "1")
    failed = project.cli("sync", "--vendor", "shirtigo", "--vendor", "yodify", "--no-transform")
    assert failed.returncode == 1, failed.stdout + failed.stderr

    status = project.cli("status", "--vendor", "shirtigo", "--vendor", "yodify", "--json")
    assert status.returncode == 5, status.stdout + status.stderr
    for v in json.loads(status.stdout):
        assert not v["fresh"] and v["last_success"]
        attempt = v["last_attempt"]
        assert attempt["status"] == "failed" and "cannot connect" in attempt["error"] and attempt["at"]
    text = project.cli("status", "--vendor", "shirtigo").stdout
    assert "FRESH" not in text and "last attempt FAILED" in text and "cannot connect" in text


def test_status_flags_a_cursor_ahead_of_the_data(project, sandbox_tiny):
    project.point_at(sandbox_tiny, vendors=["shirtigo"])
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    clean = json.loads(project.cli("status", "--vendor", "shirtigo", "--json").stdout)[0]
    assert not any(r["cursor_ahead"] for r in clean["resources"])
    # the newest orders vanish from the warehouse (restored from an older copy, say): the cursor
    # still claims them, and the next sync would never load them again
    with duckdb.connect(str(project.warehouse)) as con:
        con.execute("delete from raw_shirtigo.orders where created_at > "
                    "(select max(created_at) - interval 3 day from raw_shirtigo.orders)")
        con.execute("delete from raw_shirtigo.payments")
    status = project.cli("status", "--vendor", "shirtigo", "--json")
    resources = {r["resource"]: r for r in json.loads(status.stdout)[0]["resources"]}
    assert "past the newest created_at" in resources["orders"]["cursor_ahead"]
    assert "holds no rows" in resources["payments"]["cursor_ahead"]
    assert resources["products"]["cursor_ahead"] is None
    assert "CURSOR AHEAD OF DATA" in project.cli("status", "--vendor", "shirtigo").stdout
