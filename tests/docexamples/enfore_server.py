"""enfore's document examples behind its documented routes: the Login Flow
(`GET /auth/authorize/{org-id}`, Basic app credentials -> `{"accessToken"}`, 403 problem
otherwise), `GET /erp/org/{org-id}/{products|invoices|credit-memos}` as `{items, problems}`
with `limit`/`offset` (both arrays count toward `limit`; invoices and credit memos: `limit`
<= 50, required `from`/`to` as `[from, to)` on `processed_date_and_time`, ascending), and each
record by id. The records are copies of the document's example record with their ids (and the
ids they name) varied and their processed times spread over days, so paging and windows are
real; every listing also carries the document's `problems` entry, verbatim, every
`PROBLEM_EVERY` entries."""
from __future__ import annotations

import base64
import copy
from datetime import datetime, timedelta, timezone

from tests.docexamples.printed import example
from tests.docexamples.server import Request, Response, page_of

ORG, APP, SECRET, TOKEN = "org-docs", "docs-app", "docs-secret-1", "docs-token-1"
NOW = datetime(2025, 5, 26, 12, 0, tzinfo=timezone.utc)
START_DATE = "2025-05-01"
PROBLEM_EVERY = 23


def _z(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class EnforeExamples:
    def __init__(self, invoices: int = 130, credit_memos: int = 41, products: int = 260):
        self.docs = {k: example("enfore", k) for k in ("products", "invoices", "credit_memos")}
        self.problem = self.docs["invoices"]["problems"][0]
        base = _parse(self.docs["invoices"]["items"][0]["processed_date_and_time"])
        self.invoices = [self._document("invoices", f"inv-{i:04d}", base - timedelta(minutes=47 * i), i)
                         for i in range(invoices)]
        # the newest credit memos come after the voids their invoices print: those invoices are
        # fetched again (voided_invoices) and load twice in one run
        self.credit_memos = [self._document("credit_memos", f"cm-{i:04d}",
                                            base + timedelta(minutes=95 - 131 * i), i,
                                            invoices=[f"inv-{(3 * i) % invoices:04d}"])
                             for i in range(credit_memos)]
        self.products = []
        for i in range(products):
            p = copy.deepcopy(self.docs["products"]["items"][0])
            p.update(id=f"prod-{i:04d}", name=f"{p['name']} {i}", article_id=f"art-{i}", external_id=f"ext-{i}")
            self.products.append(p)
        self.by_kind = {"invoices": self.invoices, "credit-memos": self.credit_memos, "products": self.products}
        #: invoice id -> a later `voided_on` its items get when it is first fetched by id (a void
        #: that happens between a sync's listing and its fetching the invoice again)
        self.void_later: dict[str, str] = {}

    def _document(self, kind: str, doc_id: str, at: datetime, i: int, invoices: list[str] | None = None) -> dict:
        doc = copy.deepcopy(self.docs[kind]["items"][0])
        doc.update(id=doc_id, number=f"{doc['number']}-{i}", transaction_date_and_time=_z(at),
                   issued_date_and_time=_z(at), processed_date_and_time=_z(at))
        doc["customer_information"].update(individual=f"ind-{i % 37}", organization=f"org-{i % 11}")
        doc["payer_information"].update(individual=f"pind-{i % 13}", organization=f"porg-{i % 7}")
        for n, item in enumerate(doc["items"]):
            item["id"] = f"{doc_id}-item-{n}"
        if invoices is not None:
            doc["invoices"] = invoices
        return doc

    def expected_ids(self, kind: str) -> set[str]:
        return {r["id"] for r in self.by_kind[kind]}

    # --- routes ------------------------------------------------------------------------
    def __call__(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if parts[:2] == ["auth", "authorize"] and len(parts) == 3:
            expected = "Basic " + base64.b64encode(f"{APP}:{SECRET}".encode()).decode()
            if parts[2] != ORG or request.headers.get("authorization") != expected:
                return self._problem(403, "Forbidden", "Credentials missing or not sufficient")
            return Response(200, {"accessToken": TOKEN})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return self._problem(403, "Forbidden", "Credentials missing or not sufficient")
        if parts[:3] != ["erp", "org", ORG] or len(parts) not in (4, 5) or parts[3] not in self.by_kind:
            return self._problem(404, "Not Found", "Resource(s) not found or invalid identifier")
        records = self.by_kind[parts[3]]
        if len(parts) == 5:
            found = next((r for r in records if r["id"] == parts[4]), None)
            if found and parts[3] == "invoices" and found["id"] in self.void_later:
                for item in found["items"]:
                    for void in item.get("void_information") or []:
                        void["voided_on"] = self.void_later[found["id"]]
                del self.void_later[found["id"]]
            return Response(200, found) if found else self._problem(404, "Not Found", "no such record")
        return self._list(request, parts[3], records)

    def _list(self, request: Request, kind: str, records: list[dict]) -> Response:
        try:
            limit, offset = int(request.arg("limit", "200")), int(request.arg("offset", "0"))
        except ValueError:
            return self._problem(400, "Bad Request", "limit and offset are integers")
        if kind == "products":
            entries = records
            if not 1 <= limit <= 5000:
                return self._problem(422, "Unprocessable", "limit must be in [1, 5000]")
        else:
            start, end = _parse(request.arg("from")), _parse(request.arg("to"))
            if start is None or end is None or limit > 50 or limit < 1:
                return self._problem(400, "Bad Request", "from and to are required; limit is restricted to 50")
            entries = sorted((r for r in records if start <= _parse(r["processed_date_and_time"]) < end),
                             key=lambda r: (r["processed_date_and_time"], r["id"]))
        listing: list[tuple[str, dict]] = []
        for n, record in enumerate(entries):
            listing.append(("items", record))
            if n % PROBLEM_EVERY == PROBLEM_EVERY - 1:
                listing.append(("problems", dict(self.problem)))
        page = page_of(listing, offset, limit)
        return Response(200, {"items": [r for k, r in page if k == "items"],
                              "problems": [r for k, r in page if k == "problems"]})

    @staticmethod
    def _problem(status: int, title: str, detail: str) -> Response:
        return Response(status, {"title": title, "detail": detail},
                        {"Content-Type": "application/problem+json"})
