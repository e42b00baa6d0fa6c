"""Tokens and passwords never appear in anything a run writes: logs, error messages, the run
ledger, dlt's state and trace, dbt's artifacts, the console."""
from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import dlt


def is_secret(setting: str) -> bool:
    """Credentials that are secrets (ids such as an org id or a client id are not)."""
    return any(word in setting for word in ("key", "secret", "token", "password"))


def forms(secret: str) -> list[bytes]:
    return [s.encode() for s in (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode(),
                                 base64.b64encode(f"{secret}:".encode()).decode())]


def files_containing(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(path.relative_to(root)))
    return hits


def test_no_secret_in_anything_a_run_writes(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    secrets = [str(value) for info in sandbox_tiny.state["vendors"].values()
               for key, value in info["credentials"].items() if is_secret(key)]
    outputs = [project.cli("-v", "sync")]                            # every vendor, with dbt
    wrong = []
    for name, info in sandbox_tiny.state["vendors"].items():         # now every credential refused
        for key in filter(is_secret, info["credentials"]):
            wrong.append(f"wrong-{name}-{key}-0c9f7e5d3b1a")
            project.set(f"SOURCES__{name.upper()}__{key.upper()}", wrong[-1])
    outputs.append(project.cli("-v", "--log-format", "json", "sync"))
    assert [p.returncode for p in outputs] == [0, 2], outputs[1].stdout + outputs[1].stderr

    needles = [n for secret in secrets + wrong for n in forms(secret)]
    for proc in outputs:
        assert not any(n.decode() in proc.stdout + proc.stderr for n in needles)
    assert proc.stdout.count("refused") + proc.stdout.count("rejected") >= len(sandbox_tiny.state["vendors"])
    assert files_containing(project.data_dir, needles) == []
    ledger = project.query("select coalesce(error, ''), cast(detail as varchar) from ops.run_ledger")
    assert ledger and not any(n.decode() in " ".join(map(str, row)) for row in ledger for n in needles)
    for vendor in sandbox_tiny.state["vendors"]:
        state = dlt.pipeline(f"vendorsync_{vendor}", pipelines_dir=str(project.paths().pipelines_dir)).state
        assert not any(n.decode() in str(state) for n in needles)


URL_PASSWORD = "url-pass-7d41c9e2b8a3"


def test_a_credential_in_a_base_url_is_in_nothing_a_run_writes(project, sandbox_tiny):
    """`http://user:pass@host/api`: the sync may work or be refused, but the password is in no
    file under the data dir, no text column of the warehouse, and neither stdout nor stderr."""
    project.point_at(sandbox_tiny)
    shirtigo = sandbox_tiny.vendor("shirtigo")["base_url"].replace("http://", f"http://ops:{URL_PASSWORD}@")
    project.set("SOURCES__SHIRTIGO__BASE_URL", shirtigo)
    project.set("SOURCES__YODIFY__BASE_URL", f"http://ops:{URL_PASSWORD}@127.0.0.1:9/api/v1")  # refused
    project.set("SOURCES__YODIFY__MAX_ATTEMPTS", "2")
    runs = [project.cli("-v", "sync", "--vendor", "shirtigo", "--vendor", "yodify"),
            project.cli("-v", "--log-format", "json", "sync", "--vendor", "shirtigo", "--vendor", "yodify"),
            project.cli("status", "--vendor", "shirtigo", "--vendor", "yodify")]
    assert runs[0].returncode in (1, 2, 3), runs[0].stdout + runs[0].stderr
    assert "127.0.0.1:9" in runs[0].stdout                 # the failing vendor's URL is shown, without password
    needles = forms(URL_PASSWORD)
    for proc in runs:
        assert URL_PASSWORD not in proc.stdout + proc.stderr
    assert files_containing(project.data_dir, needles) == []
    columns = project.query("select table_schema, table_name, column_name from information_schema.columns "
                            "where data_type in ('VARCHAR', 'JSON') and table_schema not in ('information_schema', 'pg_catalog')")
    assert columns
    for schema, table, column in columns:
        hits = project.scalar(f'select count(*) from "{schema}"."{table}" '
                              f"where cast(\"{column}\" as varchar) like '%{URL_PASSWORD}%'")
        assert hits == 0, f"{schema}.{table}.{column}"
