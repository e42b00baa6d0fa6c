"""Fixtures of the enfore tests."""
from __future__ import annotations

import pytest

from sandbox.client import SandboxProcess


@pytest.fixture
def busy_sandbox():
    """enfore alone at `small` scale (a dozen sales a day), for scenarios that need volume."""
    with SandboxProcess(seed=11, scale="small", vendors=["enfore"]) as sb:
        yield sb
