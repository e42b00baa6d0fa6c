"""Copies the example blocks the document-example servers serve out of the vendors' seed
documents, verbatim, into `examples/<vendor>/<name>.txt` (run by hand when a document changes:
`python -m tests.docexamples.extract /work/shared/vendor-docs/seeds`). Each block is found by
the text that introduces it in the document, so the copy names the line it came from."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.docexamples.printed import EXAMPLES, block_at, members, members_at, to_json

#: vendor -> seed file, and name -> (the document text before the example, which example after it)
BLOCKS = {
    "enfore": ("001_322f936b81e921dc.txt", {
        "products": ("Product list is successfully returned", "{"),
        "invoices": ("Returns invoices for the specified interval", "{"),
        "credit_memos": ("Returns credit memos for the specified interval", "{"),
    }),
    "shirtigo": ("002_185847681da5f6c1.txt", {
        "orders": ("GET /orders", "{"),
        "payments": ("GET /payments", "{"),
        "products": ("GET /products", "{"),
        "user": ("GET /user", "{"),
    }),
}
#: Yodify prints each object's example as its members (no braces): vendor -> seed, and
#: name -> which `"object": "<type>"` line (1-based occurrence, negative from the end)
MEMBER_BLOCKS = {
    "yodify": ("003_433657943a89d30e.txt", {
        "order": ("order", -1), "product": ("product", -1), "sku": ("sku", -1), "shipment": ("shipment", -1),
        "carrier": ("carrier", -1), "account": ("account", -1), "accountuser": ("accountuser", -1),
        "customer": ("customer", -1), "address": ("address", -1), "brand": ("brand", -1),
        "orderitem": ("orderitem", 1),
    }),
}


def find(lines: list[str], anchor: str, opener: str) -> int:
    """The first line opening a block after the line that is `anchor` (or, failing that, holds it)."""
    at = next((i for i, line in enumerate(lines) if line.strip() == anchor), None)
    if at is None:
        at = next(i for i, line in enumerate(lines) if anchor in line)
    return next(i for i in range(at, len(lines)) if lines[i].startswith(opener))


def main(seeds: Path) -> None:
    for vendor, (seed, blocks) in BLOCKS.items():
        lines = (seeds / seed).read_text().splitlines()
        (EXAMPLES / vendor).mkdir(parents=True, exist_ok=True)
        for name, (anchor, opener) in blocks.items():
            start = find(lines, anchor, opener)
            text, end = block_at(lines, start)
            to_json(text)                   # must parse
            (EXAMPLES / vendor / f"{name}.txt").write_text(
                f"# seeds/{seed} lines {start + 1}-{end}, verbatim\n{text}\n")
    for vendor, (seed, blocks) in MEMBER_BLOCKS.items():
        lines = (seeds / seed).read_text().splitlines()
        (EXAMPLES / vendor).mkdir(parents=True, exist_ok=True)
        for name, (kind, occurrence) in blocks.items():
            at = [i for i, line in enumerate(lines) if line.rstrip(",") == f'  "object": "{kind}"']
            text, first, last = members_at(lines, at[occurrence - 1 if occurrence > 0 else occurrence])
            members(text)                   # must parse
            (EXAMPLES / vendor / f"{name}.txt").write_text(
                f"# seeds/{seed} lines {first + 1}-{last}, verbatim\n{text}\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
