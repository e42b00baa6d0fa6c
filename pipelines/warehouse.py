"""The warehouse as dlt sees it: the destination every pipeline of a run loads into (DuckDB,
the embedded default, or a PostgreSQL server), and plain queries on it through dlt's own SQL
client, so the rest of the application never speaks one database's dialect or driver."""
from __future__ import annotations

from typing import Any, Literal

import dlt
from dlt.common.configuration.exceptions import ConfigFieldMissingException, ConfigurationException
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sources.common.redact import register_secret

from .lock import write_lock
from .settings import Paths

#: the pipeline whose dataset holds the ops tables (ledger, backfill progress); also the
#: handle used for plain queries on the warehouse
OPS_PIPELINE = "vendorsync_ops"
OPS_DATASET = "ops"

POSTGRES_SETTING = "destination.postgres.credentials"
POSTGRES_ENV = "DESTINATION__POSTGRES__CREDENTIALS"
POSTGRES_EXAMPLE = "postgresql://loader:PASSWORD@db.example.com:5432/vendorsync"


class WarehouseSettingError(ValueError):
    """The warehouse's own settings are missing or unusable; the message says what to set."""


def postgres_credentials() -> Any:
    """The PostgreSQL connection from `destination.postgres.credentials` (.dlt/secrets.toml
    or DESTINATION__POSTGRES__CREDENTIALS), resolved by dlt; its password is registered as a
    secret so no log line or error can show it."""
    factory = dlt.destinations.postgres()
    fix = (f"Add it to .dlt/secrets.toml (see .dlt/secrets.toml.example) or set {POSTGRES_ENV}, e.g. "
           f"{POSTGRES_EXAMPLE}")
    try:
        config = factory.configuration(factory.spec()._bind_dataset_name(dataset_name=OPS_DATASET))
    except ConfigFieldMissingException as missing:
        raise WarehouseSettingError(f"the postgres warehouse needs {POSTGRES_SETTING} (missing: "
                                    f"{', '.join(missing.fields)}). {fix}") from None
    except ConfigurationException:      # dlt's message already hides the value
        raise WarehouseSettingError(f"{POSTGRES_SETTING} is not a connection string. {fix}") from None
    register_secret(config.credentials.password)
    return config.credentials


def destination_for(paths: Paths) -> Any:
    """DuckDB at `paths.warehouse` (the embedded default) or the configured PostgreSQL server."""
    if paths.destination == "postgres":
        return dlt.destinations.postgres(credentials=postgres_credentials())
    return dlt.destinations.duckdb(str(paths.warehouse))


def loader_file_format(paths: Paths, bulk: bool = True) -> Literal["parquet", "jsonl", "insert_values"]:
    """How dlt ships rows to the warehouse. DuckDB: parquet for vendor loads (about 5x faster
    than inserts here), jsonl for the small ops tables. PostgreSQL: insert statements, dlt's
    default there (its csv COPY loads an empty string as NULL, and parquet needs the ADBC
    driver)."""
    if paths.destination == "postgres":
        return "insert_values"
    return "parquet" if bulk else "jsonl"


def describe(paths: Paths) -> str:
    """Where the warehouse is, for messages: the DuckDB file, or the server without password."""
    if paths.destination == "postgres":
        c = postgres_credentials()
        return f"postgresql://{c.username}@{c.host}:{c.port}/{c.database}"
    return str(paths.warehouse)


def ops_pipeline(paths: Paths) -> dlt.Pipeline:
    return dlt.pipeline(OPS_PIPELINE, destination=destination_for(paths), dataset_name=OPS_DATASET,
                        pipelines_dir=str(paths.pipelines_dir))


def check_reachable(paths: Paths) -> None:
    """Open one connection (a server warehouse only), so a wrong password or a server that is
    down is one clear error before any vendor starts."""
    if paths.destination != "duckdb":
        with ops_pipeline(paths).sql_client() as client:
            client.execute_sql("select 1")


def query(paths: Paths, sql: str) -> list[tuple]:
    """Rows of a query on the warehouse through dlt's client for its destination; empty when
    a table it reads does not exist yet. Waits for the current writer (DuckDB)."""
    return [tuple(row) for row in _fetch(paths, sql)[1]]


def records(paths: Paths, sql: str) -> list[dict]:
    """`query` as one dict per row, keyed by column name."""
    names, rows = _fetch(paths, sql)
    return [dict(zip(names, row, strict=True)) for row in rows]


def execute(paths: Paths, *statements: str) -> None:
    """Run statements that change the warehouse (DDL), in one session, as the writer."""
    with write_lock(paths.lock_anchor, "ddl"):
        with ops_pipeline(paths).sql_client() as client:
            for statement in statements:
                client.execute_sql(statement)


def _fetch(paths: Paths, sql: str) -> tuple[list[str], list]:
    with write_lock(paths.lock_anchor, "read"):
        try:
            with ops_pipeline(paths).sql_client() as client:
                with client.execute_query(sql) as cursor:
                    names = [d[0] for d in cursor.description or ()]
                    return names, list(cursor.fetchall() if cursor.description else [])
        except DatabaseUndefinedRelation:
            return [], []
