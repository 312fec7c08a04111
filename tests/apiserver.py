"""A local HTTP server on 127.0.0.1 that answers like MusicBrainz, Last.fm, the World Bank and
the Spotify Web API (their documented JSON formats), plus fault routes: a slow answer (timeout),
429 with Retry-After, 500s before success, malformed JSON."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LASTFM_KEY = "dummy-lastfm-key"
SPOTIFY_TOKEN = "dummy-spotify-token"
ARTISTS = {
    "Peter Fox": ("DE", "Germany", ["hip-hop", "german", "reggae"]),
    "Aitch": ("GB", "United Kingdom", ["grime", "rap"]),
}
POPULATION = {
    "DEU": [(2019, 83092962), (2020, 83160871)],
    "GBR": [(2019, 66836327), (2020, 67081000)],
}


class Handler(BaseHTTPRequestHandler):
    counts: Counter = Counter()
    agents: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def _json(self, body, status=200, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path == "/sp/api/token":
            return self._json(
                {"access_token": SPOTIFY_TOKEN, "token_type": "Bearer", "expires_in": 3600}
            )
        self._json({"error": "not found"}, 404)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        Handler.counts[url.path] += 1
        Handler.agents.append(self.headers.get("User-Agent", ""))
        n = Handler.counts[url.path]
        if url.path == "/faults/slow":
            time.sleep(1.5)
            return self._json({"ok": True})
        if url.path == "/faults/ratelimit":
            return (
                self._json({"error": "slow down"}, 429, {"Retry-After": "1"})
                if n == 1
                else self._json({"ok": n})
            )
        if url.path == "/faults/flaky":
            return self._json({"error": "oops"}, 500) if n <= 2 else self._json({"ok": n})
        if url.path == "/faults/broken":
            return self._json(b"{not json", 200)
        if url.path == "/mb/ws/2/artist":
            name = q["query"].removeprefix('artist:"').removesuffix('"')
            if name not in ARTISTS:
                return self._json(
                    {"created": "2026-01-01T00:00:00Z", "count": 0, "offset": 0, "artists": []}
                )
            cc, area, _ = ARTISTS[name]
            return self._json(
                {
                    "count": 1,
                    "offset": 0,
                    "artists": [
                        {
                            "id": "mbid-1",
                            "score": 100,
                            "name": name,
                            "country": cc,
                            "area": {"name": area},
                        }
                    ],
                }
            )
        if url.path == "/lfm/2.0/":
            if q.get("api_key") != LASTFM_KEY:
                return self._json(
                    {
                        "error": 10,
                        "message": "Invalid API key - You must be granted a valid key by last.fm",
                    }
                )
            if q["artist"] not in ARTISTS:
                return self._json(
                    {"error": 6, "message": "The artist you supplied could not be found"}
                )
            tags = ARTISTS[q["artist"]][2]
            return self._json(
                {
                    "toptags": {
                        "tag": [{"count": 100 - i, "name": t} for i, t in enumerate(tags)],
                        "@attr": {"artist": q["artist"]},
                    }
                }
            )
        if url.path.startswith("/wb/v2/country/"):
            codes = url.path.split("/")[4].split(";")
            rows = [
                {
                    "indicator": {"id": url.path.split("/")[-1]},
                    "countryiso3code": c,
                    "date": str(y),
                    "value": v,
                }
                for c in codes
                for y, v in POPULATION.get(c, [])
            ]
            page, per = int(q.get("page", 1)), 2  # two rows a page: forces pagination
            pages = max(1, -(-len(rows) // per))
            meta = {"page": page, "pages": pages, "per_page": per, "total": len(rows)}
            return self._json([meta, rows[(page - 1) * per : page * per]])
        if url.path == "/sp/v1/tracks":
            if self.headers.get("Authorization") != f"Bearer {SPOTIFY_TOKEN}":
                return self._json(
                    {"error": {"status": 401, "message": "Invalid access token"}}, 401
                )
            ids = q["ids"].split(",")
            return self._json(
                {
                    "tracks": [
                        {
                            "id": i,
                            "name": f"track {i}",
                            "popularity": 50,
                            "album": {"release_date": "2022-12-02"},
                            "artists": [{"name": "Peter Fox"}],
                        }
                        for i in ids
                    ]
                }
            )
        self._json({"error": "not found"}, 404)


@contextmanager
def api_server() -> Iterator[str]:
    Handler.counts = Counter()
    Handler.agents = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def bases(root: str) -> dict[str, str]:
    return {
        "musicbrainz": f"{root}/mb/ws/2",
        "lastfm": f"{root}/lfm/2.0/",
        "worldbank": f"{root}/wb/v2",
        "spotify": f"{root}/sp/v1",
        "spotify_token": f"{root}/sp/api/token",
    }
