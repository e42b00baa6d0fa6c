"""Every user mistake gets one line that says what to fix, a non-zero exit, no traceback and
no secret."""
from __future__ import annotations

import duckdb
import pytest

SECRET = "sk-test-5b7d1e9a3c2f4a6b"


def one_clean_line(proc) -> str:
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and SECRET not in output, output
    lines = [ln for ln in output.splitlines() if ln.startswith("vendorsync: error:") or ln.startswith("  shirtigo:")]
    assert lines, output
    return lines[0]


@pytest.mark.parametrize("setting, value, needle", [
    ("PAGE_SIZE", "a-hundred", "sources.shirtigo.page_size"),
    ("BASE_URL", "cockpit.shirtigo.de/api", "sources.shirtigo.base_url"),
    ("START_DATE", "last tuesday", "sources.shirtigo.start_date"),
    ("SOURCE_TIMEZONE", "Mars/Olympus", "sources.shirtigo.source_timezone"),
    ("PAGE_SIZE", "0", "sources.shirtigo.page_size"),
])
def test_malformed_settings_name_the_setting(project, sandbox_tiny, setting, value, needle):
    project.point_at(sandbox_tiny)
    project.set(f"SOURCES__SHIRTIGO__{setting}", value)
    proc = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 2
    assert needle in one_clean_line(proc)


def test_wrong_credentials_never_show_the_secret(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    project.set("SOURCES__SHIRTIGO__API_KEY", SECRET)
    proc = project.cli("-v", "sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 2
    assert "sources.shirtigo.api_key" in one_clean_line(proc)


def test_a_warehouse_held_by_another_process_is_named(project, sandbox_tiny):
    project.point_at(sandbox_tiny)
    assert project.cli("sync", "--vendor", "shirtigo", "--no-transform").returncode == 0
    holder = duckdb.connect(str(project.warehouse))        # an analyst left a session open
    try:
        proc = project.cli("sync", "--vendor", "shirtigo", "--no-transform")
    finally:
        holder.close()
    assert proc.returncode == 7                             # not 4: no vendorsync run holds it
    line = one_clean_line(proc)
    assert "held by pid" in line and "read-only" in line and "--wait" in line


def test_an_unwritable_warehouse_path_is_named(project, sandbox_tiny, tmp_path):
    project.point_at(sandbox_tiny)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    proc = project.cli("--warehouse", str(blocker / "warehouse.duckdb"), "sync", "--vendor", "shirtigo", "--no-transform")
    assert proc.returncode == 2
    assert "--warehouse" in one_clean_line(proc)


def test_unknown_command_and_options_are_usage_errors(project):
    for args in (["synch"], ["sync", "--vendors", "shirtigo"], ["backfill", "--vendor", "shirtigo"]):
        proc = project.cli(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and "usage:" in proc.stderr


@pytest.mark.parametrize("file_name, broken_line", [
    ("config.toml", "page_size = 100 100"),
    ("secrets.toml", f"api_key = {SECRET}"),                  # a value without its quotes
])
def test_a_malformed_settings_file_is_one_line_naming_file_and_line(project, file_name, broken_line):
    settings = project.dlt_dir / ".dlt" / file_name
    lines = settings.read_text().splitlines() if settings.exists() else []
    lines += ["", "[sources.shirtigo]" if file_name == "secrets.toml" else "[sources.extra]", broken_line]
    settings.write_text("\n".join(lines) + "\n")
    for args in (["sync", "--vendor", "shirtigo", "--no-transform"], ["status"]):
        proc = project.cli(*args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        output = (proc.stdout + proc.stderr).strip().splitlines()
        assert len(output) == 1 and "Traceback" not in proc.stderr and SECRET not in proc.stderr, output
        assert str(settings) in output[0] and f"line {len(lines)}," in output[0], output[0]
