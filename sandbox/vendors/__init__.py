"""Registry of vendor simulators: name -> VendorSim subclass."""
from __future__ import annotations

from .infigo import InfigoSim
from .shirtigo import ShirtigoSim

SIMULATORS = {
    ShirtigoSim.name: ShirtigoSim,
    InfigoSim.name: InfigoSim,
}
