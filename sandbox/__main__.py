"""`python -m sandbox serve|advance ...` — the same commands as `vendorsync sandbox ...`."""
from .cli import main

raise SystemExit(main())
