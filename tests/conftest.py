"""Shared fixtures: real sandbox servers on loopback, an isolated project data dir per test,
helpers to run the real CLI and read the real warehouse (a DuckDB file, or a database on a
real PostgreSQL server)."""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg2
import pytest

from sandbox.client import SandboxProcess
from tests.postgres_cluster import URL_ENV, Cluster, ClusterUnavailable

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sandbox_tiny():
    """A read-mostly sandbox shared by a worker's tests. Tests that move its clock or inject
    faults use `fresh_sandbox` instead."""
    with SandboxProcess(seed=7, scale="tiny") as sb:
        yield sb


@pytest.fixture
def fresh_sandbox():
    """A sandbox of this test's own (seed 11, tiny)."""
    with SandboxProcess(seed=11, scale="tiny") as sb:
        yield sb


class Project:
    """An isolated vendorsync project: own data dir and warehouse, sources pointed at a sandbox."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        # a .dlt of its own: the repository's config, and no developer's local secrets
        self.dlt_dir = tmp_path / "project"
        (self.dlt_dir / ".dlt").mkdir(parents=True)
        shutil.copy(ROOT / ".dlt" / "config.toml", self.dlt_dir / ".dlt" / "config.toml")
        self.data_dir = tmp_path / "data"
        self.data_dir.mkdir()
        self.warehouse = self.data_dir / "warehouse.duckdb"
        self.destination = "duckdb"
        self.postgres_url: str | None = None
        self.monkeypatch = monkeypatch
        self.env = {
            "VENDORSYNC_DATA_DIR": str(self.data_dir),
            "VENDORSYNC_PROJECT_DIR": str(ROOT),
            "DLT_PROJECT_DIR": str(self.dlt_dir),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)

    def point_at(self, sandbox: SandboxProcess, vendors: list[str] | None = None,
                 real_limits: bool = False) -> Project:
        """Sources at `sandbox`; documented rate limits are lifted on both sides as the demo
        lifts them (`pipelines.demo.SPEEDUPS`) unless `real_limits`."""
        from pipelines.demo import SPEEDUPS

        for name, info in sandbox.state["vendors"].items():
            if vendors and name not in vendors:
                continue
            prefix = f"SOURCES__{name.upper()}__"
            self.set(prefix + "BASE_URL", info["base_url"])
            for key, value in info["credentials"].items():
                self.set(prefix + key.upper(), str(value))
            speedup = SPEEDUPS.get(name)
            if speedup and not real_limits:
                sandbox.control.configure(name, **speedup.sandbox)
                for key, value in speedup.source.items():
                    self.set(prefix + key.upper(), str(value))
        return self

    def use_postgres(self, url: str) -> Project:
        """This project's warehouse is the PostgreSQL database at `url`, chosen and reached the
        way a user chooses it: VENDORSYNC_DESTINATION and DESTINATION__POSTGRES__CREDENTIALS."""
        self.destination, self.postgres_url = "postgres", url
        self.set("VENDORSYNC_DESTINATION", "postgres")
        self.set("DESTINATION__POSTGRES__CREDENTIALS", url)
        return self

    def set(self, key: str, value: str) -> None:
        self.env[key] = value
        self.monkeypatch.setenv(key, value)

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run the real `vendorsync` command in a child process."""
        env = {**os.environ, **self.env}
        return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen:
        """Start the real `vendorsync` command without waiting (stderr piped, line by line)."""
        env = {**os.environ, **self.env}
        return subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def paths(self):
        from pipelines.settings import resolve_paths

        return resolve_paths(self.warehouse, self.destination)

    def query(self, sql: str) -> list[tuple]:
        if self.destination == "postgres":
            with closing(psycopg2.connect(self.postgres_url)) as con, con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    return Project(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server the tests may create databases on: VENDORSYNC_TEST_POSTGRES_URL
    when given (`.ci/run` exports its cluster's), else a throwaway cluster started here with
    the same helper (tests/postgres_cluster.py) and removed after. Never a skip: without a
    server the PostgreSQL tests fail and say how to provide one."""
    url = os.environ.get(URL_ENV)
    if url:
        yield url
        return
    try:
        cluster = Cluster.start()
    except ClusterUnavailable as problem:
        pytest.fail(f"the PostgreSQL tests need a server: {problem}", pytrace=False)
    try:
        yield cluster.url
    finally:
        cluster.stop()


_databases = itertools.count()


def admin(server_url: str, sql: str) -> None:
    with closing(psycopg2.connect(server_url)) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql)


def create_database(server_url: str) -> str:
    """A new, empty database on the server; its URL. In an ICU en-US collation, like most
    servers' default en_US.UTF-8 (and unlike DuckDB's bytewise text order), so a test on it
    shows the marts do not depend on the server's collation."""
    name = f"vendorsync_test_{os.getpid()}_{next(_databases)}_{uuid.uuid4().hex[:6]}"
    try:
        admin(server_url, f"create database {name} template template0 locale_provider icu icu_locale 'en-US'")
    except psycopg2.Error:          # a server built without ICU: its own default collation
        admin(server_url, f"create database {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def postgres_url_with(url: str, user: str | None = None, password: str | None = None, port: int | None = None,
                      database: str | None = None) -> str:
    """`url` with some of its parts replaced."""
    p = urlsplit(url)
    netloc = f"{user or p.username}:{password or p.password}@{p.hostname}:{port or p.port}"
    return urlunsplit((p.scheme, netloc, f"/{database}" if database else p.path, p.query, ""))


def drop_database(server_url: str, database_url: str) -> None:
    admin(server_url, f"drop database if exists {database_url.rsplit('/', 1)[1]} with (force)")


@pytest.fixture
def postgres_database(postgres_server):
    """A database of this test's own on the PostgreSQL server, dropped after."""
    url = create_database(postgres_server)
    try:
        yield url
    finally:
        drop_database(postgres_server, url)
