"""The four services, each in its documented response format.

- MusicBrainz ``/ws/2/artist?query=...&fmt=json``: artist country (ISO 3166-1) and area, to tell
  local from international repertoire. 1 request per second and a descriptive User-Agent.
- Last.fm ``/2.0/?method=artist.gettoptags``: artist tags, a genre where iTunes has none (all of
  France). Needs ``LASTFM_API_KEY``.
- World Bank ``/v2/country/{codes}/indicator/{id}?format=json``: paginated indicator values,
  to refresh the covariates.
- Spotify Web API ``/v1/tracks?ids=...``: track metadata. Needs ``SPOTIFY_CLIENT_ID`` and
  ``SPOTIFY_CLIENT_SECRET`` (client-credentials token, never cached or logged).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from musicmarkets.apis.http import ApiError, HttpClient

BASES = {
    "musicbrainz": "https://musicbrainz.org/ws/2",
    "lastfm": "https://ws.audioscrobbler.com/2.0",
    "worldbank": "https://api.worldbank.org/v2",
    "spotify": "https://api.spotify.com/v1",
    "spotify_token": "https://accounts.spotify.com/api/token",
}
CREDENTIALS = {
    "musicbrainz": [],
    "lastfm": ["LASTFM_API_KEY"],
    "worldbank": [],
    "spotify": ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"],
}
MIN_INTERVAL = {"musicbrainz": 1.0, "lastfm": 0.25, "worldbank": 0.1, "spotify": 0.1}


def missing_credentials(service: str) -> list[str]:
    return [v for v in CREDENTIALS[service] if not os.environ.get(v)]


def client(
    service: str, cache_dir: Path, online: bool, bases: dict[str, str] | None = None, **kw: Any
) -> HttpClient:
    base = (bases or BASES)[service]
    return HttpClient(
        service, base, cache_dir, min_interval=MIN_INTERVAL[service], online=online, **kw
    )


def artist_area(c: HttpClient, name: str) -> dict[str, Any]:
    """Best MusicBrainz match of an artist name: its country code and area (None if unknown)."""
    body = c.get_json("artist", {"query": f'artist:"{name}"', "fmt": "json", "limit": 1})
    found = body.get("artists") or []
    if not found:
        return {"artist": name, "mb_country": None, "mb_area": None, "mb_score": None}
    best = found[0]
    return {
        "artist": name,
        "mb_country": (best.get("country") or "").lower() or None,
        "mb_area": (best.get("area") or {}).get("name"),
        "mb_score": best.get("score"),
    }


def artist_tags(c: HttpClient, name: str, top: int = 3) -> dict[str, Any]:
    """The artist's top Last.fm tags (most used first)."""
    body = c.get_json(
        "",
        {"method": "artist.gettoptags", "artist": name, "format": "json"},
        secret_params={"api_key": os.environ.get("LASTFM_API_KEY", "")},
    )
    if "error" in body:
        if body["error"] == 6:  # "The artist you supplied could not be found"
            return {"artist": name, "lastfm_tags": None}
        raise ApiError(f"lastfm: error {body['error']}: {body.get('message')}")
    tags = (body.get("toptags") or {}).get("tag") or []
    return {"artist": name, "lastfm_tags": ", ".join(t["name"].lower() for t in tags[:top]) or None}


def worldbank_indicator(c: HttpClient, iso3: list[str], indicator: str) -> pd.DataFrame:
    """All years of one indicator for the given countries, following the pagination."""
    rows, page, pages = [], 1, 1
    while page <= pages:
        body = c.get_json(
            f"country/{';'.join(iso3)}/indicator/{indicator}",
            {"format": "json", "per_page": 1000, "page": page},
        )
        if not isinstance(body, list) or len(body) < 2 or not isinstance(body[0], dict):
            raise ApiError(f"worldbank: unexpected answer for {indicator} page {page}")
        pages = int(body[0].get("pages", 1))
        rows += [
            {
                "iso3": r["countryiso3code"],
                "year": int(r["date"]),
                "indicator": indicator,
                "value": r["value"],
            }
            for r in body[1] or []
        ]
        page += 1
    return pd.DataFrame(rows, columns=["iso3", "year", "indicator", "value"])


def spotify_token(token_url: str = BASES["spotify_token"], timeout: float = 10.0) -> str:
    """Client-credentials access token (kept in memory only)."""
    ident = f"{os.environ['SPOTIFY_CLIENT_ID']}:{os.environ['SPOTIFY_CLIENT_SECRET']}"
    resp = requests.post(
        token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(ident.encode()).decode()},
        timeout=timeout,
    )
    if resp.status_code != 200:
        raise ApiError(f"spotify: token request answered HTTP {resp.status_code}")
    return resp.json()["access_token"]


def spotify_tracks(c: HttpClient, ids: list[str], token: str) -> pd.DataFrame:
    """Track name, popularity, release date and artists, 50 ids per request."""
    rows = []
    for i in range(0, len(ids), 50):
        body = c.get_json(
            "tracks",
            {"ids": ",".join(ids[i : i + 50])},
            headers={"Authorization": f"Bearer {token}"},
        )
        for t in body.get("tracks") or []:
            if t:
                rows.append(
                    {
                        "track_id": t["id"],
                        "popularity": t.get("popularity"),
                        "release_date": (t.get("album") or {}).get("release_date"),
                        "artists": ", ".join(a["name"] for a in t.get("artists") or []),
                    }
                )
    return pd.DataFrame(rows, columns=["track_id", "popularity", "release_date", "artists"])
