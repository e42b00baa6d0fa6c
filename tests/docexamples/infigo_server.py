"""Infigo's document (`seeds/000_…txt`, an OpenAPI 3 YAML; `tests/contracts/infigo_openapi.json`
is the same YAML as JSON) behind its documented routes under `/services/api`: Basic auth
with the API token as user name; `GET /catalog/product` (all ids), `GET /catalog/v2/product`
(`PageIndex` 0-based, `PerPage`, bare arrays), `GET /customer/v2` (`{Data, PerPage, PageIndex,
TotalCount, TotalPages}`, `CreatedFrom`/`CreatedTo`/`LastActivityFrom` inclusive, `Role`),
`GET /order/list/` (ids; `orderedAfter`/`orderedBefore`, `filterByStatus`), `GET
/order/detail/{id}`, `GET /orderlineitem/get/{id}`.

The document prints no example payload for these responses, only their schemas. The example
of a schema is what an OpenAPI renderer prints for it: every property, with the first enum
value, "string" for text, 0 for numbers, true for booleans, "2019-08-24T14:15:22Z" for a
date-time, a fixed GUID for a uuid, one element in each array. Ids (and the ids that name
other records) and times are varied per copy."""
from __future__ import annotations

import base64
import copy
import json
import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from tests.docexamples.server import Request, Response

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "infigo_openapi.json"
TOKEN = "docs-infigo-token"
NOW = datetime(2019, 8, 30, 12, 0, tzinfo=timezone.utc)
START_DATE = "2019-08-01"
DATE_TIME = "2019-08-24T14:15:22Z"


@lru_cache(maxsize=1)
def spec() -> dict:
    return json.loads(SPEC.read_text())


def schema_example(schema: dict, depth: int = 0):
    """The renderer's example of `schema` (see the module docstring)."""
    if "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in schema:
            parts = [schema_example(s, depth) for s in schema[combined]]
            merged = {}
            for part in parts:
                if isinstance(part, dict):
                    merged.update(part)
            return merged if merged else parts[0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        if depth > 4:
            return {}
        return {k: schema_example(v, depth + 1) for k, v in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [] if depth > 4 else [schema_example(schema.get("items") or {}, depth + 1)]
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return True
    fmt = schema.get("format")
    if fmt == "date-time":
        return DATE_TIME
    if fmt == "uuid":
        return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    return "string"


def component(name: str) -> dict:
    return schema_example({"$ref": f"#/components/schemas/{name}"})


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


class InfigoExamples:
    def __init__(self, orders: int = 60, products: int = 230, customers: int = 240):
        self.order_example, self.line_example = component("InfigoOrderItem"), component("InfigoOrderlineItem")
        self.product_example, self.customer_example = component("InfigoProductInfoV2"), component("InfigoApiCustomer")
        base = _parse(DATE_TIME)
        self.orders, self.lines = {}, {}
        for i in range(orders):
            order = copy.deepcopy(self.order_example)
            order_id = 5000 + i
            jobs = [f"v{order_id}{n}" for n in range(2)]
            order.update(Id=order_id, OrderDate=_z(base - timedelta(hours=5 * i)), OrderLineItems=jobs,
                         CustomerId=700 + i % 50, Status=40)
            self.orders[order_id] = order
            for n, job in enumerate(jobs):
                line = copy.deepcopy(self.line_example)
                line.update(Id=order_id * 10 + n, OrderId=order_id, OrderLineItemGuid=job, LineNumber=n)
                self.lines[job] = line
        self.products = [{**copy.deepcopy(self.product_example), "Id": 300 + i, "Name": f"Product {i}"}
                         for i in range(products)]
        self.customers = []
        for i in range(customers):
            customer = copy.deepcopy(self.customer_example)
            customer.update(Id=700 + i, Email=f"customer{i}@example.com",
                            CreatedOn=_z(base - timedelta(hours=2 * i)),
                            LastActivityDate=_z(base - timedelta(hours=2 * i)))
            self.customers.append(customer)

    def __call__(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        accepted = {"Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode(),
                    "Basic " + base64.b64encode(TOKEN.encode()).decode()}
        if auth not in accepted:
            return Response(401, {"Message": "Authorization has been denied for this request."})
        path = request.path.rstrip("/").lower().removeprefix("/services/api")
        parts = path.split("/")
        if path == "/catalog/product":
            return Response(200, [p["Id"] for p in self.products])
        if path == "/catalog/v2/product":
            index, size = int(request.arg("PageIndex", "0")), int(request.arg("PerPage", "100"))
            return Response(200, self.products[index * size:(index + 1) * size])
        if path == "/customer/v2":
            return self._customers(request)
        if path == "/order/list":
            return Response(200, self._order_ids(request))
        if len(parts) == 4 and parts[1:3] == ["order", "detail"]:
            order = self.orders.get(int(parts[3])) if parts[3].isdigit() else None
            return Response(200, order) if order else Response(404, {"Message": "not found"})
        if len(parts) == 4 and parts[1:3] == ["orderlineitem", "get"]:
            line = next((v for k, v in self.lines.items() if k.lower() == parts[3]), None)
            return Response(200, line) if line else Response(404, {"Message": "not found"})
        return Response(404, {"Message": "not found"})

    def _order_ids(self, request: Request) -> list[int]:
        after, before = _parse(request.arg("orderedAfter")), _parse(request.arg("orderedBefore"))
        status = request.arg("filterByStatus")
        return [i for i, o in self.orders.items()
                if (after is None or _parse(o["OrderDate"]) > after)
                and (before is None or _parse(o["OrderDate"]) < before)
                and (status is None or str(o["Status"]) == status)]

    def _customers(self, request: Request) -> Response:
        chosen = self.customers
        for name, field, low in (("CreatedFrom", "CreatedOn", True), ("CreatedTo", "CreatedOn", False),
                                 ("LastActivityFrom", "LastActivityDate", True),
                                 ("LastActivityTo", "LastActivityDate", False)):
            bound = _parse(request.arg(name))
            if bound is not None:
                chosen = [c for c in chosen if (_parse(c[field]) >= bound if low else _parse(c[field]) <= bound)]
        chosen = sorted(chosen, key=lambda c: c["Id"])
        index, size = int(request.arg("PageIndex", "0")), int(request.arg("PerPage", "100"))
        return Response(200, {"Data": chosen[index * size:(index + 1) * size], "PerPage": size, "PageIndex": index,
                              "TotalCount": len(chosen), "TotalPages": max(1, math.ceil(len(chosen) / size))})
