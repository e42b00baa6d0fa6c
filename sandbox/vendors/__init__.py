"""Registry of vendor simulators: name -> VendorSim subclass."""
from __future__ import annotations

from .shirtigo import ShirtigoSim
from .yodify import YodifySim

SIMULATORS = {
    ShirtigoSim.name: ShirtigoSim,
    YodifySim.name: YodifySim,
}
