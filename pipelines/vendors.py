"""The vendors vendorsync knows: name -> its source package under `sources/`."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Vendor:
    name: str
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(self.load().RESOURCES)

    @property
    def windowed_resources(self) -> tuple[str, ...]:
        return tuple(self.load().WINDOWED_RESOURCES)

    @property
    def transformers(self) -> dict[str, str]:
        """transformer -> the resource it reads from, as the source declares them."""
        return dict(self.load().TRANSFORMERS)

    @property
    def pipeline_name(self) -> str:
        return f"vendorsync_{self.name}"

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"


VENDORS: dict[str, Vendor] = {
    v.name: v for v in [
        Vendor("shirtigo", "sources.shirtigo"),
        Vendor("yodify", "sources.yodify"),
        Vendor("enfore", "sources.enfore"),
        Vendor("infigo", "sources.infigo"),
    ]
}


class UnknownName(ValueError):
    pass


def pick_vendors(names: list[str] | None) -> list[Vendor]:
    if not names:
        return list(VENDORS.values())
    unknown = [n for n in names if n not in VENDORS]
    if unknown:
        raise UnknownName(f"unknown vendor {', '.join(unknown)}; choose from {', '.join(VENDORS)}")
    return [VENDORS[n] for n in dict.fromkeys(names)]


def check_resources(vendor: Vendor, names: list[str] | None, windowed_only: bool = False) -> list[str] | None:
    if not names:
        return None
    allowed = vendor.windowed_resources if windowed_only else vendor.resources
    unknown = [n for n in names if n not in allowed]
    if unknown:
        what = "windowed resource" if windowed_only else "resource"
        raise UnknownName(f"{vendor.name} has no {what} {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(names))


def resources_for(vendors: list[Vendor], names: list[str] | None) -> dict[str, list[str] | None]:
    """vendor -> the `--resource` names it has (None: all of its resources). A name applies to
    every selected vendor that has it; vendors that have none of the names are left out. Only
    a name that no selected vendor has is an error."""
    if not names:
        return {v.name: None for v in vendors}
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if not any(n in v.resources for v in vendors)]
    if unknown:
        offered = sorted({r for v in vendors for r in v.resources})
        who = vendors[0].name if len(vendors) == 1 else "none of " + ", ".join(v.name for v in vendors)
        raise UnknownName(f"{who} has no resource {', '.join(unknown)}; choose from {', '.join(offered)}")
    picked = {v.name: [n for n in names if n in v.resources] for v in vendors}
    return {vendor: chosen for vendor, chosen in picked.items() if chosen}
