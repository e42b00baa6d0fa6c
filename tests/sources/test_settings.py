"""Every vendor's settings go through one checker (`sources.common.settings`): a value of the
wrong kind or out of its range is one config error naming the setting and where to set it,
and the source function's defaults are the settings class's."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import fields

import pytest

from pipelines.vendors import VENDORS
from sources.common.errors import VendorConfigError


def settings_of(vendor: str):
    return importlib.import_module(f"sources.{vendor}.settings").Settings


def valid(vendor: str) -> dict:
    cls = settings_of(vendor)
    return {**{f.name: f.default for f in fields(cls)}, **{name: "set" for name in cls.credentials}}


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_the_defaults_pass_and_are_the_source_functions_defaults(vendor):
    cls = settings_of(vendor)
    checked = cls.checked(valid(vendor))
    parameters = inspect.signature(importlib.import_module(f"sources.{vendor}").source).parameters
    for spec in fields(cls):
        assert getattr(checked, spec.name) == spec.default
        assert spec.name in parameters, f"{vendor}: setting {spec.name} is not a parameter of the source"
        assert parameters[spec.name].default == spec.default


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_every_bounded_setting_refuses_what_is_outside_its_range_naming_it(vendor):
    cls = settings_of(vendor)
    bounded = [f for f in fields(cls) if "limits" in f.metadata]
    assert bounded
    for spec in bounded:
        limits = spec.metadata["limits"]
        outside = [v for v in (limits.low - 1 if limits.low is not None else None,
                               limits.high + 1 if limits.high is not None else None,
                               limits.above if limits.above is not None else None, "many") if v is not None]
        for value in outside:
            with pytest.raises(VendorConfigError) as error:
                cls.checked({**valid(vendor), spec.name: value})
            text = str(error.value)
            assert text.startswith(f"{vendor}: {spec.name} must be"), text
            assert f"sources.{vendor}.{spec.name}" in text and "\n" not in text


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_a_missing_credential_is_named(vendor):
    cls = settings_of(vendor)
    for name in cls.credentials:
        with pytest.raises(VendorConfigError, match=f"no {name} is set.*sources.{vendor}.{name}"):
            cls.checked({**valid(vendor), name: "  "})


def test_values_from_config_files_and_environment_variables_are_converted():
    cls = settings_of("infigo")
    checked = cls.checked({**valid("infigo"), "page_size": "50", "rate_limit_window_s": "2.5",
                           "customer_roles": "Registered, Guests ,"})
    assert (checked.page_size, checked.rate_limit_window_s, checked.customer_roles) == (50, 2.5, ("Registered", "Guests"))
    with pytest.raises(VendorConfigError, match="page_size must be a whole number"):
        cls.checked({**valid("infigo"), "page_size": 2.5})
    with pytest.raises(VendorConfigError, match="customer_roles is empty; list at least one value, e.g. Registered,Guests"):
        cls.checked({**valid("infigo"), "customer_roles": " , "})
