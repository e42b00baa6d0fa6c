"""Pages of dict rows to Arrow tables, so dlt loads them without normalizing row by row.

Why: dlt's normalizer takes dict rows one value at a time (flatten nested dicts, unnest lists
into child tables, infer and coerce every value), about 1 ms for an enfore invoice, and it runs
after the extraction, on the critical path of every sync. Arrow tables skip it: dlt writes them
to parquet as they come. `load_as_arrow(source, transformers)` (the runner calls it on every source) converts
the pages of each eligible resource (a merge table with a primary key and a fixed table name:
the documents and their lines) into the tables the normalizer would have made:

- nested dicts flattened into `<field>__<key>` columns, nested lists as tables
  `<table>__<list>` (`_dlt_parent_id` = the parent's `_dlt_id`, `_dlt_list_idx`, `_dlt_root_id`,
  scalars in `value`), anything deeper than the source's `max_table_nesting` as JSON, names
  through the schema's naming convention;
- typed by the resource's column hints (nested hints for the lists' tables), then by the
  columns earlier loads gave the table, then by the Python values; a value of another type is
  coerced as dlt coerces it, or lands in a variant column `<column>__v_<type>` as dlt puts it.

Staging models read the same tables and columns either way. Two differences, on purpose:
- dlt cannot take nested tables from Arrow, so a list's table is a table of its own, merged on
  `_dlt_root_key` (the parent's primary key): every load of a parent replaces all of its
  children. A parent loaded again with an empty list leaves its old children behind, linked to
  a `_dlt_id` that no parent row has any more (joins on `_dlt_parent_id` never see them).
- A resource whose lists earlier loads made into dlt's nested tables keeps the dict way (dlt
  does not let a nested table become a table of its own); so does any resource not eligible.

Transformers of a converted resource still receive the dict rows: a converted page carries
them in its meta, and each transformer of the resource takes them back first. Items that are
not plain pages (quarantine rows, items naming their own table, Arrow tables) pass untouched.
"""
from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Iterator
from decimal import Decimal
from operator import methodcaller
from typing import Any, cast

import dlt
import pyarrow as pa
from dlt.common.data_types.type_helpers import coerce_value, py_type_to_sc_type
from dlt.common.destination.capabilities import DestinationCapabilitiesContext
from dlt.common.json import json
from dlt.common.libs.pyarrow import get_py_arrow_datatype
from dlt.common.normalizers.json.helpers import get_nested_row_hash
from dlt.common.normalizers.utils import generate_dlt_ids
from dlt.extract.hints import HintsMeta
from dlt.extract.items import DataItemWithMeta, TableNameMeta
from dlt.extract.items_transform import ItemTransform

ROOT_KEY = "_dlt_root_key"
_NONE = type(None)
#: rows per converted batch (see `ArrowPages._drain`)
BATCH_ROWS = 2000
_CAPS = DestinationCapabilitiesContext.generic_capabilities("parquet")
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                      OverflowError)
_LINK_COLUMNS = {
    "_dlt_parent_id": {"data_type": "text", "nullable": False},
    "_dlt_list_idx": {"data_type": "bigint", "nullable": False},
    "_dlt_root_id": {"data_type": "text", "nullable": False},
    ROOT_KEY: {"data_type": "text", "nullable": False, "merge_key": True},
    "_dlt_id": {"data_type": "text", "nullable": False, "primary_key": True},
}


class _Rows:
    """Meta of a converted page: its dict rows, for the resource's transformers."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[dict]):
        self.rows = rows


class _ChildTable(TableNameMeta):
    """A page of a list's table."""


class _JsonAsText(logging.Filter):
    """dlt warns, once per page, that a JSON column arrives as Arrow text: that is how JSON
    travels in Arrow (dlt's own normalizer writes it so too), nothing to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema, several column hints were different" not in \
            record.getMessage()


logging.getLogger("dlt").addFilter(_JsonAsText())


def load_as_arrow(source: Any, transformers: dict[str, str], stored_schema: Any = None) -> Any:
    """Convert the pages of every eligible selected resource of `source` (in place).
    `transformers` maps each transformer to the resource it reads from (the source's
    `TRANSFORMERS`); `stored_schema` is the pipeline's schema of earlier loads (None on a
    first load)."""
    # dlt adds `_dlt_load_id` to Arrow tables only when asked (staging models read it)
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    naming = source.schema.naming
    converted = set()
    for name, resource in source.selected_resources.items():
        if not _eligible(resource):
            continue
        table = resource.table_name
        if stored_schema is not None and _has_nested_tables(stored_schema, table):
            continue
        nesting = resource.max_table_nesting
        if nesting is None:
            nesting = source.max_table_nesting
        nested = {t["name"]: t.get("columns") or {} for t in resource.compute_nested_table_schemas(table, naming)}
        resource.apply_hints(nested_hints={})     # else dlt declares those tables nested
        resource.add_step(ArrowPages(resource, nested, 1000 if nesting is None else int(nesting)))
        converted.add(name)
    for name, parent in transformers.items():
        if parent in converted:
            source.resources[name].add_step(rows_of_converted_pages, insert_at=0)
    return source


def _has_nested_tables(schema: Any, root: str) -> bool:
    def root_of(table: str) -> str:
        while (parent := schema.tables.get(table, {}).get("parent")) is not None:
            table = parent
        return table

    return any(s.get("parent") and root_of(t) == root for t, s in schema.tables.items())


def rows_of_converted_pages(item: Any, meta: Any = None) -> Any:
    """First step of a transformer of a converted resource: the dict rows, not the tables."""
    if isinstance(meta, _Rows):
        return meta.rows
    if isinstance(meta, _ChildTable):
        return None
    return item


def _eligible(resource: Any) -> bool:
    disposition = resource.write_disposition
    if isinstance(disposition, dict):
        if disposition.get("disposition") != "merge" or disposition.get("strategy", "delete-insert") != "delete-insert":
            return False
    elif disposition != "merge":
        return False
    table = resource.table_name
    return isinstance(table, str) and not callable(table) and bool(resource.compute_table_schema().get("columns")) \
        and bool([c for c, s in resource.compute_table_schema()["columns"].items() if s.get("primary_key")])


class ArrowPages(ItemTransform):
    """The pipe step that turns a resource's pages into tables (see the module docstring).
    It runs after dlt's incremental and limit steps (affinity 1, 1.1) and before the fork to
    transformers (2)."""

    placement_affinity = 1.5

    def __init__(self, resource: Any, nested_hints: dict[str, dict], max_nesting: int):
        super().__init__(lambda item: item)     # the step is `__call__`; the base wants a function
        schema = resource.compute_table_schema()
        self.resource = resource
        self.table: str = schema["name"]
        self.hints: dict[str, dict] = {**nested_hints, self.table: schema.get("columns") or {}}
        self.max_nesting = max_nesting
        self.primary_key = [c for c, s in self.hints[self.table].items() if s.get("primary_key")]
        self.declared: set[str] = set()
        self.mode: str | None = None            # "arrow" or "dicts", decided on the first page
        self.names: dict[str, str] = {}         # key -> normalized column name
        self.pending: list[list[dict]] = []     # pages not converted yet
        self.pending_rows = 0
        self.draining = False

    def bind(self, pipe: Any) -> ArrowPages:
        """dlt binds steps to the pipe being extracted (as its own `add_limit` step does): the
        generator at the head of that pipe (of its parent, for a transformer) tells when no
        more pages will come."""
        while pipe.parent is not None:
            pipe = pipe.parent
        self.head = pipe
        return self

    def __call__(self, item: Any, meta: Any = None) -> Iterator[Any] | None:
        if isinstance(meta, (HintsMeta, TableNameMeta)) or not _is_page(item) or not item:
            return iter([item if meta is None or isinstance(meta, _Rows) else DataItemWithMeta(meta, item)])
        if self.mode is None:
            self.schema = dlt.current.source_schema()
            # the destination may hold nested tables this pipeline's local schema did not know
            # (restored on the first extract): those keep the dict way
            self.mode = "dicts" if _has_nested_tables(self.schema, self.table) else "arrow"
        if self.mode == "dicts":
            return iter([item])
        rows = [item] if isinstance(item, dict) else item
        self.pending.append(rows)
        self.pending_rows += len(rows)
        if self.draining:
            return None                          # the drain already running takes them
        self.draining = True
        return self._drain()

    def _drain(self) -> Iterator[Any]:
        """Pages are loaded in batches of `BATCH_ROWS`: dlt's cost is per Arrow table (it
        computes and merges the table's schema for each), so a table per page of 50 would cost
        more than the normalizer saves. dlt polls this generator between items (None = nothing
        yet); the last batch goes once the pipe's head generator is exhausted."""
        try:
            while True:
                done = self._head_done()
                if self.pending_rows >= BATCH_ROWS or (done and self.pending_rows):
                    yield from self._flush()
                elif done:
                    return
                else:
                    yield None
        finally:
            self.draining = False

    def _head_done(self) -> bool:
        gen = getattr(self, "head", None) and self.head.gen
        return not inspect.isgenerator(gen) or inspect.getgeneratorstate(gen) == inspect.GEN_CLOSED

    def _flush(self) -> Iterator[Any]:
        rows = [row for page in self.pending for row in page]
        self.pending, self.pending_rows = [], 0
        for name, table in Converter(self.schema, self).convert(rows):
            if name == self.table:
                yield DataItemWithMeta(_Rows(rows), table)
            else:
                if name not in self.declared:
                    self.declare(name)
                yield DataItemWithMeta(_ChildTable(name), table)

    def declare(self, table: str) -> None:
        """Hints of a list's table (a table variant of the resource): its own columns, merged
        on the parent's key. A variant starts as a copy of the resource's hints, so the root
        table's columns are cleared first."""
        columns = {c: {"name": c, **s} for c, s in _LINK_COLUMNS.items()}
        for name, spec in self.hints.get(table, {}).items():
            columns[name] = {**spec, "name": name}
        self.resource.apply_hints(table_name=table, columns={}, create_table_variant=True)
        self.resource.apply_hints(table_name=table, write_disposition="merge", primary_key="_dlt_id",
                                  merge_key=ROOT_KEY, columns=columns, create_table_variant=True)
        self.declared.add(table)

    def columns_of(self, schema: Any, table: str) -> dict[str, dict]:
        """What is known about `table`'s columns: earlier loads, then hints (hints win)."""
        known = dict((schema.tables.get(table) or {}).get("columns") or {})
        known.update(self.hints.get(table, {}))
        if table != self.table:
            known.update(_LINK_COLUMNS)
        return known


def _is_page(item: Any) -> bool:
    if isinstance(item, dict):
        return True
    return isinstance(item, list) and (not item or isinstance(item[0], dict))


class Converter:
    """One page: the root table's columns, then each list's table, recursively."""

    def __init__(self, schema: Any, step: ArrowPages):
        self.schema, self.step = schema, step
        self.naming = schema.naming
        self.out: list[tuple[str, pa.Table]] = []

    def _name(self, key: str) -> str:
        names = self.step.names
        name = names.get(key)
        if name is None:
            name = names[key] = self.naming.normalize_path(key) if key and not key.isspace() else "_empty"
        return name

    def convert(self, rows: list[dict]) -> list[tuple[str, pa.Table]]:
        step = self.step
        ids = generate_dlt_ids(len(rows))
        pk = step.primary_key
        keys = [_key([row.get(c) for c in pk]) for row in rows]
        self._table(step.table, rows, step.max_nesting, {"_dlt_id": ids}, ids, keys)
        return self.out

    def _table(self, table: str, rows: list[dict], level: int, extra: dict[str, list],
               root_ids: list[str], root_keys: list[str]) -> None:
        columns: dict[str, list] = {}
        lists: dict[str, list[tuple[int, list]]] = {}
        self._flatten(table, rows, level, (), columns, lists)
        columns.update(extra)
        known = self.step.columns_of(self.schema, table)
        arrays, fields = [], []
        for name, values in columns.items():
            for column_name, array in self._arrays(table, name, values, known.get(name)):
                # declared not-null (keys, links): say so, or dlt warns that the hints differ
                nullable = (known.get(column_name) or {}).get("nullable", True) or array.null_count > 0
                fields.append(pa.field(column_name, array.type, nullable=nullable))
                arrays.append(array)
        self.out.append((table, pa.Table.from_arrays(arrays, schema=pa.schema(fields))))
        ids = extra["_dlt_id"]
        for child, entries in lists.items():
            child_rows, parent_ids, positions, child_root_ids, child_root_keys = [], [], [], [], []
            for row_index, values in entries:
                for position, value in enumerate(values):
                    kind = type(value)
                    child_rows.append(value if kind is dict else {"list": value} if kind is list else {"value": value})
                    parent_ids.append(ids[row_index])
                    positions.append(position)
                    child_root_ids.append(root_ids[row_index])
                    child_root_keys.append(root_keys[row_index])
            if not child_rows:
                continue
            child_ids = [get_nested_row_hash(p, child, i) for p, i in zip(parent_ids, positions, strict=True)]
            self._table(child, child_rows, level - 1,
                        {"_dlt_parent_id": parent_ids, "_dlt_list_idx": positions, "_dlt_root_id": child_root_ids,
                         ROOT_KEY: child_root_keys, "_dlt_id": child_ids},
                        child_root_ids, child_root_keys)

    def _flatten(self, table: str, dicts: list, level: int, path: tuple, columns: dict, lists: dict) -> None:
        """`dicts` (one per row, None where a row has none) into `columns`/`lists`, as dlt's
        relational normalizer flattens them (`_flatten`, `is_nested_type`)."""
        keys = dict.fromkeys(k for d in dicts if d for k in d)
        known = self.step.columns_of(self.schema, table)
        naming = self.naming
        dense = None not in dicts            # the root table's rows: every entry is a dict
        for key in keys:
            part = self._name(key)
            name = naming.shorten_fragments(*path, part) if path else part
            values = list(map(methodcaller("get", key), dicts)) if dense else \
                [d.get(key) if d else None for d in dicts]
            kinds = set(map(type, values))
            kinds.discard(_NONE)
            as_json = level <= 0 or (known.get(name) or {}).get("data_type") == "json"
            if dict in kinds and not as_json:
                self._flatten(table, [v if type(v) is dict else None for v in values], level - 1,
                              path + (part,), columns, lists)
                if kinds == {dict}:
                    continue
                values = [None if type(v) is dict else v for v in values]
            if list in kinds and not as_json:
                child = naming.shorten_fragments(table, *path, naming.normalize_tables_path(key))
                lists.setdefault(child, []).extend((i, v) for i, v in enumerate(values) if type(v) is list and v)
                if kinds == {list}:
                    continue
                values = [None if type(v) is list else v for v in values]
            columns[name] = values

    def _arrays(self, table: str, name: str, values: list, known: dict | None) -> Iterator[tuple[str, pa.Array]]:
        """The column's Arrow array (typed as `known`, else as its values), plus a variant
        column per type of the values that do not coerce."""
        data_type = (known or {}).get("data_type")
        if not data_type:
            first = next((v for v in values if v is not None), None)
            if first is None:
                return                                # like dlt: no value, no column
            data_type = _sc_type(first, values)
        column = {**(known or {}), "data_type": data_type}
        arrow_type = get_py_arrow_datatype(cast(Any, column), _CAPS, "UTC")
        if data_type == "json":
            values = [None if v is None else json.dumps(v) for v in values]
        try:
            yield name, pa.array(values, type=arrow_type)
            return
        except _CONVERSION_ERRORS:
            pass
        coerced: list[Any] = []
        variants: dict[str, list[Any]] = {}
        for index, value in enumerate(values):
            if value is None:
                coerced.append(None)
                continue
            value_type = _sc_type(value, [value])
            try:
                value = coerce_value(cast(Any, data_type), cast(Any, value_type), value)
                if data_type == "decimal" and isinstance(value, Decimal) and column.get("scale") is not None:
                    value = value.quantize(Decimal(1).scaleb(-int(column["scale"])))
                pa.array([value], type=arrow_type)
                coerced.append(value)
            except _CONVERSION_ERRORS:
                coerced.append(None)
                variants.setdefault(value_type, [None] * len(values))[index] = value
        yield name, pa.array(coerced, type=arrow_type)
        for value_type, variant in variants.items():
            variant_name = self.naming.shorten_fragments(name, f"v_{value_type}")
            yield from self._arrays(table, variant_name, variant, {"data_type": value_type})


def _sc_type(first: Any, values: list) -> str:
    """dlt's type for a column's values: the first value's, double for ints mixed with floats."""
    data_type = py_type_to_sc_type(type(first))
    if data_type == "bigint" and float in set(map(type, values)):
        return "double"
    return data_type


def _key(values: list) -> str:
    return "|".join("" if v is None else str(v) for v in values)
