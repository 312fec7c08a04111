"""Market x week aggregates of the tidy chart table."""

from __future__ import annotations

import numpy as np
import pandas as pd

REFERENCE_CHART = "global"


def market_week(
    charts: pd.DataFrame,
    covariates: pd.DataFrame,
    reference: str = REFERENCE_CHART,
    top_n: int = 10,
) -> pd.DataFrame:
    """One row per market and chart week.

    Columns: total top-200 streams, tracks charted, top-``top_n`` share of streams, streams per
    capita (population of the week's year), and ``local_share``: the share of streams on tracks
    absent from that week's ``reference`` chart (a local-repertoire proxy; missing when the
    reference chart lacks that week). The reference chart itself is kept as a row but has no
    per-capita value.
    """
    c = charts
    g = c.groupby(["market", "week_start"], observed=True, sort=True)
    out = g.agg(
        week_end=("week_end", "first"),
        streams=("streams", "sum"),
        tracks=("track_id", "size"),
    )
    top = c[c["rank"] <= top_n].groupby(["market", "week_start"], observed=True)["streams"].sum()
    out["top10_share"] = top.reindex(out.index).fillna(0) / out["streams"]

    ref = c.loc[c["market"] == reference, ["week_start", "track_id"]].drop_duplicates()
    ref_weeks = set(ref["week_start"])
    flagged = c.merge(ref.assign(on_reference=True), on=["week_start", "track_id"], how="left")
    flagged["on_reference"] = flagged["on_reference"].fillna(False).astype(bool)
    local = (
        flagged.loc[~flagged["on_reference"]]
        .groupby(["market", "week_start"], observed=True)["streams"]
        .sum()
    )
    out["local_share"] = local.reindex(out.index).fillna(0) / out["streams"]
    idx_weeks = out.index.get_level_values("week_start")
    idx_market = out.index.get_level_values("market")
    out.loc[~idx_weeks.isin(list(ref_weeks)) | (idx_market == reference), "local_share"] = np.nan

    known = c["genre"].notna()
    genre_known = c.loc[known].groupby(["market", "week_start"], observed=True)["streams"].sum()
    out["genre_known_share"] = genre_known.reindex(out.index).fillna(0) / out["streams"]

    out = out.reset_index()
    out["year"] = out["week_start"].dt.year
    cov = covariates[["market", "year", "population", "gdp_per_capita", "internet_users_pct"]]
    out = out.merge(cov, on=["market", "year"], how="left")
    out["streams_per_capita"] = out["streams"] / out["population"]
    cols = [
        "market",
        "week_start",
        "week_end",
        "streams",
        "tracks",
        "streams_per_capita",
        "top10_share",
        "local_share",
        "genre_known_share",
        "population",
        "gdp_per_capita",
        "internet_users_pct",
    ]
    return out[cols].sort_values(["market", "week_start"], ignore_index=True)


def genre_shares(charts: pd.DataFrame, min_known_share: float) -> pd.DataFrame:
    """Share of a market-week's genre-labelled streams per genre (long format).

    Market-weeks where fewer than ``min_known_share`` of streams carry a genre label are left
    out (France has none at all): a share among a few labelled tracks would mislead.
    """
    c = charts
    total = c.groupby(["market", "week_start"], observed=True)["streams"].sum()
    known = c[c["genre"].notna()]
    per_genre = known.groupby(["market", "week_start", "genre"], observed=True)["streams"].sum()
    known_total = per_genre.groupby(level=["market", "week_start"]).sum()
    keep = (known_total / total.reindex(known_total.index)) >= min_known_share
    shares = (
        per_genre / known_total.reindex(per_genre.index.droplevel("genre")).to_numpy()
    ).rename("share")
    shares = shares.reset_index()
    ok = keep[keep].index
    mask = pd.MultiIndex.from_frame(shares[["market", "week_start"]]).isin(ok)
    return shares.loc[mask].sort_values(["market", "week_start", "genre"], ignore_index=True)


WB_COLUMNS = {
    "SP.POP.TOTL": "population",
    "NY.GDP.PCAP.CD": "gdp_per_capita",
    "IT.NET.USER.ZS": "internet_users_pct",
}


def refresh_covariates(covariates: pd.DataFrame, worldbank: pd.DataFrame) -> pd.DataFrame:
    """Covariates with every value the World Bank API returned taking precedence over the
    embedded files (same ISO3 code and year); an empty API table changes nothing."""
    out = covariates.copy()
    api = worldbank.dropna(subset=["value"])
    api = api[api["indicator"].isin(WB_COLUMNS)]
    if api.empty:
        return out
    wide = api.pivot_table(index=["iso3", "year"], columns="indicator", values="value").rename(
        columns=WB_COLUMNS
    )
    keyed = out.set_index(["iso3", "year"])
    for col in wide.columns:
        new = wide[col].reindex(keyed.index)
        keyed[col] = new.where(new.notna(), keyed[col])
    return keyed.reset_index()[covariates.columns]


def local_share_by_artist_country(
    charts: pd.DataFrame, artists: pd.DataFrame, min_known_share: float = 0.8
) -> pd.DataFrame:
    """Share of a market-week's streams by artists whose MusicBrainz country is that market.

    Only where artists of at least ``min_known_share`` of the streams have a known country;
    elsewhere the value is missing (the Global-chart proxy stays the fallback).
    """
    cols = ["market", "week_start", "local_share_mb", "artist_country_known_share"]
    if "mb_country" not in artists or artists["mb_country"].notna().sum() == 0:
        return pd.DataFrame(columns=cols)
    c = charts.merge(artists[["artist", "mb_country"]], on="artist", how="left")
    c["known"] = c["mb_country"].notna()
    c["local"] = c["known"] & (c["mb_country"] == c["market"])
    g = c.groupby(["market", "week_start"], observed=True)
    total = g["streams"].sum()
    known = (
        c[c["known"]]
        .groupby(["market", "week_start"], observed=True)["streams"]
        .sum()
        .reindex(total.index, fill_value=0)
    )
    local = (
        c[c["local"]]
        .groupby(["market", "week_start"], observed=True)["streams"]
        .sum()
        .reindex(total.index, fill_value=0)
    )
    out = pd.DataFrame({"artist_country_known_share": known / total})
    out["local_share_mb"] = (local / known).where(
        out["artist_country_known_share"] >= min_known_share
    )
    return out.reset_index()[cols]
