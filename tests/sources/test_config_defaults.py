"""`.dlt/config.toml` shows each source's settings with their values; where a setting has a
default in the source, the file must show that default, so the two never disagree (the
code's default is the one that applies when a user's config leaves the key out)."""
from __future__ import annotations

import importlib
import inspect
import tomllib
from pathlib import Path

import pytest

from pipelines.vendors import VENDORS

CONFIG = Path(__file__).resolve().parents[2] / ".dlt" / "config.toml"


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_config_shows_the_source_defaults(vendor):
    shown = tomllib.loads(CONFIG.read_text())["sources"][vendor]
    parameters = inspect.signature(importlib.import_module(f"sources.{vendor}").source).parameters
    defaults = {name: p.default for name, p in parameters.items()
                if p.default is not inspect.Parameter.empty and type(p.default) in (str, int, float, tuple, list)}
    compared = {k: v for k, v in shown.items() if k in defaults}
    differ = {k: (v, defaults[k]) for k, v in compared.items()
              if (list(v) if isinstance(v, (list, tuple)) else v)
              != (list(defaults[k]) if isinstance(defaults[k], (list, tuple)) else defaults[k])}
    assert compared and not differ, f"config.toml vs the source's default: {differ}"
