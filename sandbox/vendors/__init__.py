"""Registry of vendor simulators: name -> VendorSim subclass."""
from __future__ import annotations

from .enfore import EnforeSim
from .shirtigo import ShirtigoSim

SIMULATORS = {
    ShirtigoSim.name: ShirtigoSim,
    EnforeSim.name: EnforeSim,
}
