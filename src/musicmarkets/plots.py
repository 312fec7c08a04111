"""Figure helpers: each takes ``ax=None``, draws, and returns the Axes (never plt.show())."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

PALETTE = sns.color_palette("colorblind")


def set_style() -> None:
    """House look: colour-blind-safe palette, light grid, readable sizes."""
    sns.set_theme(style="whitegrid", palette="colorblind", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "axes.titleweight": "bold"})


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size)[1]


def growth_intervals(
    table: pd.DataFrame, ax: Axes | None = None, label: str = "name", interval: float = 0.9
) -> Axes:
    """Forest plot of yearly growth per market: median dot, interval bar, zero line."""
    ax = _ax(ax, (7, 0.45 * len(table) + 1.2))
    t = table.iloc[::-1]
    y = np.arange(len(t))
    col = label if label in t else "market"
    ax.hlines(y, t["growth_low"], t["growth_high"], color=PALETTE[0], linewidth=3, alpha=0.7)
    ax.plot(t["growth_median"], y, "o", color=PALETTE[3], markersize=7)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, t[col])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"yearly growth of chart streams per person (median and {interval:.0%} interval)")
    ax.set_title("Which markets grow fastest (size-adjusted)")
    return ax


def trend_band(
    bands: pd.DataFrame,
    market: str,
    ax: Axes | None = None,
    title: str | None = None,
    interval: float = 0.9,
) -> Axes:
    """Observed weekly streams per person (dots) against the model's trend and its band."""
    ax = _ax(ax)
    b = bands[bands["market"] == market].sort_values("week_start")
    ax.fill_between(
        b["week_start"],
        b["fit_low"],
        b["fit_high"],
        color=PALETTE[0],
        alpha=0.3,
        label=f"model, {interval:.0%} band",
    )
    ax.plot(
        b["week_start"], b["fit_median"], color=PALETTE[0], linewidth=1.5, label="model, median"
    )
    ax.plot(b["week_start"], b["observed"], ".", color=PALETTE[1], markersize=3, label="observed")
    ax.set_title(title or market.upper())
    ax.set_ylabel("weekly streams per person")
    dates_axis(ax)
    return ax


def trend_grid(
    bands: pd.DataFrame, names: dict[str, str] | None = None, ncols: int = 2, interval: float = 0.9
) -> Figure:
    """One ``trend_band`` panel per market in a grid."""
    markets = list(dict.fromkeys(bands["market"]))
    nrows = int(np.ceil(len(markets) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, m in zip(axes.flat, markets, strict=False):
        trend_band(bands, m, ax=ax, title=(names or {}).get(m, m.upper()), interval=interval)
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(markets) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=8)
    fig.supylabel("weekly chart streams per person")
    fig.tight_layout()
    return fig


def coverage_timeline(panel: pd.DataFrame, gaps: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Which weeks each market has (bars) and which are missing (red crosses)."""
    markets = sorted(panel["market"].unique())
    ax = _ax(ax, (8, 0.4 * len(markets) + 1.2))
    for i, m in enumerate(markets):
        w = panel.loc[panel["market"] == m, "week_start"]
        ax.plot(w, np.full(len(w), i), "|", color=PALETTE[0], markersize=9)
        g = gaps.loc[gaps["market"] == m, "week_start"]
        ax.plot(g, np.full(len(g), i), "x", color=PALETTE[3], markersize=9, markeredgewidth=2)
    ax.set_yticks(range(len(markets)), [m.upper() for m in markets])
    ax.set_title("Weeks of chart data per market (x = missing week)")
    return ax


def dates_axis(ax: Axes) -> Axes:
    """Readable date ticks: a few per axis, written concisely (2019, Apr, Jul ...)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def streams_axis(ax: Axes) -> Axes:
    """Format a y axis of stream counts in millions / billions."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}M"))
    return ax


def forecast_fan(
    history: pd.DataFrame,
    weekly: pd.DataFrame,
    key: str,
    ax: Axes | None = None,
    title: str | None = None,
    interval: float = 0.9,
    history_weeks: int = 104,
) -> Axes:
    """Observed weekly streams (line) then the forecast median with 50% and wider bands."""
    ax = _ax(ax)
    f = weekly[weekly["key"] == key].sort_values("week_start")
    h = history[history["key"] == key].sort_values("week_start").tail(history_weeks)
    ax.plot(h["week_start"], h["streams"], color=PALETTE[1], linewidth=1, label="observed")
    ax.fill_between(
        f["week_start"],
        f["low"],
        f["high"],
        color=PALETTE[0],
        alpha=0.2,
        label=f"forecast, {interval:.0%} band",
    )
    ax.fill_between(
        f["week_start"],
        f["low50"],
        f["high50"],
        color=PALETTE[0],
        alpha=0.4,
        label="forecast, 50% band",
    )
    ax.plot(f["week_start"], f["median"], color=PALETTE[0], linewidth=1.5, label="forecast, median")
    ax.set_title(title or key)
    streams_axis(ax)
    dates_axis(ax)
    return ax


def forecast_grid(
    history: pd.DataFrame,
    weekly: pd.DataFrame,
    keys: list[str],
    names: dict[str, str],
    ncols: int = 2,
    interval: float = 0.9,
) -> Figure:
    """One ``forecast_fan`` panel per key (market, region or 'all')."""
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax, k in zip(axes.flat, keys, strict=False):
        forecast_fan(history, weekly, k, ax=ax, title=names.get(k, k.upper()), interval=interval)
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=7)
    fig.supylabel("weekly Top 200 streams")
    fig.tight_layout()
    return fig


def rank_heatmap(ranks: pd.DataFrame, names: dict[str, str], ax: Axes | None = None) -> Axes:
    """P(rank) per market: each row sums to 100%; darker = more probable."""
    order = (ranks.to_numpy() * np.arange(1, ranks.shape[1] + 1)).sum(axis=1).argsort()
    r = ranks.iloc[order]
    ax = _ax(ax, (7, 0.45 * len(r) + 1.5))
    sns.heatmap(
        r * 100,
        annot=True,
        fmt=".0f",
        cmap="Blues",
        cbar=False,
        ax=ax,
        yticklabels=[names.get(m, m.upper()) for m in r.index],
        vmin=0,
        vmax=100,
    )
    ax.set_xlabel("growth rank (1 = fastest); numbers are chances in %")
    ax.set_ylabel("")
    ax.set_title("How sure is each market's rank?")
    return ax


def shift_intervals(
    table: pd.DataFrame, label_col: str, title: str, ax: Axes | None = None, interval: float = 0.9
) -> Axes:
    """Forest plot of share shifts in points: median dot, interval bar, zero line."""
    t = table.sort_values("shift_pts")
    ax = _ax(ax, (7, 0.4 * len(t) + 1.2))
    y = np.arange(len(t))
    ax.hlines(y, t["shift_low"], t["shift_high"], color=PALETTE[0], linewidth=3, alpha=0.7)
    ax.plot(t["shift_pts"], y, "o", color=PALETTE[3], markersize=6)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, t[label_col])
    ax.set_xlabel(f"change in share of streams, points (median and {interval:.0%} interval)")
    ax.set_title(title)
    return ax


def opportunity_intervals(
    table: pd.DataFrame, names: dict[str, str], ax: Axes | None = None, interval: float = 0.9
) -> Axes:
    """Consumption against the covariates' prediction: left of zero = room to grow."""
    t = table.dropna(subset=["opportunity_gap"]).sort_values("opportunity_gap", ascending=False)
    ax = _ax(ax, (7, 0.45 * len(t) + 1.2))
    y = np.arange(len(t))
    ax.hlines(
        y, t["opportunity_low"], t["opportunity_high"], color=PALETTE[2], linewidth=3, alpha=0.7
    )
    ax.plot(t["opportunity_gap"], y, "o", color=PALETTE[3], markersize=7)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, [names.get(m, m.upper()) for m in t["market"]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"streams per person vs what covariates predict ({interval:.0%} interval)")
    ax.set_title("Opportunity: markets below their predicted consumption")
    return ax


def rank_plots(posterior, names: list[str], bins: int = 20) -> Figure:
    """Rank histograms per chain (Vehtari et al. 2021) for scalar parameters."""
    present = [n for n in names if n in posterior]
    fig, axes = plt.subplots(1, len(present), figsize=(3.2 * len(present), 2.6), squeeze=False)
    for ax, name in zip(axes.flat, present, strict=True):
        draws = posterior[name].to_numpy()  # (chain, draw)
        ranks = draws.ravel().argsort().argsort().reshape(draws.shape)
        for c in range(draws.shape[0]):
            ax.hist(ranks[c], bins=bins, histtype="step", color=PALETTE[c % len(PALETTE)])
        ax.set_title(name)
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def pit_histogram(pit: np.ndarray, bins: int = 20) -> Figure:
    """Histogram of LOO-PIT values with the uniform line."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(pit, bins=bins, range=(0, 1), density=True, color=PALETTE[0], alpha=0.7)
    ax.axhline(1.0, color="0.3", linestyle="--", linewidth=1)
    ax.set_xlabel("LOO-PIT")
    ax.set_ylabel("density")
    fig.tight_layout()
    return fig


def backtest_errors(scored: pd.DataFrame) -> Figure:
    """Mean absolute error of each method's median by weeks ahead."""
    d = scored.copy()
    d["weeks_ahead"] = ((d["week_start"] - d["origin"]).dt.days // 7).astype(int)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for i, m in enumerate(("model", "naive", "gbm")):
        err = (d[f"{m}_median"] - d["y"]).abs().groupby(d["weeks_ahead"]).mean()
        ax.plot(err.index, err.to_numpy(), marker="o", color=PALETTE[i], label=m)
    ax.set_xlabel("weeks ahead")
    ax.set_ylabel("mean absolute error (log scale)")
    ax.legend()
    fig.tight_layout()
    return fig
