"""The API clients against a local server speaking each service's format, faults included."""

import json

import pytest

from musicmarkets.apis import services
from musicmarkets.apis.enrich import enrich
from musicmarkets.apis.http import ApiError, CacheMiss, HttpClient
from tests.apiserver import LASTFM_KEY, Handler, api_server, bases


@pytest.fixture
def server():
    with api_server() as root:
        yield root


@pytest.fixture
def pauses():
    return []


def make(server, tmp_path, pauses, **kw):
    return HttpClient("test", server, tmp_path / "cache", sleep=pauses.append, **kw)


def test_429_waits_for_retry_after_then_succeeds(server, tmp_path, pauses):
    c = make(server, tmp_path, pauses)
    assert c.get_json("faults/ratelimit") == {"ok": 2}
    assert pauses == [1.0] and c.stats["retries"] == 1


def test_5xx_is_retried_with_exponential_backoff(server, tmp_path, pauses):
    c = make(server, tmp_path, pauses, backoff=0.5)
    assert c.get_json("faults/flaky") == {"ok": 3}
    assert pauses == [0.5, 1.0]


def test_timeouts_are_retried_then_reported(server, tmp_path, pauses):
    c = make(server, tmp_path, pauses, timeout=0.3, max_retries=1)
    with pytest.raises(ApiError, match="failed after 2 tries: ReadTimeout"):
        c.get_json("faults/slow")


def test_malformed_json_is_an_error_and_is_not_cached(server, tmp_path, pauses):
    c = make(server, tmp_path, pauses)
    with pytest.raises(ApiError, match="malformed JSON"):
        c.get_json("faults/broken")
    assert not (tmp_path / "cache").exists()


def test_cache_makes_reruns_offline_and_deterministic(server, tmp_path, pauses):
    c = make(server, tmp_path, pauses)
    first = c.get_json("faults/flaky")
    calls = sum(Handler.counts.values())
    offline = make(server, tmp_path, pauses, online=False)
    assert offline.get_json("faults/flaky") == first and sum(Handler.counts.values()) == calls
    with pytest.raises(CacheMiss):
        offline.get_json("faults/ratelimit")


def test_rate_limit_spaces_requests(server, tmp_path, pauses):
    c = HttpClient("mb", f"{server}/mb/ws/2", tmp_path, min_interval=1.0, sleep=pauses.append)
    for name in ("Peter Fox", "Aitch", "Unknown Artist"):
        c.get_json("artist", {"query": f'artist:"{name}"', "fmt": "json"})
    # the first request goes at once; each later one waits out the rest of its second
    assert len(pauses) == 2 and all(0.9 < p <= 1.0 for p in pauses)


def test_musicbrainz_artist_country_with_a_descriptive_user_agent(server, tmp_path):
    c = services.client("musicbrainz", tmp_path, True, bases(server))
    assert c.min_interval == 1.0
    got = services.artist_area(c, "Peter Fox")
    assert got == {"artist": "Peter Fox", "mb_country": "de", "mb_area": "Germany", "mb_score": 100}
    assert services.artist_area(c, "Unknown Artist")["mb_country"] is None
    assert all(a.startswith("musicmarkets/") and "(" in a for a in Handler.agents)


def test_lastfm_key_is_sent_but_never_cached(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LASTFM_API_KEY", LASTFM_KEY)
    c = services.client("lastfm", tmp_path, True, bases(server))
    assert services.artist_tags(c, "Aitch")["lastfm_tags"] == "grime, rap"
    assert services.artist_tags(c, "Nobody")["lastfm_tags"] is None
    cached = "".join(p.read_text() for p in (tmp_path / "lastfm").glob("*.json"))
    assert "grime" in cached and LASTFM_KEY not in cached
    monkeypatch.setenv("LASTFM_API_KEY", "wrong")
    with pytest.raises(ApiError, match="error 10"):
        services.artist_tags(
            services.client("lastfm", tmp_path / "b", True, bases(server)), "Aitch"
        )


def test_worldbank_follows_pagination(server, tmp_path):
    c = services.client("worldbank", tmp_path, True, bases(server))
    table = services.worldbank_indicator(c, ["DEU", "GBR"], "SP.POP.TOTL")
    assert len(table) == 4 and set(table["iso3"]) == {"DEU", "GBR"}
    assert Handler.counts["/wb/v2/country/DEU;GBR/indicator/SP.POP.TOTL"] == 2


def test_enrich_online_then_offline_from_cache(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LASTFM_API_KEY", LASTFM_KEY)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "dummy-id")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "dummy-secret")
    args = (["Peter Fox", "Aitch"], ["4YxZQd3I4rj1nqkXgvpCk4"], ["DEU", "GBR"], tmp_path / "cache")
    online, status = enrich(
        *args, online=True, bases=bases(server), indicators=("SP.POP.TOTL",), sleep=lambda s: None
    )
    assert {s["status"] for s in status.values()} == {"used"}
    assert online["artists"].set_index("artist").loc["Aitch", "mb_country"] == "gb"
    calls = sum(Handler.counts.values())
    offline, status2 = enrich(*args, online=False, bases=bases(server), indicators=("SP.POP.TOTL",))
    assert sum(Handler.counts.values()) == calls  # nothing asked of the network
    for name in ("artists", "worldbank", "tracks"):
        assert offline[name].equals(online[name])
    cache_text = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert "dummy-secret" not in cache_text and "dummy-spotify-token" not in cache_text


def test_enrich_without_network_or_credentials_skips_and_says_why(tmp_path, monkeypatch):
    for var in ("LASTFM_API_KEY", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    tables, status = enrich(["Peter Fox"], ["x"], ["DEU"], tmp_path / "cache", online=False)
    assert status["lastfm"] == {
        "status": "skipped",
        "reason": "no credentials (LASTFM_API_KEY not set)",
    }
    assert (
        status["musicbrainz"]["status"] == "skipped"
        and "not in the response cache" in status["musicbrainz"]["reason"]
    )
    assert status["spotify"]["status"] == "skipped"
    assert list(tables["artists"]["artist"]) == ["Peter Fox"]
    json.dumps(status)  # the status goes into a metrics file
