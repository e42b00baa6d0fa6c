"""Tokens and passwords never appear in anything a run writes: logs, error messages, the run
ledger, dlt's state and trace, dbt's artifacts, the console."""
from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import dlt


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
    good = sandbox_tiny.vendor("shirtigo")["credentials"]["api_key"]
    bad = "sk-wrong-0c9f7e5d3b1a2468"
    outputs = [project.cli("-v", "sync")]                            # success, with dbt
    project.set("SOURCES__SHIRTIGO__API_KEY", bad)
    outputs.append(project.cli("-v", "--log-format", "json", "sync"))  # refused key
    assert [p.returncode for p in outputs] == [0, 2]

    needles = forms(good) + forms(bad)
    for proc in outputs:
        assert not any(n.decode() in proc.stdout + proc.stderr for n in needles)
    assert files_containing(project.data_dir, needles) == []
    ledger = project.query("select coalesce(error, ''), cast(detail as varchar) from ops.run_ledger")
    assert ledger and not any(n.decode() in " ".join(map(str, row)) for row in ledger for n in needles)
    state = dlt.pipeline("vendorsync_shirtigo", pipelines_dir=str(project.paths().pipelines_dir)).state
    assert not any(n.decode() in str(state) for n in needles)
