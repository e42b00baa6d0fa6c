"""Registry of vendor simulators: name -> VendorSim subclass."""
from __future__ import annotations

from .shirtigo import ShirtigoSim

SIMULATORS = {
    ShirtigoSim.name: ShirtigoSim,
}
