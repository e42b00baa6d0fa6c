"""dlt sources, one package per vendor, on a shared HTTP/paging/window layer (`sources.common`).

Each vendor package exposes `source(...)` (the `@dlt.source`) and `VENDOR` (its name); the
vendor's readings of its own document are written in the package docstring.
"""
