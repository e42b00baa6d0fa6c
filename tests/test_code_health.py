"""The code's own health, checked on every change: ruff's lint (the rules in pyproject.toml)
over everything, mypy over the shared code (`sources/common`, `pipelines`), no block of six
lines repeated between files of the product, and no dead code in it.

Dead code: vulture at 60 % confidence, its lowest, so unused functions, classes, constants
and attributes count too, not only unused imports and locals (100 %). What it cannot see
used is listed, with its user, in .ci/vulture_whitelist.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    proc = run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_finds_nothing_in_the_shared_code():
    proc = run("mypy")                   # what and how: [tool.mypy] in pyproject.toml
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_six_lines_repeated_between_files_of_the_product():
    """pylint's similarity checker over `sources` and `pipelines` (comments, docstrings,
    imports and signatures aside): shared logic lives once, in `sources/common`."""
    proc = run("pylint", "--disable=all", "--enable=duplicate-code", "--min-similarity-lines=6",
               "--score=no", "sources", "pipelines")
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_no_dead_code_in_sources_and_pipelines():
    proc = run("vulture", "sources", "pipelines", ".ci/vulture_whitelist.py", "--min-confidence", "60")
    assert proc.returncode == 0 and not proc.stdout, proc.stdout + proc.stderr
