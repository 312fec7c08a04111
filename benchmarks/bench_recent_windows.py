"""How often does an 8-week mean fall outside its 90% interval in weeks the models have seen?

The ``recent_fit`` gate checks every published share "now" (the posterior predictive
distribution of a market's mean share over its last ``common.recent_weeks`` weeks, noise
included) against the observed mean of those weeks, and fails when any one falls outside. This
script makes the same check for every non-overlapping window of that length over the whole
history, from the share models the pipeline fitted (``models/shares.nc``, so run ``dvc repro``
first), and records per model how often the observed mean fell outside. An interval that holds
90% leaves about 10% outside; a model that follows the data only in the latest weeks would show
a higher rate in older windows than in the latest one. From the measured rate it also gives the
chance that all of the latest window's checks pass at once (as if independent).

Usage: python benchmarks/bench_recent_windows.py [--out recent_windows.json]
Writes benchmarks/results/recent_windows.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from musicmarkets import config  # noqa: E402
from musicmarkets.models import consumption, share_summary, shares  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def window_checks(
    posterior: xr.Dataset, d: shares.ShareData, weeks: int, interval: float, seed: int
):
    """One row per market, window (0: the latest) and category: observed mean outside?"""
    lo, hi = (1 - interval) / 2, (1 + interval) / 2
    observed = share_summary.observed_shares(d)
    rows = []
    for i, market in enumerate(d.markets):
        mine = np.flatnonzero(d.market_idx == i)
        for back in range(len(mine) // weeks):
            window = mine[len(mine) - weeks * (back + 1) : len(mine) - weeks * back]
            draws = share_summary.replicate(posterior, d, window, seed + 1000 * i + back)
            mean = draws.mean(axis=1)
            obs = observed[window].mean(axis=0)
            out = (obs < np.quantile(mean, lo, axis=0)) | (obs > np.quantile(mean, hi, axis=0))
            for k, flag in enumerate(np.atleast_1d(out)):
                rows.append(
                    {"market": market, "window_back": back, "category": k, "outside": bool(flag)}
                )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="recent_windows.json", help="file name in benchmarks/results/"
    )
    args = parser.parse_args()
    params = config.load_params(REPO)
    sp, common = params["shares"], params["common"]
    weeks, interval, seed = common["recent_weeks"], params["report"]["interval"], common["seed"]
    panel = pd.read_parquet(REPO / "data/processed/market_week.parquet")
    genre_shares = pd.read_parquet(REPO / "data/processed/genre_shares.parquet")
    tree = xr.open_datatree(REPO / "models/shares.nc")
    markets = consumption.markets_to_model(panel, common["markets"], common["reference_chart"])
    data = {
        col: shares.prepare_share(panel, col, markets, sp["floor"], sp["changepoint_weeks"])
        for col in ("local_share", "top10_share")
    }
    genre_markets = sorted(set(genre_shares["market"]) & set(markets))
    data["genre_mix"] = shares.prepare_genres(
        genre_shares,
        genre_markets,
        sp["genres_top"],
        sp["floor"],
        sp["changepoint_weeks"],
        families=sp["genre_families"],
    )
    frames = [
        window_checks(tree[f"{name}/posterior"].to_dataset(), d, weeks, interval, seed).assign(
            model=name
        )
        for name, d in data.items()
    ]
    checks = pd.concat(frames, ignore_index=True)
    latest = checks[checks["window_back"] == 0]
    older = checks[checks["window_back"] > 0]
    rate = float(checks["outside"].mean())
    models = {
        name: {
            "windows_checked": int(len(c)),
            "outside": int(c["outside"].sum()),
            "outside_rate": round(float(c["outside"].mean()), 4),
            "latest_checked": int((c["window_back"] == 0).sum()),
            "latest_outside": int(c.loc[c["window_back"] == 0, "outside"].sum()),
        }
        for name, c in checks.groupby("model")
    }
    n_latest = int(len(latest))
    result = {
        "machine": describe(),
        "what": (
            f"share models: observed mean of every non-overlapping {weeks}-week window against "
            f"its {interval:.0%} posterior predictive interval (noise included)"
        ),
        "interval": interval,
        "window_weeks": weeks,
        "models": models,
        "outside_rate_all": round(rate, 4),
        "outside_rate_latest_window": round(float(latest["outside"].mean()), 4),
        "outside_rate_older_windows": round(float(older["outside"].mean()), 4),
        "latest_checks": n_latest,
        "chance_all_latest_pass_at_measured_rate": round((1 - rate) ** n_latest, 4),
        "chance_all_latest_pass_at_nominal_rate": round(interval**n_latest, 6),
    }
    out = REPO / "benchmarks/results" / args.out
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
