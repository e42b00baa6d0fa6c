"""No dead code in the product: vulture at 60 % confidence, its lowest, so unused functions,
classes, constants and attributes count too, not only unused imports and locals (100 %).
What it cannot see used is listed, with its user, in .ci/vulture_whitelist.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_dead_code_in_sources_and_pipelines():
    proc = subprocess.run([sys.executable, "-m", "vulture", "sources", "pipelines", ".ci/vulture_whitelist.py",
                           "--min-confidence", "60"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout, proc.stdout + proc.stderr
