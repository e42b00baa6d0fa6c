"""Start a sandbox in a child process and talk to its control API.

Used by the demo, the tests and the benchmarks, so all of them exercise the same real
servers on loopback.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


class SandboxError(RuntimeError):
    pass


class ControlClient:
    def __init__(self, control_url: str):
        self.url = control_url.rstrip("/")
        self.http = requests.Session()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.http.request(method, self.url + path, json=body, timeout=600)
        if response.status_code >= 400:
            raise SandboxError(f"sandbox control {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def info(self) -> dict:
        return self._call("GET", "/info")

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> str:
        return self._call("POST", "/advance", {"days": days, "hours": hours, "minutes": minutes})["now"]

    def reset(self, **world) -> dict:
        return self._call("POST", "/reset", world)

    def set_faults(self, vendor: str = "*", **spec) -> dict:
        return self._call("PUT", "/faults", {"vendor": vendor, "spec": spec})

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("POST", "/stats/reset")

    def set_request_log(self, enabled: bool = True) -> None:
        """Record every vendor request from now on (method, path+query, Authorization, body)."""
        self._call("PUT", "/request-log", {"enabled": enabled})

    def request_log(self, vendor: str) -> list[dict]:
        return self._call("GET", f"/request-log/{vendor}")

    def truth(self, vendor: str) -> dict:
        return self._call("GET", f"/truth/{vendor}")

    def configure(self, vendor: str, **settings) -> dict:
        return self._call("PUT", f"/settings/{vendor}", settings)


class SandboxProcess:
    """`with SandboxProcess(seed=1, scale="tiny") as sb: sb.state["vendors"]...`"""

    def __init__(self, seed: int = 42, scale: str = "small", vendors: list[str] | None = None,
                 port_base: int = 0, latency_ms: float = 0, state_file: Path | None = None,
                 startup_timeout_s: float = 300):
        self.args = ["--seed", str(seed), "--scale", scale, "--port-base", str(port_base)]
        if vendors:
            self.args += ["--vendors", ",".join(vendors)]
        if latency_ms:
            self.args += ["--latency-ms", str(latency_ms)]
        self._tmp = None
        if state_file is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="vendorsync-sandbox-")
            state_file = Path(self._tmp.name) / "sandbox.json"
        self.state_file = Path(state_file)
        self.startup_timeout_s = startup_timeout_s
        self.proc: subprocess.Popen | None = None
        self.state: dict = {}
        self._control: ControlClient | None = None

    @property
    def control(self) -> ControlClient:
        """The control API of the running sandbox."""
        if self._control is None:
            raise SandboxError("the sandbox is not started")
        return self._control

    def start(self) -> SandboxProcess:
        if self.state_file.exists():
            self.state_file.unlink()
        log = tempfile.TemporaryFile()
        self._log = log
        cmd = [sys.executable, "-m", "sandbox", "serve", "--state-file", str(self.state_file), *self.args]
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
        deadline = time.monotonic() + self.startup_timeout_s
        while not self.state_file.exists():
            if self.proc.poll() is not None:
                log.seek(0)
                raise SandboxError(f"sandbox exited with {self.proc.returncode}: {log.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise SandboxError("sandbox did not start in time")
            time.sleep(0.05)
        self.state = json.loads(self.state_file.read_text())
        self._control = ControlClient(self.state["control_url"])
        return self

    def vendor(self, name: str) -> dict:
        return self.state["vendors"][name]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def read_state(state_file: Path) -> dict:
    if not state_file.exists():
        raise SandboxError(f"no sandbox is running (no state file at {state_file}); "
                           "start one with `vendorsync sandbox serve`")
    return json.loads(state_file.read_text())
