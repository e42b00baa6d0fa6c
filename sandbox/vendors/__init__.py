"""Registry of vendor simulators: name -> VendorSim subclass."""
from __future__ import annotations

from .infigo import InfigoSim
from .shirtigo import ShirtigoSim
from .yodify import YodifySim

SIMULATORS = {
    ShirtigoSim.name: ShirtigoSim,
    InfigoSim.name: InfigoSim,
    YodifySim.name: YodifySim,
}
