"""PostgreSQL, the proof for every server warehouse: one sandbox world synced by the real CLI
into DuckDB and into a database on a real PostgreSQL server, twice (a first sync, then an
incremental one after the sandbox clock moved on), gives the same marts: the same rows, the
same values, the same sums to the cent.

What may differ by nature is *when* each warehouse loaded a row (`loaded_at`, and the
first-seen times the product contract uses where a vendor gives no timestamp: the load time
of the SCD2 snapshot). No column is left out for it: a time that is one of a warehouse's own
load times compares as "load n of raw_<vendor>", so a row loaded by the second sync in one
warehouse must have been loaded by the second sync in the other.
"""
from __future__ import annotations

import bisect
import json
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlsplit

import psycopg2
import pytest

from sandbox.client import SandboxProcess
from tests.conftest import Project, admin, create_database, drop_database, postgres_url_with
from tests.reconcile import daily_sales, daily_sales_sql, readme_questions, truth_daily_sales

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("postgres")]

SEED, SCALE = 23, "tiny"
#: the marts and the columns that identify a row
MARTS = {
    "fct_orders": ["order_key"],
    "fct_order_lines": ["order_line_key"],
    "dim_customers": ["customer_key"],
    "dim_products": ["product_key"],
    "mart_sales_daily": ["sales_date", "vendor", "currency"],
    "mart_customer_360": ["global_customer_id"],
}
VENDORS = ("shirtigo", "yodify", "enfore", "infigo")
SAME_LOAD = timedelta(microseconds=2)       # a float load id and dlt's datetime may round apart


@pytest.fixture(scope="module")
def twins(tmp_path_factory, postgres_server):
    """The same sandbox world in DuckDB and in PostgreSQL, each through `vendorsync sync` twice."""
    url = create_database(postgres_server)
    analyst = f"analyst_{uuid.uuid4().hex[:8]}"
    try:
        with SandboxProcess(seed=SEED, scale=SCALE) as sandbox, pytest.MonkeyPatch.context() as mp:
            duck = Project(tmp_path_factory.mktemp("duckdb"), mp).point_at(sandbox)
            pg = Project(tmp_path_factory.mktemp("postgres"), mp).point_at(sandbox)
            pg.use_postgres(url)
            duck.env["VENDORSYNC_DESTINATION"] = "duckdb"    # its CLI runs, whatever the process env says
            outputs = []
            for step in ("first sync", "incremental sync"):
                if step == "incremental sync":
                    sandbox.control.advance(hours=30)          # new orders, status changes, refunds
                    pg.analyst_url = grant_analyst(pg, analyst)   # as the README says: after the first sync
                for project in (duck, pg):
                    proc = project.cli("sync")
                    assert proc.returncode == 0, f"{step} into {project.destination}: {proc.stdout + proc.stderr}"
                    outputs.append(proc.stdout + proc.stderr)
            truths = {v: sandbox.control.truth(v) for v in VENDORS}
            yield duck, pg, truths, outputs
    finally:
        drop_database(postgres_server, url)
        admin(postgres_server, f"drop role if exists {analyst}")


def grant_analyst(pg: Project, user: str) -> str:
    """A read-only role on the marts, created with the README's statements; its URL."""
    password = uuid.uuid4().hex
    admin(pg.postgres_url, f"""
        create role {user} login password '{password}';
        grant connect on database {urlsplit(pg.postgres_url).path[1:]} to {user};
        grant usage on schema marts to {user};
        grant select on all tables in schema marts to {user};
        alter default privileges for role {urlsplit(pg.postgres_url).username} in schema marts
            grant select on tables to {user};
    """)
    return postgres_url_with(pg.postgres_url, user=user, password=password)


def load_times(project: Project) -> list[tuple[datetime, str]]:
    """Every load of the warehouse, as (time, "load n of raw_<vendor>"), sorted by time; the
    time computed by the warehouse the way the models compute loaded_at."""
    out = []
    for vendor in VENDORS:
        rows = project.query(f"select to_timestamp(cast(load_id as double precision)) from raw_{vendor}._dlt_loads "
                             "order by load_id")
        out += [(utc(t), f"load {n} of raw_{vendor}") for n, (t,) in enumerate(rows, 1)]
    return sorted(out)


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def comparable(value, loads: list[tuple[datetime, str]]):
    """A cell as it can be compared across warehouses: a timestamp as its UTC instant (or as
    the load it is the time of), a decimal exactly as written (scale included)."""
    if isinstance(value, datetime):
        instant = utc(value)
        i = bisect.bisect_left(loads, (instant - SAME_LOAD, ""))
        if i < len(loads) and abs(loads[i][0] - instant) <= SAME_LOAD:
            return loads[i][1]
        return instant
    if isinstance(value, Decimal):
        return str(value)
    return value


def columns(project: Project, mart: str) -> list[tuple]:
    """(name, numeric precision, numeric scale) in the table's order; type names are the
    warehouse's own (VARCHAR, character varying), precision and scale are comparable."""
    return [tuple(r) for r in project.query(
        "select column_name, numeric_precision, numeric_scale from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position")]


def rows_by_key(project: Project, mart: str) -> dict[tuple, dict]:
    names = [c[0] for c in columns(project, mart)]
    loads = load_times(project)
    out = {}
    for row in project.query(f"select {', '.join(names)} from marts.{mart}"):
        record = {n: comparable(v, loads) for n, v in zip(names, row, strict=True)}
        out[tuple(record[k] for k in MARTS[mart])] = record
    return out


@pytest.mark.parametrize("mart", list(MARTS))
def test_every_mart_holds_the_same_rows_on_postgres_and_duckdb(twins, mart):
    duck, pg, _, _ = twins
    assert columns(pg, mart) == columns(duck, mart)
    in_duck, in_pg = rows_by_key(duck, mart), rows_by_key(pg, mart)
    assert in_duck, f"{mart} is empty"
    assert sorted(in_pg) == sorted(in_duck), f"{mart}: different keys"
    differing = [(key, {c: (in_duck[key][c], in_pg[key][c]) for c in in_duck[key] if in_duck[key][c] != in_pg[key][c]})
                 for key in in_duck if in_pg[key] != in_duck[key]]
    assert differing == [], f"{mart}: {len(differing)} rows differ (duckdb, postgres): {differing[:5]}"


@pytest.mark.parametrize("mart", list(MARTS))
def test_every_mart_sums_to_the_same_cent(twins, mart):
    """Totals computed by each warehouse's own SQL, not only row by row in Python."""
    duck, pg, _, _ = twins
    money = [name for name, precision, scale in columns(duck, mart) if scale]
    sql = f"select count(*){''.join(f', sum({c})' for c in money)} from marts.{mart}"
    [in_duck], [in_pg] = duck.query(sql), pg.query(sql)
    assert [str(v) for v in in_pg] == [str(v) for v in in_duck]
    assert in_duck[0] > 0
    if mart == "fct_orders":
        assert "total" in money and "total_eur" in money


def test_no_model_leaves_a_collation_of_its_own_on_a_column(twins):
    """Text picked in code-point order (macros/bytewise.sql) gets the database's collation
    back; one left behind would change lower() and comparisons downstream."""
    _, pg, _, _ = twins
    assert pg.query("select table_schema, table_name, column_name, collation_name from information_schema.columns "
                    "where table_schema in ('seeds', 'staging', 'intermediate', 'marts') "
                    "and collation_name is not null") == []


def test_postgres_marts_equal_the_vendors_ground_truth(twins):
    _, pg, truths, _ = twins
    for vendor, truth in truths.items():
        assert daily_sales(pg.query(daily_sales_sql(vendor))) == truth_daily_sales(truth), vendor
        assert pg.query(f"select count(*) from marts.fct_orders where vendor = '{vendor}'") == [
            (truth["orders"]["count"],)]


def test_the_readme_questions_give_the_same_answers_on_both(twins):
    """The analysts' SQL of the README runs unchanged on PostgreSQL, with DuckDB's answers
    (DuckDB averages and divides decimals as doubles: a figure on a half cent may round one cent
    apart from PostgreSQL's exact numeric, as the README says)."""
    duck, pg, _, _ = twins
    questions = readme_questions()
    assert len(questions) == 5
    for sql in questions:
        in_duck, in_pg = duck.query(sql), pg.query(sql)
        assert in_duck, sql
        assert len(in_pg) == len(in_duck), sql
        for row_pg, row_duck in zip(in_pg, in_duck, strict=True):
            assert len(row_pg) == len(row_duck)
            for a, b in zip(row_pg, row_duck, strict=True):
                if isinstance(b, (float, Decimal)):
                    assert abs(Decimal(str(a)) - Decimal(str(b))) <= Decimal("0.01"), (sql, row_pg, row_duck)
                else:
                    assert cell(a) == cell(b), (sql, row_pg, row_duck)


def cell(value):
    """A month as its date, whichever type the warehouse gives it."""
    return value.date() if isinstance(value, datetime) else value


def test_documents_come_from_the_same_loads_on_both(twins):
    """Both warehouses hold the same loads per vendor (the first sync's present and history
    slices, then the incremental sync's), and as many fct_orders rows of each load; the newest
    load (the incremental sync) brought some of them."""
    duck, pg, _, _ = twins
    loads = {project.destination: [name for _, name in load_times(project)] for project in (duck, pg)}
    assert sorted(loads["postgres"]) == sorted(loads["duckdb"])
    newest = {f"load {sum(name.endswith(f'raw_{v}') for name in loads['duckdb'])} of raw_{v}" for v in VENDORS}
    by_load = {}
    for project in (duck, pg):
        rows = rows_by_key(project, "fct_orders")
        counts = {}
        for r in rows.values():
            counts[r["loaded_at"]] = counts.get(r["loaded_at"], 0) + 1
        by_load[project.destination] = counts
    assert by_load["postgres"] == by_load["duckdb"]
    assert newest & set(by_load["postgres"]), (newest, by_load["postgres"])


def test_an_analyst_reads_the_marts_rebuilt_since_the_grant_and_nothing_else(twins):
    _, pg, _, _ = twins
    with closing(psycopg2.connect(pg.analyst_url)) as con, con.cursor() as cur:
        for mart in MARTS:                                   # every build recreates the tables
            cur.execute(f"select count(*) from marts.{mart}")
            assert cur.fetchone()[0] > 0
        con.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select count(*) from raw_shirtigo.orders")
        con.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("delete from marts.fct_orders")


def test_status_reads_the_postgres_warehouse(twins):
    _, pg, truths, _ = twins
    proc = pg.cli("status", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = {v["vendor"]: v for v in json.loads(proc.stdout)}
    assert set(report) == set(VENDORS) and all(v["fresh"] for v in report.values())
    orders = {r["resource"]: r for r in report["shirtigo"]["resources"]}["orders"]
    assert orders["rows"] == truths["shirtigo"]["orders"]["count"] and orders["cursor"]


def test_the_postgres_password_is_in_nothing_a_run_writes(twins):
    _, pg, _, outputs = twins
    password = urlsplit(pg.postgres_url).password
    assert len(password) >= 16
    assert not any(password in out for out in outputs)
    hits = [str(p) for p in pg.data_dir.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
    assert hits == []
    # the server's state lives apart from DuckDB's: data/postgres/{pipelines,dbt,*.lock}
    assert (pg.data_dir / "postgres" / "pipelines" / "vendorsync_shirtigo").is_dir()
    assert (pg.data_dir / "postgres" / "postgres.sync.lock").exists()
    assert not (pg.data_dir / "warehouse.duckdb").exists()


def test_demo_runs_on_postgres_and_spares_a_database_it_did_not_create(twins, postgres_database, tmp_path,
                                                                       monkeypatch):
    _, pg, _, _ = twins
    demo = Project(tmp_path, monkeypatch).use_postgres(postgres_database)
    proc = demo.cli("demo", "--scale", "tiny", "--seed", "5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("-> marts match") == len(VENDORS) and "MISMATCH" not in proc.stdout
    assert "psql postgresql://" in proc.stdout and demo.postgres_url not in proc.stdout
    again = demo.cli("demo", "--scale", "tiny", "--seed", "5")         # its own database: rebuilt
    assert again.returncode == 0, again.stdout + again.stderr
    assert demo.query("select count(*) from ops.run_ledger where command = 'demo' and resource = '*'") == [(4,)]

    refused = Project(tmp_path / "other", monkeypatch).use_postgres(pg.postgres_url).cli("demo", "--scale", "tiny")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "did not create" in refused.stderr and "Traceback" not in refused.stderr
    assert pg.query("select count(*) from marts.fct_orders")[0][0] > 0          # untouched
