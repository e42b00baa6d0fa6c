"""Shared fixtures: real sandbox servers on loopback, an isolated project data dir per test,
helpers to run the real CLI and read the real DuckDB warehouse."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sandbox.client import SandboxProcess

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
                 real_limits: bool = False) -> "Project":
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

        return resolve_paths(self.warehouse)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    return Project(tmp_path, monkeypatch)
