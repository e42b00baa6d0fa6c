"""Runs the sandbox: one HTTP server per vendor plus a control server, all on loopback, in
one asyncio loop (so the world is never touched by two requests at once).

A state file (JSON: pid, control URL, each vendor's base URL and credentials) is written once
every port is listening; clients wait for it instead of guessing ports.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from aiohttp import web

from .base import VendorRuntime, build_app
from .clock import DEFAULT_NOW
from .faults import FaultPlan, FaultSpec
from .world import World

log = logging.getLogger("sandbox")
HOST = "127.0.0.1"


class SandboxServer:
    def __init__(self, seed: int = 42, scale: str = "small", now: datetime = DEFAULT_NOW,
                 vendors: list[str] | None = None, port_base: int = 0,
                 faults: FaultSpec | None = None, state_file: Path | None = None):
        self.port_base = port_base
        self.state_file = state_file
        self.default_faults = faults or FaultSpec()
        self.world = World(seed, scale, now, vendors)
        self.runtimes = {
            name: VendorRuntime(sim, FaultPlan(seed, name, FaultSpec(**self.default_faults.to_dict())),
                                Counter(), advance_world=self._drift)
            for name, sim in self.world.sims.items()
        }
        self.urls: dict[str, str] = {}
        self.control_url = ""
        self._runners: list[web.AppRunner] = []

    # --- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        port = self.port_base
        self.control_url = await self._serve(self._control_app(), port)
        for name, runtime in self.runtimes.items():
            root = await self._serve(build_app(runtime), port + runtime.sim.port_offset if port else 0)
            self.urls[name] = root + runtime.sim.api_prefix
        if self.state_file:
            tmp = self.state_file.with_suffix(".tmp")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.state(), indent=2))
            tmp.replace(self.state_file)
        log.info("sandbox ready: control %s, vendors %s", self.control_url, self.urls)

    async def _serve(self, app: web.Application, port: int) -> str:
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, HOST, port, reuse_address=True)
        await site.start()
        self._runners.append(runner)
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://{HOST}:{bound}"

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        if self.state_file and self.state_file.exists():
            self.state_file.unlink()

    def _drift(self, minutes: float) -> None:
        self.world.advance(timedelta(minutes=minutes))

    def state(self) -> dict:
        return {
            "pid": os.getpid(),
            "control_url": self.control_url,
            **self.world.describe(),
            "vendors": {
                name: {"base_url": self.urls[name], "credentials": rt.sim.credentials()}
                for name, rt in self.runtimes.items()
            },
        }

    # --- control API -----------------------------------------------------------------
    def _control_app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get("/health", lambda req: web.json_response({"ok": True}))
        r.add_get("/info", lambda req: web.json_response(self.state()))
        r.add_post("/advance", self._advance)
        r.add_post("/reset", self._reset)
        r.add_get("/faults", self._get_faults)
        r.add_put("/faults", self._put_faults)
        r.add_get("/stats", lambda req: web.json_response(
            {n: rt.stats() for n, rt in self.runtimes.items()}))
        r.add_post("/stats/reset", self._reset_stats)
        r.add_put("/request-log", self._put_request_log)
        r.add_get("/request-log/{vendor}", self._get_request_log)
        r.add_get("/truth/{vendor}", self._truth)
        r.add_put("/settings/{vendor}", self._settings)
        return app

    def _runtime(self, request: web.Request) -> VendorRuntime:
        name = request.match_info["vendor"]
        if name not in self.runtimes:
            raise web.HTTPNotFound(text=f"unknown vendor {name!r}; known: {sorted(self.runtimes)}")
        return self.runtimes[name]

    async def _advance(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        delta = timedelta(days=float(body.get("days", 0)), hours=float(body.get("hours", 0)),
                          minutes=float(body.get("minutes", 0)))
        now = self.world.advance(delta)
        return web.json_response({"now": now.isoformat()})

    async def _reset(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        old = self.world
        now = datetime.fromisoformat(body["now"]) if "now" in body else DEFAULT_NOW
        self.world = World(int(body.get("seed", old.seed)), body.get("scale", old.scale.name), now,
                           list(old.sims))
        for name, runtime in self.runtimes.items():
            runtime.sim = self.world.sims[name]
            runtime.faults = FaultPlan(self.world.seed, name, FaultSpec(**self.default_faults.to_dict()))
            runtime.reset_stats()
        return web.json_response(self.state())

    async def _get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({n: rt.faults.spec.to_dict() for n, rt in self.runtimes.items()})

    async def _put_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        vendor = body.get("vendor", "*")
        try:
            spec = FaultSpec.from_dict(body.get("spec", {}))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        targets = self.runtimes if vendor == "*" else {vendor: self.runtimes.get(vendor)}
        if None in targets.values():
            raise web.HTTPNotFound(text=f"unknown vendor {vendor!r}")
        for runtime in targets.values():
            runtime.faults.spec = FaultSpec(**spec.to_dict())
        return await self._get_faults(request)

    async def _reset_stats(self, request: web.Request) -> web.Response:
        for runtime in self.runtimes.values():
            runtime.reset_stats()
        return web.json_response({"ok": True})

    async def _put_request_log(self, request: web.Request) -> web.Response:
        """`{"enabled": true}` starts an empty request log for every vendor (`false` stops it);
        `POST /stats/reset` empties it."""
        enabled = bool((await request.json()).get("enabled"))
        for runtime in self.runtimes.values():
            runtime.request_log = [] if enabled else None
        return web.json_response({"enabled": enabled})

    async def _get_request_log(self, request: web.Request) -> web.Response:
        log_ = self._runtime(request).request_log
        if log_ is None:
            raise web.HTTPConflict(text="the request log is off; enable it with PUT /request-log")
        keys = ("method", "path_qs", "authorization", "content_type", "body")
        return web.Response(body=orjson.dumps([dict(zip(keys, entry, strict=True)) for entry in log_]),
                            content_type="application/json")

    async def _truth(self, request: web.Request) -> web.Response:
        runtime = self._runtime(request)
        return web.json_response(runtime.sim.truth(), dumps=lambda d: json.dumps(d, default=str))

    async def _settings(self, request: web.Request) -> web.Response:
        runtime = self._runtime(request)
        body = await request.json()
        configure = getattr(runtime.sim, "configure", None)
        if configure is None:
            raise web.HTTPBadRequest(text=f"{runtime.sim.name} has no settings")
        try:
            return web.json_response(configure(**body))
        except (TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None


def serve_forever(**kwargs) -> None:
    """Run until SIGINT/SIGTERM; used by `vendorsync sandbox serve` and `python -m sandbox`."""

    async def main() -> None:
        server = SandboxServer(**kwargs)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(json.dumps(server.state(), indent=2), flush=True)
        await stop.wait()
        await server.stop()

    asyncio.run(main())
