"""Vendor documents print their example payloads in a rendered form, not as JSON: enfore's
reference page puts `- ` before every member and leaves a comma after a last member
(`{- "title": "string", - "detail": "string",}`); Yodify's and Shirtigo's print the members of
an object without its outer braces. `to_json` turns such a block back into the JSON the
vendor sends, changing only that rendering (every key and value stays as printed)."""
from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE / "examples"

_MARKER = re.compile(r'(^|[{\[,]\s*)- ')           # "{- ", "}, - ", "- " at a line start
_TRAILING_COMMA = re.compile(r',(\s*[}\]])')


def to_json(printed: str):
    """The JSON value of a printed example block (enfore's `- ` rendering, or bare members)."""
    lines = [_MARKER.sub(r"\1", line.rstrip()) for line in printed.splitlines()]
    text = _TRAILING_COMMA.sub(r"\1", "\n".join(lines)).strip()
    if not text.startswith(("{", "[")):
        text = "{" + text.rstrip(",") + "}"
        text = _TRAILING_COMMA.sub(r"\1", text)
    return json.loads(text)


def members(printed: str) -> dict:
    """Yodify's rendering: an object's members without its braces, and every closing brace or
    bracket line dropped (`"items": [` followed by a sibling member is an array the renderer
    left empty). Rebuilt from the indentation: a container holds the deeper lines after it."""
    root: dict = {}
    stack: list[tuple[int, object]] = [(-1, root)]
    for raw in printed.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip().rstrip(",")
        while stack[-1][0] >= indent:
            stack.pop()
        container = stack[-1][1]
        key, _, value = line.partition(": ") if isinstance(container, dict) else (None, "", line)
        value = value.strip()
        if value in ("{", "["):
            child: object = {} if value == "{" else []
            stack.append((indent, child))
        else:
            child = json.loads(value)
        if isinstance(container, dict):
            container[json.loads(key)] = child
        else:
            container.append(child)
    return root


def example(vendor: str, name: str):
    """An example block as stored under `examples/<vendor>/<name>.txt` (first line: where in the
    seed document it was copied from), as JSON."""
    text = (EXAMPLES / vendor / f"{name}.txt").read_text().split("\n", 1)[1]
    return members(text) if text.startswith(" ") else to_json(text)


def members_at(lines: list[str], object_line: int) -> tuple[str, int, int]:
    """The members block (Yodify) holding 0-based line `object_line`: from the line after the
    blank line before it to the next blank line; (text, first, after-last)."""
    first = object_line
    while first > 0 and lines[first - 1].strip():
        first -= 1
    last = object_line
    while last < len(lines) and lines[last].strip():
        last += 1
    return "\n".join(lines[first:last]), first, last


def block_at(lines: list[str], start: int) -> tuple[str, int]:
    """The printed block starting at 0-based line `start` (a line beginning with `{` or `[`),
    up to the line that closes it; and the index after it."""
    depth, out = 0, []
    for i in range(start, len(lines)):
        line = lines[i]
        out.append(line)
        in_string = False
        prev = ""
        for ch in line:
            if ch == '"' and prev != "\\":
                in_string = not in_string
            elif not in_string:
                depth += ch in "{["
                depth -= ch in "}]"
            prev = ch
        if depth <= 0:
            return "\n".join(out), i + 1
    raise ValueError(f"unclosed block from line {start + 1}")
