"""Enrichment from the four services, degrading gracefully: a service without credentials, or
offline with nothing cached, is *skipped* and says why; a failing one is *failed* with the reason.
The pipeline never stops for an enrichment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from musicmarkets.apis import services
from musicmarkets.apis.http import ApiError, CacheMiss, HttpClient

EMPTY = {
    "worldbank": pd.DataFrame(
        {
            "iso3": pd.Series(dtype="string"),
            "year": pd.Series(dtype="int64"),
            "indicator": pd.Series(dtype="string"),
            "value": pd.Series(dtype="float64"),
        }
    ),
    "tracks": pd.DataFrame(
        {
            "track_id": pd.Series(dtype="string"),
            "popularity": pd.Series(dtype="float64"),
            "release_date": pd.Series(dtype="string"),
            "artists": pd.Series(dtype="string"),
        }
    ),
}
ARTIST_COLUMNS = ["artist", "mb_country", "mb_area", "mb_score", "lastfm_tags"]
CACHE_README = (
    "Responses of external APIs, one JSON file per request (see musicmarkets.apis.http).\n"
    "A DVC output of the enrich stage: re-runs read it instead of the network.\n"
)


def top_items(charts: pd.DataFrame, n: int) -> tuple[list[str], list[str]]:
    """The ``n`` artists and tracks with the most chart streams (most first, ties by name)."""
    by_artist = (
        charts.groupby("artist")["streams"].sum().sort_values(ascending=False, kind="stable")
    )
    by_track = (
        charts.groupby("track_id")["streams"].sum().sort_values(ascending=False, kind="stable")
    )
    return [str(a) for a in by_artist.index[:n]], [str(t) for t in by_track.index[:n]]


def ensure_cache_dir(cache_dir: Path) -> None:
    """The cache folder exists (a DVC output) even when nothing was fetched."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    readme = cache_dir / "README.txt"
    if not readme.is_file():
        readme.write_text(CACHE_README, encoding="utf-8")


def _each(
    c: HttpClient, items: list[Any], fn: Callable[[HttpClient, Any], dict]
) -> tuple[list[dict], int]:
    rows, misses = [], 0
    for item in items:
        try:
            rows.append(fn(c, item))
        except CacheMiss:
            misses += 1
    return rows, misses


def _status(c: HttpClient, done: int, misses: int) -> dict[str, Any]:
    if done == 0 and misses:
        state = {"status": "skipped", "reason": "offline and not in the response cache"}
    else:
        state = {"status": "used", "reason": f"{misses} item(s) not cached" if misses else ""}
    return state | {"items": done, **c.stats}


def enrich(
    artists: list[str],
    track_ids: list[str],
    iso3: list[str],
    cache_dir: Path,
    online: bool,
    bases: dict[str, str] | None = None,
    indicators: tuple[str, ...] = ("SP.POP.TOTL", "NY.GDP.PCAP.CD", "IT.NET.USER.ZS"),
    **client_kw: Any,
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
    """Tables per service (``artists``, ``worldbank``, ``tracks``) and a status per service."""
    bases = bases or services.BASES
    status: dict[str, dict[str, Any]] = {}
    tables: dict[str, pd.DataFrame] = {}

    def run(
        service: str, body: Callable[[HttpClient], tuple[pd.DataFrame, int, int]]
    ) -> pd.DataFrame | None:
        missing = services.missing_credentials(service)
        if missing:
            status[service] = {
                "status": "skipped",
                "reason": f"no credentials ({', '.join(missing)} not set)",
            }
            return None
        c = services.client(service, cache_dir, online, bases, **client_kw)
        try:
            table, done, misses = body(c)
        except ApiError as exc:
            status[service] = {"status": "failed", "reason": str(exc), **c.stats}
            return None
        status[service] = _status(c, done, misses)
        return table

    def mb(c: HttpClient):
        rows, misses = _each(c, artists, services.artist_area)
        return (
            pd.DataFrame(rows, columns=["artist", "mb_country", "mb_area", "mb_score"]),
            len(rows),
            misses,
        )

    def lfm(c: HttpClient):
        rows, misses = _each(c, artists, services.artist_tags)
        return pd.DataFrame(rows, columns=["artist", "lastfm_tags"]), len(rows), misses

    def wb(c: HttpClient):
        frames, misses = [], 0
        for ind in indicators:
            try:
                frames.append(services.worldbank_indicator(c, iso3, ind))
            except CacheMiss:
                misses += 1
        table = pd.concat(frames, ignore_index=True) if frames else EMPTY["worldbank"]
        return table, len(frames), misses

    def sp(c: HttpClient):
        if not online and not c.cache_dir.is_dir():
            return EMPTY["tracks"], 0, 1
        token = (
            services.spotify_token(bases.get("spotify_token", services.BASES["spotify_token"]))
            if online
            else ""
        )
        try:
            return services.spotify_tracks(c, track_ids, token), len(track_ids), 0
        except CacheMiss:
            return EMPTY["tracks"], 0, 1

    mb_t, lfm_t = run("musicbrainz", mb), run("lastfm", lfm)
    people = pd.DataFrame({"artist": artists})
    for t in (mb_t, lfm_t):
        if t is not None:
            people = people.merge(t, on="artist", how="left")
    # the same columns and types whatever was skipped, so outputs depend on data, not on setup
    people = people.reindex(columns=ARTIST_COLUMNS)
    tables["artists"] = people.astype(
        {
            "mb_country": "string",
            "mb_area": "string",
            "mb_score": "float64",
            "lastfm_tags": "string",
        }
    )
    tables["worldbank"] = run("worldbank", wb)
    tables["tracks"] = run("spotify", sp)
    return {k: v for k, v in tables.items() if v is not None}, status
