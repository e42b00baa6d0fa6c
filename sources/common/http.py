"""The one HTTP client every vendor source uses.

Why not dlt's retrying `Client`/`RESTClient` directly: a sync must also retry a 200 whose JSON
body is truncated, honour a rate budget shared across threads and resources, count every
request and retry for the run ledger, and turn a refusal into an error that names the vendor
and the setting to fix, with no secret in it. Paging still uses dlt's paginators
(`sources.common.paging`).
"""
from __future__ import annotations

import copy
import hashlib
import logging
import os
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urljoin, urlparse

import orjson
import requests
from requests.adapters import HTTPAdapter

from .errors import VendorAuthError, VendorConfigError, VendorRequestError
from .redact import redact, register_secret, register_url_credentials

log = logging.getLogger("vendorsync.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError)


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` bounds the tries of a request that fails (5xx, transport, malformed
    body); throttling (429) is the vendor saying "later", so it is waited out instead, up to
    `max_throttle_s` in all for one request."""

    max_attempts: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 120.0
    max_throttle_s: float = 600.0
    timeout_s: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter, so parallel workers do not retry in lockstep."""
        return random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1)))


@dataclass
class RequestMetrics:
    """Counters of one resource's requests within one run."""

    requests: int = 0
    retries: int = 0
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    malformed_bodies: int = 0
    rate_wait_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: float) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def status(self, code: int) -> None:
        with self._lock:
            self.requests += 1
            self.statuses[code] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {"requests": self.requests, "retries": self.retries,
                    "statuses": dict(self.statuses), "transport_errors": self.transport_errors,
                    "malformed_bodies": self.malformed_bodies, "rate_wait_s": round(self.rate_wait_s, 3)}


class RunMetrics:
    """One run's request counters, per resource ("" = requests of no resource, a token's).
    The pipeline makes one per run and hands it to the source, so runs at the same time (the
    vendors of a sync, the workers of a backfill) each count only the requests they made."""

    def __init__(self) -> None:
        self._by_resource: dict[str, RequestMetrics] = {}
        self._lock = threading.Lock()

    def for_resource(self, resource: str = "") -> RequestMetrics:
        with self._lock:
            return self._by_resource.setdefault(resource, RequestMetrics())

    def snapshot(self) -> dict[str, dict]:
        """resource -> counters, for every resource that made requests."""
        with self._lock:
            items = list(self._by_resource.items())
        return {r: m.snapshot() for r, m in items}

    @property
    def requests(self) -> int:
        return sum(m["requests"] for m in self.snapshot().values())


class RateBudget:
    """At most `limit` requests in any rolling `window_s`, shared by every thread and resource
    of one vendor credential. A 429 pauses all of them until its Retry-After has passed."""

    def __init__(self, limit: int, window_s: float, margin_s: float = 0.05):
        self.limit = limit
        self.window_s = window_s + margin_s
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                cutoff = now - self.window_s
                while self._sent and self._sent[0] <= cutoff:
                    self._sent.popleft()
                if now >= self._paused_until and len(self._sent) < self.limit:
                    self._sent.append(now)
                    return waited
                wait = max(self._paused_until - now,
                           (self._sent[0] - cutoff) if len(self._sent) >= self.limit else 0.0, 0.001)
            time.sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)


_budgets: dict[tuple, RateBudget] = {}
_budgets_lock = threading.Lock()


def shared_budget(vendor: str, credential: str, limit: int, window_s: float, margin_s: float = 0.05) -> RateBudget:
    """The one `RateBudget` of a vendor credential in this process. A vendor's limit is per
    credential, so every run using it at the same time (the chunks of a backfill with several
    workers, each its own source) must take its requests from the same budget."""
    key = (vendor, hashlib.sha256(credential.encode()).hexdigest(), limit, window_s, margin_s)
    with _budgets_lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = RateBudget(limit, window_s, margin_s)
        return budget


class VendorResponse(requests.Response):
    """A vendor's response: `parsed` is its JSON body, parsed once (None when the status was
    one the caller allowed, or no JSON was expected)."""

    parsed: Any


class Auth:
    """How a vendor's requests carry credentials. `setting` names the config key to fix."""

    setting: str = ""

    def headers(self) -> dict[str, str]:
        return {}

    def refresh(self, refused: dict[str, str]) -> bool:
        """Renew expired credentials after the vendor refused `refused` (the headers that were
        sent); True when the refused request is worth another try."""
        return False


class StaticHeaderAuth(Auth):
    def __init__(self, header: str, value: str, setting: str, secret: str):
        register_secret(secret)
        self._headers = {header: value}
        self.setting = setting

    def headers(self) -> dict[str, str]:
        return self._headers


def bearer(token: str, setting: str) -> StaticHeaderAuth:
    return StaticHeaderAuth("Authorization", f"Bearer {token}", setting, token)


class TokenAuth(Auth):
    """A bearer token obtained from a token endpoint, fetched lazily, renewed on refusal. With
    many threads, only the first to see a refused token fetches a new one; the others retry
    with the token it got."""

    def __init__(self, fetch_token: Callable[[], str], setting: str):
        self._fetch = fetch_token
        self._token: str | None = None
        self._lock = threading.Lock()
        self.setting = setting

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
                register_secret(self._token)
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self, refused: dict[str, str]) -> bool:
        with self._lock:
            if refused.get("Authorization") == f"Bearer {self._token}":
                self._token = None
        return True


def check_base_url(vendor: str, base_url: object, setting: str) -> str:
    text = str(base_url or "").strip()
    register_url_credentials(text)          # `https://user:password@host`: never shown
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise VendorConfigError(vendor, f"base URL {text!r} is not an http(s) URL.", setting=setting)
    return text.rstrip("/")


class VendorClient:
    """Requests to one vendor: retries, backoff honouring Retry-After, timeouts, a shared rate
    budget, JSON parsed once, errors translated and redacted, requests counted in the run's
    `RunMetrics` (a client made without one counts into its own)."""

    def __init__(self, vendor: str, base_url: str, auth: Auth, *, policy: RetryPolicy | None = None,
                 budget: RateBudget | None = None, pool_size: int = 16, base_url_setting: str = "",
                 metrics: RunMetrics | None = None):
        self.vendor = vendor
        self.base_url_setting = base_url_setting or f"sources.{vendor}.base_url"
        self.base_url = check_base_url(vendor, base_url, self.base_url_setting)
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.budget = budget
        self.run_metrics = metrics if metrics is not None else RunMetrics()
        self.metrics = self.run_metrics.for_resource("")
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "vendorsync/0.1"})
        # the environment's proxy and CA bundle settings, read once: requests would read them
        # (and look for ~/.netrc, whose credentials would replace ours) on every request
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        self._clock: dict[str, Any] = {}        # the latest Date header; shared with `for_resource` copies

    def for_resource(self, resource: str) -> VendorClient:
        """The same connection pool, auth and rate budget, counting requests under `resource`."""
        scoped = copy.copy(self)
        scoped.metrics = self.run_metrics.for_resource(resource)
        return scoped

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def server_now(self) -> datetime | None:
        """The vendor's clock, from the Date header of the latest response (None before any)."""
        return self._clock.get("date")

    def get(self, path: str, params: dict | None = None, **kw: Any) -> VendorResponse:
        return self.request("GET", path, params=params, **kw)

    def request(self, method: str, path: str, *, params: dict | None = None, data: Any = None,
                json_body: Any = None, headers: dict | None = None, auth: bool = True,
                expect_json: bool = True, allow_statuses: frozenset[int] = frozenset()) -> VendorResponse:
        """Send with retries. The parsed body is `response.parsed`.
        Statuses in `allow_statuses` are returned to the caller instead of raised."""
        url = self.url(path)
        where = _Where(method, url)
        refreshes = 0                      # token renewals for this request
        last_problem = ""
        policy = self.policy
        attempt = 0                       # failed tries so far (throttling not counted)
        throttled = 0                     # 429s so far
        throttled_s = 0.0
        while attempt < policy.max_attempts:
            if self.budget is not None:
                waited = self.budget.acquire()
                if waited:
                    self.metrics.add(rate_wait_s=waited)
            send_headers = dict(headers or {})
            if auth:
                send_headers.update(self.auth.headers())
            try:
                response = self.session.request(method, url, params=params, data=data, json=json_body,
                                                headers=send_headers, timeout=policy.timeout_s)
            except TRANSPORT_ERRORS as exc:
                attempt += 1
                self.metrics.add(requests=1, transport_errors=1, retries=1)
                last_problem = f"{type(exc).__name__}"
                log.warning("%s: %s failed (%s), attempt %d/%d", self.vendor, where, last_problem,
                            attempt, policy.max_attempts)
                time.sleep(policy.backoff(attempt))
                continue
            self.metrics.status(response.status_code)
            self._remember_date(response)
            status = response.status_code
            if status in allow_statuses:
                return _with_body(response, None)
            if status == 429:
                throttled += 1
                retry_after = self._retry_after(response)
                wait = retry_after if retry_after is not None else \
                    policy.backoff_base_s + policy.backoff(min(throttled, 6))
                if throttled_s + wait > policy.max_throttle_s:
                    raise VendorRequestError(
                        self.vendor, f"{where} is still throttled (HTTP 429) after {throttled} tries and "
                        f"{throttled_s:.0f}s of waiting; retry later, nothing was committed for this vendor.",
                        status=429)
                throttled_s += wait
                if retry_after is not None and self.budget is not None:
                    self.budget.pause(retry_after)
                self.metrics.add(retries=1)
                log.info("%s: %s throttled (HTTP 429), waiting %.2fs", self.vendor, where, wait)
                time.sleep(wait)
                continue
            if status in RETRY_STATUSES:
                attempt += 1
                last_problem = f"HTTP {status}"
                self.metrics.add(retries=1)
                log.warning("%s: %s got HTTP %d, attempt %d/%d", self.vendor, where, status, attempt,
                            policy.max_attempts)
                time.sleep(policy.backoff(attempt))
                continue
            if status in AUTH_STATUSES:
                if auth and refreshes < 2 and self.auth.refresh(send_headers):
                    refreshes += 1
                    continue
                raise VendorAuthError(
                    self.vendor, f"the API refused the credentials (HTTP {status} on {where}).",
                    setting=self.auth.setting)
            if status >= 400:
                raise VendorRequestError(
                    self.vendor, f"{where} was rejected with HTTP {status}: {_excerpt(response)}",
                    status=status)
            if expect_json:
                try:
                    parsed = orjson.loads(response.content) if response.content else None
                except orjson.JSONDecodeError:
                    attempt += 1
                    self.metrics.add(malformed_bodies=1, retries=1)
                    last_problem = "a malformed JSON body"
                    log.warning("%s: %s returned a malformed JSON body, attempt %d/%d", self.vendor,
                                where, attempt, policy.max_attempts)
                    time.sleep(policy.backoff(attempt))
                    continue
                return _with_body(response, parsed)
            return _with_body(response, None)
        if last_problem in ("ConnectionError", "ConnectTimeout"):
            raise VendorRequestError(
                self.vendor, f"cannot connect to {urlparse(url).scheme}://{urlparse(url).netloc} "
                f"({policy.max_attempts} attempts, {last_problem}).", setting=self.base_url_setting)
        raise VendorRequestError(
            self.vendor, f"{where} still failed after {policy.max_attempts} attempts ({last_problem}); "
            "the vendor may be down. Retry later; nothing was committed for this vendor.")

    def _retry_after(self, response: requests.Response) -> float | None:
        raw = response.headers.get("Retry-After")
        if raw is None:
            return None
        try:
            seconds = float(raw)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(raw) - datetime.now(timezone.utc)).total_seconds()
            except (TypeError, ValueError):
                return None
        return min(max(seconds, 0.0), self.policy.max_retry_after_s)

    def _remember_date(self, response: requests.Response) -> None:
        raw = response.headers.get("Date")
        if raw and raw != self._clock.get("raw"):     # the same second, parsed already
            try:
                self._clock["date"] = parsedate_to_datetime(raw).astimezone(timezone.utc)
                self._clock["raw"] = raw
            except (TypeError, ValueError):
                pass


def _with_body(response: requests.Response, parsed: Any) -> VendorResponse:
    response.parsed = parsed  # type: ignore[attr-defined]
    return cast(VendorResponse, response)


class _Where:
    """`GET /path` for messages, made only when one is written (not for every request)."""

    __slots__ = ("method", "url")

    def __init__(self, method: str, url: str):
        self.method, self.url = method, url

    def __str__(self) -> str:
        return f"{self.method} {urlparse(self.url).path}"


def _excerpt(response: requests.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return redact(text[:limit] + ("…" if len(text) > limit else "")) or "(empty body)"
