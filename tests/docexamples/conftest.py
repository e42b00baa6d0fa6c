"""Fixtures of the document-example tests: each vendor's example server, and a project whose
sources point at it."""
from __future__ import annotations

import json

import pytest

from tests.docexamples.server import ExampleServer


def orphans(project, dataset: str, parent: str, child: str) -> int:
    """Rows of a nested table whose parent row is not in the warehouse."""
    return project.scalar(f"select count(*) from {dataset}.{child} c where not exists "
                          f"(select 1 from {dataset}.{parent} p where p._dlt_id = c._dlt_parent_id)")


def status_of(project, vendor: str) -> dict:
    out = project.cli("status", "--vendor", vendor, "--json")
    assert out.returncode in (0, 1), out.stderr
    return next(v for v in json.loads(out.stdout) if v["vendor"] == vendor)


@pytest.fixture
def example_server():
    servers = []

    def start(routes, now=None) -> ExampleServer:
        server = ExampleServer(routes, now=now).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
