"""The ops tables (run ledger, backfill progress) merge on their keys whichever way a write
goes: through dlt when the table is new or gains a column, through one SQL transaction when
the table already takes the rows. On DuckDB and on PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipelines import ledger
from sources.common.hints import BIGINT, TEXT, UTC_TS, columns

HINTS = columns(at=UTC_TS, rows=BIGINT, note=TEXT, detail={"data_type": "json"})


def _write(project, records):
    ledger.write_table(project.paths(), "ledger_probe", records, ("run_id", "vendor"), HINTS)


def _exercise(project) -> None:
    at = datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)
    _write(project, [{"run_id": "r1", "vendor": "a", "at": at, "rows": 1, "note": "first", "detail": {"n": 1}},
                     {"run_id": "r1", "vendor": "b", "at": at, "rows": 2, "note": None, "detail": {}}])
    loads = project.scalar("select count(*) from ops._dlt_loads")
    # the table exists now: the same keys again, one changed, one new (no dlt load)
    _write(project, [{"run_id": "r1", "vendor": "a", "at": at, "rows": 10, "note": "again", "detail": {"n": [1, 2]}},
                     {"run_id": "r2", "vendor": "a", "at": at, "rows": 3, "note": "x", "detail": None}])
    rows = project.query("select run_id, vendor, rows, note from ops.ledger_probe order by run_id, vendor")
    assert rows == [("r1", "a", 10, "again"), ("r1", "b", 2, None), ("r2", "a", 3, "x")]
    assert project.scalar("select count(*) from ops._dlt_loads") == loads
    detail = project.scalar("select cast(detail as varchar) from ops.ledger_probe where run_id = 'r1' and vendor = 'a'")
    assert detail.replace(" ", "") == '{"n":[1,2]}'
    assert project.scalar("select count(*) from ops.ledger_probe where _dlt_id is null or _dlt_load_id is null") == 0
    # a column the table lacks: the write goes through dlt, which adds it; nothing is lost
    _write(project, [{"run_id": "r2", "vendor": "a", "at": at, "rows": 4, "note": "y", "detail": None, "extra": "new"}])
    assert project.scalar("select count(*) from ops._dlt_loads") == loads + 1
    rows = project.query("select run_id, vendor, rows, extra from ops.ledger_probe order by run_id, vendor")
    assert rows == [("r1", "a", 10, None), ("r1", "b", 2, None), ("r2", "a", 4, "new")]


def test_ops_writes_merge_on_their_keys_on_duckdb(project):
    _exercise(project)


@pytest.mark.xdist_group("postgres")
def test_ops_writes_merge_on_their_keys_on_postgres(project, postgres_database):
    project.use_postgres(postgres_database)
    _exercise(project)
