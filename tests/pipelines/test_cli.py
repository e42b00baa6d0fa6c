"""The `vendorsync` command as a user runs it: exit codes, one-line errors with no traceback
and no secret, and a second sync that loads nothing new."""
from __future__ import annotations

import pytest

WRONG_KEY = "wrong-key-4f1c9a7e2b6d8e0f"


def assert_one_clean_error(proc, *needles: str, secret: str | None = None) -> None:
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    errors = [line for line in proc.stderr.splitlines() if line.startswith("vendorsync: error:")] or \
             [line for line in output.splitlines() if all(n in line for n in needles)]
    assert errors, output
    assert all(n in errors[0] for n in needles), errors[0]
    if secret:
        assert secret not in output


def test_wrong_key_is_one_line_naming_vendor_and_setting(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    project.set("SOURCES__SHIRTIGO__API_KEY", WRONG_KEY)
    proc = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 2
    assert_one_clean_error(proc, "shirtigo", "sources.shirtigo.api_key", "401", secret=WRONG_KEY)


def test_missing_key_names_the_setting(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    project.monkeypatch.delenv("SOURCES__SHIRTIGO__API_KEY")
    project.env.pop("SOURCES__SHIRTIGO__API_KEY")
    proc = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 2
    assert_one_clean_error(proc, "shirtigo", "sources.shirtigo.api_key", "secrets.toml")


@pytest.mark.parametrize("args, needle", [
    (["sync", "--vendor", "amazon"], "unknown vendor amazon"),
    (["sync", "--vendor", "shirtigo", "--resource", "invoices"], "shirtigo has no resource invoices"),
])
def test_unknown_names_are_usage_errors(project, args, needle):
    proc = project.cli(*args)
    assert proc.returncode == 2
    assert_one_clean_error(proc, needle)


def test_unreachable_vendor_names_the_base_url_setting(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    project.set("SOURCES__SHIRTIGO__BASE_URL", "http://127.0.0.1:9/api")
    project.set("SOURCES__SHIRTIGO__MAX_ATTEMPTS", "2")
    proc = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 1
    assert_one_clean_error(proc, "shirtigo", "cannot connect", "sources.shirtigo.base_url")


def test_sync_twice_loads_no_duplicates_and_records_runs(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    first = project.cli("sync", "--no-transform")
    assert first.returncode == 0, first.stdout + first.stderr
    counts = project.query("select (select count(*) from raw_shirtigo.orders), "
                           "(select count(*) from raw_shirtigo.orders__lines), "
                           "(select count(*) from raw_shirtigo.payments)")
    second = project.cli("sync", "--no-transform")
    assert second.returncode == 0, second.stdout + second.stderr
    assert project.query("select (select count(*) from raw_shirtigo.orders), "
                         "(select count(*) from raw_shirtigo.orders__lines), "
                         "(select count(*) from raw_shirtigo.payments)") == counts
    runs = project.query("select run_id, rows, status from ops.run_ledger "
                         "where vendor = 'shirtigo' and resource = '*' and command = 'sync' order by started_at")
    assert len(runs) == 2 and all(status == "success" for _, _, status in runs)
    assert runs[0][1] > 0 and runs[1][1] == 0


def test_an_install_without_the_sandbox_syncs_and_says_how_to_get_the_demo(project, sandbox_tiny, tmp_path):
    """`vendorsync[sandbox]` is optional: without aiohttp a real vendor still syncs, and the
    commands that need the simulators say how to install them (exit 2, one line)."""
    hidden = tmp_path / "hidden" / "aiohttp"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'aiohttp'\")\n")
    project.set("PYTHONPATH", str(hidden.parent))
    project.point_at(sandbox_tiny, vendors=["shirtigo"])

    sync = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert project.scalar("select count(*) from raw_shirtigo.orders") > 0
    for args in (("demo",), ("sandbox", "serve", "--port-base", "0")):
        proc = project.cli(*args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "pip install 'vendorsync[sandbox]'" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    # driving a running sandbox needs only its HTTP client
    truth = project.cli("sandbox", "truth", "shirtigo", "--state-file", str(sandbox_tiny.state_file))
    assert truth.returncode == 0 and '"orders"' in truth.stdout, truth.stdout + truth.stderr
