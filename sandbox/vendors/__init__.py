"""Registry of vendor simulators: name -> VendorSim subclass (in port order)."""
from __future__ import annotations

from .enfore import EnforeSim
from .infigo import InfigoSim
from .shirtigo import ShirtigoSim
from .yodify import YodifySim

SIMULATORS = {sim.name: sim for sim in (ShirtigoSim, YodifySim, EnforeSim, InfigoSim)}
