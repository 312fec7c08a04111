"""Realistic daily stream reports at any scale, drawn from the fitted consumption model.

The generative story, stated:
1. Weekly Top 200 streams per market: one draw of the fitted model's posterior predictive for the
   weeks after the data (`forecast.simulate` with one posterior draw: trend, damped as the
   forecasts' is, seasonality, Christmas, AR(1) Student-t residuals).
2. Track popularity follows the observed rank-stream curve: the mean share of a week's Top 200
   streams at rank r, fitted as a power law share(r) ~ r^-b on the chart files, extended to the
   whole catalogue of T tracks per market. A market's weekly total is its Top 200 streams divided
   by the curve's Top 200 fraction.
3. Tracks keep a latent popularity that drifts as a Gaussian random walk from week to week; the
   week's order of that popularity assigns the ranks. A share `global_fraction` of each market's
   catalogue are ids shared by every market (international repertoire), the rest are local.
4. Each track-week's streams are split over the seven days with log-normal day noise (sd 0.1),
   rounded to whole streams; with `tiers`, each track-day is split binomially into premium and
   free rows (premium probability `premium_share`).

Rows are written market by market and week by week (memory bounded) as hive-partitioned Parquet:
`OUT/market=<cc>/week-<YYYY-MM-DD>.parquet`. The exact totals per market and week come back as
the truth table the aggregation must reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


@dataclass(frozen=True)
class RankCurve:
    exponent: float  # b in share(r) ~ r^-b
    ranks: int  # ranks the fit used (the chart's 200)

    def shares(self, tracks: int) -> np.ndarray:
        s = np.arange(1, tracks + 1, dtype=float) ** -self.exponent
        return s / s.sum()


def fit_rank_curve(charts: pd.DataFrame) -> RankCurve:
    """Power-law fit of the mean share of each week's Top 200 streams by rank."""
    weekly = charts.groupby(["market", "week_start"])["streams"].transform("sum")
    share = (charts["streams"] / weekly).groupby(charts["rank"]).mean()
    share = share[share > 0]
    slope, _ = np.polyfit(np.log(share.index.to_numpy(float)), np.log(share.to_numpy()), 1)
    return RankCurve(exponent=float(-slope), ranks=int(share.index.max()))


def weekly_top200(tree: Any, weeks: int, seed: int, damping_years: float | None) -> pd.DataFrame:
    """One posterior predictive draw of each market's weekly Top 200 streams (long table),
    with the fit's own changepoint settings (read from the model file) and the forecast stage's
    damped trend (``damping_years``, params.yaml ``forecast.damping_years``)."""
    from musicmarkets.models import forecast

    draws = forecast.simulate(tree, weeks, seed, max_draws=1, damping_years=damping_years)
    s = draws.streams[0]  # (market, week)
    return pd.DataFrame(
        {
            "market": np.repeat(draws.markets, len(draws.weeks)),
            "week_start": np.tile(draws.weeks.to_numpy(), len(draws.markets)),
            "top200": s.reshape(-1),
        }
    )


def tracks_for(rows: int, markets: int, weeks: int, tiers: bool) -> int:
    """Catalogue size per market so that markets x days x tracks (x tiers) is about `rows`."""
    per = markets * weeks * 7 * (2 if tiers else 1)
    return max(200, int(round(rows / per)))


def generate(
    top200: pd.DataFrame,
    curve: RankCurve,
    out: Path,
    rows: int,
    seed: int,
    global_fraction: float = 0.5,
    drift_sd: float = 0.15,
    day_sd: float = 0.1,
    tiers: bool = False,
    premium_share: float = 0.6,
) -> pd.DataFrame:
    """Write about `rows` report rows under `out`; return the exact totals per market-week."""
    rng = np.random.default_rng(seed)
    markets = sorted(top200["market"].unique())
    weeks = pd.DatetimeIndex(sorted(top200["week_start"].unique()))
    tracks = tracks_for(rows, len(markets), len(weeks), tiers)
    shares = curve.shares(tracks)
    top_fraction = shares[:200].sum()
    n_global = int(round(global_fraction * tracks))
    truth = []
    for market in markets:
        folder = out / f"market={market}"
        folder.mkdir(parents=True, exist_ok=True)
        # catalogue: shared ids first, then the market's own; latent popularity by position
        ids = np.concatenate(
            [
                np.char.add("g", np.arange(n_global).astype(str)),
                np.char.add(f"{market}-", np.arange(tracks - n_global).astype(str)),
            ]
        )
        ids = ids[rng.permutation(tracks)]
        z = -np.log(np.arange(1, tracks + 1, dtype=float))  # start in catalogue order
        series = top200[top200["market"] == market].set_index("week_start")["top200"]
        for week in weeks:
            z = z + rng.normal(0.0, drift_sd, tracks)
            order = np.argsort(-z, kind="stable")  # order[r] = track at rank r + 1
            total = float(series[week]) / top_fraction
            weekly = total * shares  # by rank
            day = weekly[None, :] / 7 * np.exp(rng.normal(0.0, day_sd, (7, tracks)))
            streams = np.rint(day).astype(np.int64)  # (day, rank)
            dates = (week + pd.to_timedelta(np.arange(7), unit="D")).to_numpy()
            date_col = np.repeat(dates.astype("datetime64[D]"), tracks)
            track_col = np.tile(ids[order], 7)
            flat = streams.reshape(-1)
            columns = {
                "date": pa.array(date_col, type=pa.date32()),
                "track_id": pa.array(track_col, type=pa.string()),
                "streams": pa.array(flat, type=pa.int64()),
            }
            if tiers:
                premium = rng.binomial(flat, premium_share)
                columns = {
                    "date": pa.concat_arrays([columns["date"]] * 2),
                    "track_id": pa.concat_arrays([columns["track_id"]] * 2),
                    "streams": pa.array(np.concatenate([premium, flat - premium]), pa.int64()),
                    "product_tier": pa.array(
                        np.repeat(["premium", "free"], len(flat)), type=pa.string()
                    ),
                }
            table = pa.table(columns)
            pq.write_table(table, folder / f"week-{week.date()}.parquet", compression="zstd")
            by_track = streams.sum(axis=0)  # (rank,)
            top10 = int(by_track[np.argsort(-by_track, kind="stable")[:10]].sum())
            truth.append(
                {
                    "market": market,
                    "week_start": week,
                    "rows": table.num_rows,
                    "streams": int(pc.sum(table["streams"]).as_py()),
                    "top10_streams": top10,
                }
            )
    return pd.DataFrame(truth)


def matches_totals(truth: pd.DataFrame, market_week: pd.DataFrame) -> bool:
    """Does an aggregated panel reproduce the generator's exact totals (same market-weeks,
    same streams, same top-10 streams)?"""
    truth = truth.assign(week_start=pd.to_datetime(truth["week_start"]).astype("datetime64[s]"))
    panel = market_week.assign(
        week_start=pd.to_datetime(market_week["week_start"]).astype("datetime64[s]")
    )
    merged = truth.merge(panel, on=["market", "week_start"], suffixes=("_true", ""))
    top10 = (merged["top10_share"] * merged["streams"]).round()
    return bool(
        len(merged) == len(truth) == len(panel)
        and (merged["streams_true"] == merged["streams"]).all()
        and (merged["top10_streams"] == top10).all()
    )
