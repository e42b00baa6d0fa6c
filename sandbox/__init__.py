"""Local simulators of the four vendor APIs (Shirtigo, Yodify, enfore, Infigo).

Each simulator is written from the vendor's own document, independently of `sources/`
(neither package imports the other), so a misreading on either side shows up as a failing
test instead of being shared by both.

The sandbox is one process serving one real HTTP server per vendor on loopback, plus a
control server (clock, faults, ground truth). See `sandbox.server` and `sandbox.control`.
"""
