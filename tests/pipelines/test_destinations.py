"""Choosing the warehouse: `--destination`, VENDORSYNC_DESTINATION or `[vendorsync]
destination` in .dlt/config.toml; a PostgreSQL warehouse whose settings are wrong fails with
one line that says what to fix and never shows the password; its locks and state live in
the data dir, keyed by the destination."""
from __future__ import annotations

import pytest

from pipelines.lock import sync_lock
from tests.conftest import postgres_url_with as changed
from tests.pipelines.test_cli import assert_one_clean_error
from tests.postgres_cluster import free_port

pytestmark = pytest.mark.xdist_group("postgres")


def configure_destination(project, name: str) -> None:
    config = project.dlt_dir / ".dlt" / "config.toml"
    text = config.read_text()
    assert 'destination = "duckdb"' in text
    config.write_text(text.replace('destination = "duckdb"', f'destination = "{name}"', 1))


def test_the_destination_comes_from_the_flag_then_the_environment_then_the_config(project):
    configure_destination(project, "postgres")
    project.monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)
    from_config = project.cli("status")                  # postgres, with no credentials
    assert from_config.returncode == 2
    assert_one_clean_error(from_config, "destination.postgres.credentials", "DESTINATION__POSTGRES__CREDENTIALS",
                           "secrets.toml")
    by_flag = project.cli("--destination", "duckdb", "status")
    assert by_flag.returncode == 5 and "never synced" in by_flag.stdout, by_flag.stdout + by_flag.stderr
    project.set("VENDORSYNC_DESTINATION", "duckdb")
    assert project.cli("status").returncode == 5
    project.set("VENDORSYNC_DESTINATION", "snowflake")
    unknown = project.cli("status")
    assert unknown.returncode == 2
    assert_one_clean_error(unknown, "unknown destination 'snowflake'", "duckdb or postgres")


@pytest.mark.parametrize("credentials, needle", [
    ("not a url", "is not a connection string"),
    ("postgresql://loader@db.example.com:5432/vendorsync", "needs destination.postgres.credentials"),     # no password
])
def test_unusable_postgres_credentials_name_the_setting(project, credentials, needle):
    project.use_postgres(credentials)
    proc = project.cli("sync", "--no-transform")
    assert proc.returncode == 2
    assert_one_clean_error(proc, needle, "destination.postgres.credentials")


def test_a_refused_login_or_a_server_that_is_down_is_one_line_without_the_password(project, postgres_database):
    wrong = "wrong-password-7c1e9a3f5b"
    project.use_postgres(changed(postgres_database, password=wrong))
    refused = project.cli("sync", "--no-transform")
    assert refused.returncode == 2
    assert_one_clean_error(refused, "refused the connection", "password authentication failed",
                           "destination.postgres.credentials", secret=wrong)
    assert wrong not in project.paths().log_file.read_text()

    project.use_postgres(changed(postgres_database, database="no_such_database"))
    missing = project.cli("status")
    assert missing.returncode == 2
    assert_one_clean_error(missing, "refused the connection", "no_such_database")

    project.use_postgres(changed(postgres_database, password=wrong, port=free_port()))
    down = project.cli("sync", "--no-transform")
    assert down.returncode == 1
    assert_one_clean_error(down, "cannot be reached", "Connection refused", secret=wrong)


def test_warehouse_flag_is_for_duckdb_only(project, postgres_database):
    project.use_postgres(postgres_database)
    proc = project.cli("--warehouse", str(project.data_dir / "other.duckdb"), "status")
    assert proc.returncode == 2
    assert_one_clean_error(proc, "--warehouse names a DuckDB file")


def test_postgres_runs_take_the_lock_of_their_own_state_folder(project, postgres_database, sandbox_tiny):
    """One sync at a time per warehouse, as with DuckDB; the lock lives in data/postgres/."""
    project.point_at(sandbox_tiny).use_postgres(postgres_database)
    paths = project.paths()
    assert paths.lock_anchor.parent == project.data_dir / "postgres"
    with sync_lock(paths.lock_anchor, "a running sync").acquire():
        busy = project.cli("sync", "--no-transform")
        assert busy.returncode == 4
        assert_one_clean_error(busy, "busy", "a running sync")
        duckdb_side = project.cli("--destination", "duckdb", "sync", "--vendor", "shirtigo", "--no-transform")
        assert duckdb_side.returncode == 0, duckdb_side.stdout + duckdb_side.stderr   # another warehouse
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    truth = sandbox_tiny.control.truth("shirtigo")["orders"]["count"]
    assert project.query("select count(*) from raw_shirtigo.orders") == [(truth,)]
