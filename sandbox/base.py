"""The frame every vendor simulator plugs into.

A simulator is a `VendorSim`: it owns its world (generated from the seed, moved on by the
clock), declares its routes, says how it authenticates and what its error bodies look like,
and reports its ground truth. `build_app` wraps it in a real aiohttp application with the
cross-cutting behaviour every vendor shares: request statistics, the simulated `Date`
header, added latency, fault injection and the vendor's own rate limit.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import re
import time as _time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import orjson
from aiohttp import web

from .clock import SimClock
from .faults import FaultPlan
from .people import PeoplePool
from .scale import Scale

#: `(request, **path_params) -> web.StreamResponse`, plain or `async` (to read a request body)
Handler = Callable[..., web.StreamResponse]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    public: bool = False          # served without authentication (token endpoints)


class VendorSim(ABC):
    """One vendor's simulated API and the world behind it."""

    name: str = ""
    #: path under the server root where the vendor's API lives (the base URL's path)
    api_prefix: str = ""
    #: vendors served by ASP.NET route case-insensitively
    case_insensitive_paths: bool = False
    #: fixed port = the sandbox's port base + this (shirtigo 1, yodify 2, enfore 3, infigo 4),
    #: so the base URLs in .dlt/config.toml stay valid whichever vendors are served
    port_offset: int = 0

    def __init__(self, seed: int, scale: Scale, clock: SimClock, people: PeoplePool):
        self.seed = seed
        self.scale = scale
        self.clock = clock
        self.people = people
        self.routes: list[Route] = []
        self.register_routes()

    # --- what each vendor provides -------------------------------------------------
    @abstractmethod
    def register_routes(self) -> None:
        """Call `self.route(...)` for every operation served."""

    @abstractmethod
    def simulate_until(self, now: datetime) -> None:
        """Generate the world up to `now` (history at start, new days on advance)."""

    @abstractmethod
    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        """None when the request carries valid credentials, else the vendor's rejection."""

    @abstractmethod
    def error(self, status: int, message: str) -> web.StreamResponse:
        """The vendor's error response for `status` (body shape as documented)."""

    @abstractmethod
    def truth(self) -> dict:
        """What the vendor really holds now: documents, daily sums, customers, products."""

    @abstractmethod
    def credentials(self) -> dict:
        """The valid credentials, for the demo and tests (setting name -> value)."""

    def rate_limit(self, request: web.Request) -> web.StreamResponse | None:
        """Vendor-documented rate limiting; None = allowed. Default: no limit."""
        return None

    def decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        """Add vendor headers (e.g. rate-limit headers) to every response. Default: none."""
        return None

    # --- helpers for simulators -----------------------------------------------------
    def route(self, method: str, path: str, handler: Handler, public: bool = False) -> None:
        """`path` may hold `{name}` placeholders; a trailing slash is optional."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.rstrip("/"))
        flags = re.IGNORECASE if self.case_insensitive_paths else 0
        self.routes.append(Route(method, re.compile(f"^{regex}/?$", flags), handler, public))

    def now(self) -> datetime:
        return self.clock.now()

    @staticmethod
    def page_items(request: web.Request, items: list) -> list:
        """A page's records, unless an injected `empty_page` fault empties it."""
        return [] if request.get("fault") == "empty_page" else items

    @staticmethod
    def json(data: Any, status: int = 200, content_type: str = "application/json",
             headers: dict | None = None) -> web.Response:
        return web.Response(body=orjson.dumps(data), status=status, content_type=content_type,
                            headers=headers)


class DayByDay:
    """`simulate_until` for a world generated one UTC day at a time: `seed_world(at)` once,
    30 days before the history starts, then `generate_day(day)` exactly once per day up to
    `now`, so the world is the same however the clock is advanced."""

    _history_start: date | None = None

    def simulate_until(self, now: datetime) -> list[date]:
        """Generate what is missing up to `now`; returns the days generated by this call."""
        if self._history_start is None:
            self._history_start = (now - timedelta(days=self.scale.history_days)).date()
            self._generated_days: set[date] = set()
            self.seed_world(datetime.combine(self._history_start, time(), timezone.utc) - timedelta(days=30))
        day, new_days = self._history_start, []
        while day <= now.date():
            if day not in self._generated_days:
                self.generate_day(day)
                self._generated_days.add(day)
                new_days.append(day)
            day += timedelta(days=1)
        return new_days


@dataclass
class VendorRuntime:
    """What the server keeps per vendor besides the simulator: faults and statistics.
    `advance_world(minutes)` moves the shared clock (for the `drift_*` fault settings)."""

    sim: VendorSim
    faults: FaultPlan
    statuses: Counter
    requests: int = 0
    advance_world: Callable[[float], None] | None = None
    first_request_at: float | None = None    # wall-clock seconds (time.time()), for rates
    last_request_at: float | None = None
    #: opt-in (control API `PUT /request-log`): every request as (method, path and query,
    #: Authorization header, body of a non-GET), so a benchmark can replay exactly the
    #: requests a sync made with a bare client (the fetch-only floor)
    request_log: list | None = None

    def stats(self) -> dict:
        return {"requests": self.requests, "statuses": dict(self.statuses),
                "faults_injected": dict(self.faults.injected),
                "first_request_at": self.first_request_at, "last_request_at": self.last_request_at}

    def count_request(self) -> None:
        now = _time.time()
        self.requests += 1
        self.first_request_at = self.first_request_at or now
        self.last_request_at = now

    def reset_stats(self) -> None:
        self.requests = 0
        self.first_request_at = self.last_request_at = None
        self.statuses.clear()
        self.faults.injected.clear()
        if self.request_log is not None:
            self.request_log.clear()

    async def log_request(self, request: web.Request) -> None:
        if self.request_log is not None:
            body = (await request.read()).decode("utf-8", "replace") if request.method != "GET" else None
            self.request_log.append((request.method, request.path_qs, request.headers.get("Authorization"),
                                     request.headers.get("Content-Type") if body else None, body))


@functools.lru_cache(maxsize=64)
def http_date(now: datetime) -> str:
    """The `Date` header of the simulated clock (which moves only on `advance`: a few values)."""
    return format_datetime(now, usegmt=True)


def build_app(runtime: VendorRuntime) -> web.Application:
    """The vendor's HTTP application. It reads `runtime.sim` on every request, so a world
    reset swaps the simulator behind a running server without moving its port."""

    async def dispatch(request: web.Request) -> web.StreamResponse:
        sim = runtime.sim
        path = request.path
        allowed: list[str] = []
        for route in sim.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            if not route.public:
                rejected = sim.authenticate(request)
                if rejected is not None:
                    return rejected
            limited = sim.rate_limit(request)
            if limited is not None:
                return limited
            response = route.handler(request, **match.groupdict())
            return await response if inspect.isawaitable(response) else response
        if allowed:
            return sim.error(405, "Method Not Allowed")
        return sim.error(404, "Not Found")

    @web.middleware
    async def frame(request: web.Request, handler: Handler) -> web.StreamResponse:
        sim = runtime.sim
        runtime.count_request()
        await runtime.log_request(request)
        plan = runtime.faults
        key = request.path_qs
        delay = plan.latency_s(request.method, key)
        if delay:
            await asyncio.sleep(delay)
        fault = plan.decide(request.method, key)
        request["fault"] = fault
        spec = plan.spec
        if spec.drift_every and runtime.advance_world and runtime.requests % int(spec.drift_every) == 0:
            runtime.advance_world(spec.drift_minutes)
        if fault == "drop":
            runtime.statuses["dropped"] += 1
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if fault == "timeout":
            await asyncio.sleep(plan.spec.timeout_s)
        if fault in ("429", "500", "502", "503"):
            response = sim.error(int(fault), "injected fault")
            if fault == "429":
                response.headers["Retry-After"] = f"{plan.spec.retry_after_s:g}"
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # aiohttp's own (e.g. bad request line)
                response = sim.error(exc.status, exc.reason)
            except Exception as exc:  # a simulator bug must look like a vendor 500, loudly
                request.app.logger.exception("simulator error in %s %s", request.method, key)
                response = sim.error(500, f"simulator error: {type(exc).__name__}")
        if fault == "malformed" and isinstance(response, web.Response) and response.body:
            body = bytes(response.body)
            response.body = body[: max(1, len(body) // 2)]
        response.headers["Date"] = http_date(sim.now())
        sim.decorate(request, response)
        runtime.statuses[str(response.status)] += 1
        return response

    app = web.Application(middlewares=[frame])
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
