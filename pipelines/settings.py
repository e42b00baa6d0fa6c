"""Where things live. One place decides the project, data, warehouse and dbt paths, which
warehouse (destination) a run uses, and sets the environment dlt and dbt read."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

#: the warehouses vendorsync runs on: dlt destination name = dbt target name in profiles.yml
DESTINATIONS = ("duckdb", "postgres")
DEFAULT_DESTINATION = "duckdb"


def find_project_dir() -> Path:
    """`VENDORSYNC_PROJECT_DIR`, else the checkout this package runs from (editable install),
    else the current directory."""
    explicit = os.environ.get("VENDORSYNC_PROJECT_DIR")
    if explicit:
        return Path(explicit).resolve()
    for candidate in (Path.cwd(), PACKAGE_ROOT):
        if (candidate / "dbt_project" / "dbt_project.yml").exists():
            return candidate
    return Path.cwd()


@dataclass(frozen=True)
class Paths:
    project_dir: Path
    data_dir: Path
    warehouse: Path                      # the DuckDB file (destination duckdb only)
    destination: str = DEFAULT_DESTINATION

    @property
    def state_dir(self) -> Path:
        """Local state that belongs to one warehouse: dlt's pipeline folders (their cursors
        must never follow a user to another warehouse), dbt's artifacts, the lock files.
        DuckDB keeps them in the data dir itself; a server warehouse in `data/<destination>/`."""
        return self.data_dir if self.destination == DEFAULT_DESTINATION else self.data_dir / self.destination

    @property
    def lock_anchor(self) -> Path:
        """The lock files (`pipelines.lock`) are named after this path: beside the DuckDB file,
        or `data/postgres/postgres.*.lock` for the PostgreSQL warehouse."""
        return self.warehouse if self.destination == DEFAULT_DESTINATION else self.state_dir / self.destination

    @property
    def pipelines_dir(self) -> Path:
        """dlt's working folders, one set per DuckDB file (`<name>-<hash of its path>`), so two
        warehouses of one data dir never share a run's scratch files. Their state is only a copy:
        every run lays it anew from the warehouse (`pipelines.state`)."""
        if self.destination != DEFAULT_DESTINATION:
            return self.state_dir / "pipelines"
        digest = hashlib.sha256(str(self.warehouse).encode()).hexdigest()[:10]
        return self.state_dir / "pipelines" / f"{self.warehouse.stem}-{digest}"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def dbt_artifacts_dir(self) -> Path:
        return self.state_dir / "dbt"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "vendorsync.log"

    @property
    def sandbox_state(self) -> Path:
        return self.data_dir / "sandbox.json"


def resolve_paths(warehouse: str | Path | None = None, destination: str | None = None) -> Paths:
    project = find_project_dir()
    data = Path(os.environ.get("VENDORSYNC_DATA_DIR", project / "data")).resolve()
    wh = Path(warehouse or os.environ.get("VENDORSYNC_WAREHOUSE") or data / "warehouse.duckdb").resolve()
    return Paths(project, data, wh, choose_destination(project, destination))


class PathProblem(ValueError):
    """A data or warehouse path or setting that cannot be used; the message says which and
    what to do."""


def choose_destination(project: Path, explicit: str | None = None) -> str:
    """`--destination`, else VENDORSYNC_DESTINATION, else `[vendorsync] destination` in
    .dlt/config.toml, else DuckDB."""
    name = explicit or os.environ.get("VENDORSYNC_DESTINATION")
    if not name:
        os.environ.setdefault("DLT_PROJECT_DIR", str(project))      # the .dlt/ dlt reads
        import dlt

        name = dlt.config.get("vendorsync.destination") or DEFAULT_DESTINATION
    name = str(name).strip().lower()
    if name not in DESTINATIONS:
        raise PathProblem(f"unknown destination {name!r}: choose {' or '.join(DESTINATIONS)} (--destination, "
                          "VENDORSYNC_DESTINATION or [vendorsync] destination in .dlt/config.toml)")
    return name


def _ensure_dir(path: Path, what: str, fix: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise PathProblem(f"{what} {path} cannot be created: a file is in the way. {fix}") from None
    except PermissionError:
        raise PathProblem(f"{what} {path} cannot be created: permission denied. {fix}") from None
    if not os.access(path, os.W_OK):
        raise PathProblem(f"{what} {path} is not writable. {fix}")


def prepare_environment(paths: Paths) -> None:
    """dlt reads `.dlt/` from DLT_PROJECT_DIR; dbt's profiles.yml reads VENDORSYNC_WAREHOUSE.
    Raises PathProblem when the data or warehouse folder cannot be used."""
    os.environ.setdefault("DLT_PROJECT_DIR", str(paths.project_dir))
    os.environ["VENDORSYNC_WAREHOUSE"] = str(paths.warehouse)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    _ensure_dir(paths.data_dir, "the data folder", "Set VENDORSYNC_DATA_DIR to a writable folder.")
    if paths.destination != DEFAULT_DESTINATION:            # a server warehouse: no file of ours
        _ensure_dir(paths.state_dir, "the warehouse's state folder", "Set VENDORSYNC_DATA_DIR to a writable folder.")
        return
    _ensure_dir(paths.warehouse.parent, "the warehouse folder",
                "Pass --warehouse (or set VENDORSYNC_WAREHOUSE) with a path in a writable folder.")
    if paths.warehouse.exists() and not os.access(paths.warehouse, os.W_OK):
        raise PathProblem(f"the warehouse {paths.warehouse} is read-only. Make it writable, or pass "
                          "--warehouse with another path.")
