"""Schema drift: a new field arrives as a column, a number sent as a string still loads, a
string where an object was is quarantined with its reason, an unknown status is flagged by
the marts' tests; nothing crashes the run and nothing is dropped silently."""
from __future__ import annotations

import json
from decimal import Decimal

from tests.helpers import sync


def test_drifted_orders_load_or_are_quarantined_with_a_reason(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    fresh_sandbox.control.configure("shirtigo", schema_drift=True)
    truth = fresh_sandbox.control.truth("shirtigo")
    drift = truth["drift"]
    assert all(drift.values()), drift             # the scenario has every kind of drift

    result = sync(project, "shirtigo")
    assert result.rows["quarantine"] == len(drift["string_object"])
    quarantined = project.query("select record_key, resource, reason, payload from raw_shirtigo.quarantine")
    assert {r[0] for r in quarantined} == set(drift["string_object"])
    for _, resource, reason, payload in quarantined:
        assert resource == "orders" and "expected a Money object, got str" in reason
        assert json.loads(payload)["gross_price"].endswith(" EUR")      # the raw record is kept

    loaded = dict(project.query("select reference, net_price from raw_shirtigo.orders"))
    docs = {d["id"]: d for d in truth["documents"]}
    assert set(loaded) == set(docs) - set(drift["string_object"])
    for ref in drift["string_number"]:                                   # "1295" read as 12.95
        assert loaded[ref] is not None and loaded[ref] > Decimal(0)
    # the field the document does not know arrived as a column
    assert project.scalar("select count(*) from raw_shirtigo.orders where gift_message = 'Alles Gute!'") \
        == len(loaded)
    statuses = dict(project.query("select reference, status_key from raw_shirtigo.orders"))
    assert {statuses[r] for r in drift["unknown_status"]} == {"on_hold"}


def test_unknown_status_is_surfaced_by_the_marts_tests(project, fresh_sandbox):
    project.point_at(fresh_sandbox)
    fresh_sandbox.control.configure("shirtigo", schema_drift=True)
    proc = project.cli("sync", "--vendor", "shirtigo")
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    assert "status" in output and "on_hold" in output, output       # named where a user sees it
    unmapped = project.query("select distinct vendor_status from marts.fct_orders where status is null")
    assert unmapped == [("on_hold",)]
