"""Where each documented field of a loaded record lands in the raw tables: a column named
after it (snake_case for Infigo's PascalCase), columns flattened from it (`field__sub`), a
child table (`<table>__<field>`), or a home the source names (`aliases`: field -> column or
`table:<name>`). A field with none must be in the source's `NOT_LOADED` with a reason that
its module docstring also gives."""
from __future__ import annotations

import re


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def raw_columns(project, dataset: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, column in project.query("select table_name, column_name from information_schema.columns "
                                       f"where table_schema = '{dataset}'"):
        out.setdefault(table, set()).add(column)
    return out


def homeless(project, dataset: str, table: str, fields, aliases: dict | None = None) -> list[str]:
    """The documented `fields` of rows in `table` that have no home in the warehouse."""
    tables = raw_columns(project, dataset)
    columns = tables.get(table, set())
    missing = []
    for field in fields:
        homes = (aliases or {}).get(field) or [field, snake(field)]
        homes = [homes] if isinstance(homes, str) else homes
        found = False
        for home in homes:
            if home.startswith("table:"):
                found |= home[6:] in tables
            else:
                name = home.lower()
                found |= name in columns or any(c.startswith(name + "__") for c in columns) \
                    or f"{table}__{name}" in tables
        if not found:
            missing.append(field)
    return missing


def check(project, dataset: str, module, record_type: str, table: str, fields, aliases: dict | None = None) -> dict:
    """Counts for one record type: documented, loaded, deliberately skipped, and the
    `missing` ones (no home, no written reason: `assert_all_home` fails on them)."""
    skipped = getattr(module, "NOT_LOADED", {}).get(record_type, {})
    docstring = module.__doc__ or ""
    for field, reason in skipped.items():
        assert reason and field in docstring, f"{record_type}.{field}: skipped without a reason in the docstring"
    missing = [f for f in homeless(project, dataset, table, fields, aliases) if f not in skipped]
    fields = list(fields)
    return {"documented": len(fields), "loaded": len([f for f in fields if f not in skipped and f not in missing]),
            "skipped": len([f for f in fields if f in skipped]), "missing": missing}


def assert_all_home(counts: dict) -> None:
    missing = {k: v["missing"] for k, v in counts.items() if v["missing"]}
    assert not missing, f"documented fields with no home in the raw tables: {missing}"
