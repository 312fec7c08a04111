"""A polite JSON-over-HTTP client with an on-disk response cache.

- *Rate limit*: at most one request every ``min_interval`` seconds (MusicBrainz asks for 1/s).
- *Retries*: 429 and 5xx answers and timeouts are retried with exponential backoff; a
  ``Retry-After`` header (seconds) is honoured.
- *Timeout* on every request.
- *Cache*: every successful answer is stored as one JSON file named by a hash of the request;
  the cache folder is a DVC output, so a re-run reads it and needs no network. With
  ``online=False`` the client only reads the cache and raises ``CacheMiss`` otherwise.
- Secrets (API keys, tokens) are passed in ``secret_params``/headers and never written to the
  cache or to a log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from musicmarkets.io import write_text

log = logging.getLogger(__name__)
RETRY_STATUS = {429, 500, 502, 503, 504}


class ApiError(RuntimeError):
    """A request that failed for good (after retries), or an answer that is not valid JSON."""


class CacheMiss(ApiError):
    """Offline, and the answer is not in the cache."""


class HttpClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        cache_dir: Path,
        *,
        user_agent: str = "musicmarkets/0.1 (research; https://example.invalid/musicmarkets)",
        min_interval: float = 0.0,
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        online: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name, self.base_url = name, base_url.rstrip("/")
        self.cache_dir = Path(cache_dir) / name
        self.min_interval, self.timeout = min_interval, timeout
        self.max_retries, self.backoff, self.online = max_retries, backoff, online
        self._sleep = sleep
        self._last = 0.0
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0}

    def _key(self, path: str, params: dict[str, Any]) -> Path:
        text = json.dumps([self.base_url, path, sorted(params.items())], default=str)
        return self.cache_dir / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"

    def _wait_turn(self) -> None:
        gap = self.min_interval - (time.monotonic() - self._last)
        if gap > 0:
            self._sleep(gap)
        self._last = time.monotonic()

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        secret_params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """GET ``base_url/path`` and return the decoded JSON (from the cache when present)."""
        params = dict(params or {})
        key = self._key(path, params)  # secrets are not part of the key nor of the file
        if key.is_file():
            self.stats["cache_hits"] += 1
            return json.loads(key.read_text(encoding="utf-8"))["body"]
        if not self.online:
            raise CacheMiss(f"{self.name}: {path} {params} is not cached and the client is offline")
        url = f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            self.stats["requests"] += 1
            try:
                resp = self.session.get(
                    url,
                    params={**params, **(secret_params or {})},
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                if attempt == self.max_retries:
                    raise ApiError(
                        f"{self.name}: {url} failed after {attempt + 1} tries: {type(exc).__name__}"
                    ) from exc
                self._retry_pause(attempt, None)
                continue
            if resp.status_code in RETRY_STATUS and attempt < self.max_retries:
                self._retry_pause(attempt, resp.headers.get("Retry-After"))
                continue
            if resp.status_code != 200:
                raise ApiError(f"{self.name}: {url} answered HTTP {resp.status_code}")
            try:
                body = resp.json()
            except ValueError as exc:
                raise ApiError(f"{self.name}: {url} answered malformed JSON") from exc
            write_text(
                json.dumps({"path": path, "params": params, "body": body}, sort_keys=True), key
            )
            return body
        raise ApiError(f"{self.name}: {url} kept failing")  # pragma: no cover (loop always returns)

    def _retry_pause(self, attempt: int, retry_after: str | None) -> None:
        self.stats["retries"] += 1
        try:
            pause = float(retry_after) if retry_after is not None else self.backoff * 2**attempt
        except ValueError:
            pause = self.backoff * 2**attempt
        log.info("%s: retry %d in %.1f s", self.name, attempt + 1, pause)
        self._sleep(pause)
