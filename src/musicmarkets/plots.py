"""Figure helpers: each takes ``ax=None``, draws, and returns the Axes (never plt.show())."""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from musicmarkets.insights import in_market_order

PALETTE = sns.color_palette("colorblind")


# Pages lay charts out in a column about 970 px wide (export.CSS) and charts are saved at 96 dpi:
# a grid at most 10 in wide keeps its natural size, and 9 pt (12 px) is the smallest text, so
# every label reads at 11 px or more at 1280 px (checked in Chromium by the pipeline tests).
GRID_WIDTH_IN = 10.0
SMALL_PT = 9


def set_style() -> None:
    """House look: colour-blind-safe palette, light grid, readable sizes."""
    sns.set_theme(style="whitegrid", palette="colorblind", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "axes.titleweight": "bold"})


def _wrap(title: str, width: int = 64) -> str:
    """Takeaway titles are sentences: wrap them to the chart's width."""
    return "\n".join(textwrap.wrap(title, width))


def _ax(ax: Axes | None, size: tuple[float, float] = (7, 4)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=size)[1]


def growth_intervals(
    table: pd.DataFrame,
    ax: Axes | None = None,
    label: str = "name",
    *,
    interval: float,
    title: str = "Which markets grow fastest (size-adjusted)",
    order: list[str] | None = None,
) -> Axes:
    """Forest plot of yearly growth per market: median dot, interval bar, zero line; markets
    top to bottom in ``order`` (the report's one market order) where given."""
    ax = _ax(ax, (7, 0.45 * len(table) + 1.2))
    t = in_market_order(table, order).iloc[::-1]
    y = np.arange(len(t))
    col = label if label in t else "market"
    ax.hlines(y, t["growth_low"], t["growth_high"], color=PALETTE[0], linewidth=3, alpha=0.7)
    ax.plot(t["growth_median"], y, "o", color=PALETTE[3], markersize=7)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, t[col])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"momentum: trend growth per year (median and {interval:.0%} interval)")
    ax.set_title(_wrap(title), loc="left")
    return ax


def trend_band(
    bands: pd.DataFrame,
    market: str,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    interval: float,
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
    ax.set_title(_wrap(title or market.upper()), loc="left")
    ax.set_ylabel("weekly streams per person")
    dates_axis(ax)
    return ax


def trend_grid(
    bands: pd.DataFrame,
    names: dict[str, str] | None = None,
    ncols: int = 2,
    *,
    interval: float,
    order: list[str] | None = None,
    title: str | None = None,
) -> Figure:
    """One ``trend_band`` panel per market in a grid (in ``order`` where given)."""
    markets = list(dict.fromkeys(in_market_order(bands, order)["market"]))
    nrows = int(np.ceil(len(markets) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(GRID_WIDTH_IN, 2.6 * nrows), squeeze=False)
    for ax, m in zip(axes.flat, markets, strict=False):
        trend_band(bands, m, ax=ax, title=(names or {}).get(m, m.upper()), interval=interval)
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelsize=SMALL_PT)
    for ax in axes.flat[len(markets) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=SMALL_PT)
    fig.supylabel("weekly chart streams per person")
    if title:
        fig.suptitle(_wrap(title, 90))
    fig.tight_layout()
    return fig


def momentum_grid(
    path: pd.DataFrame,
    names: dict[str, str] | None = None,
    title: str | None = None,
    ncols: int = 4,
    *,
    interval: float,
    order: list[str] | None = None,
) -> Figure:
    """Small multiples of ``insights.momentum_path``: each market's momentum (trend growth per
    year) over its weeks with its band, on one shared axis so the panels compare (markets in
    ``order`` where given)."""
    markets = list(dict.fromkeys(in_market_order(path, order)["market"]))
    nrows = int(np.ceil(len(markets) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(GRID_WIDTH_IN, 2.3 * nrows), sharey=True, squeeze=False
    )
    for ax, m in zip(axes.flat, markets, strict=False):
        p = path[path["market"] == m]
        ax.fill_between(
            p["week_start"],
            100 * p["momentum_low"],
            100 * p["momentum_high"],
            color=PALETTE[0],
            alpha=0.3,
            step="mid",
            label=f"{interval:.0%} interval",
        )
        ax.step(p["week_start"], 100 * p["momentum_median"], where="mid", color=PALETTE[0])
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title((names or {}).get(m, m.upper()), fontsize=SMALL_PT + 2)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.tick_params(labelsize=SMALL_PT)
    for ax in axes.flat[len(markets) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower left", fontsize=SMALL_PT)
    fig.supylabel("momentum, % per year")
    if title:
        fig.suptitle(_wrap(title, 90))
    fig.tight_layout()
    return fig


def coverage_timeline(
    panel: pd.DataFrame,
    gaps: pd.DataFrame,
    ax: Axes | None = None,
    order: list[str] | None = None,
    names: dict[str, str] | None = None,
) -> Axes:
    """Which weeks each market has (bars) and which are missing (red crosses); markets top to
    bottom in ``order`` where given, each by its name in ``names``."""
    markets = sorted(panel["market"].unique())
    if order is not None:
        markets = [m for m in order if m in markets] + [m for m in markets if m not in order]
    markets = markets[::-1]  # the first at the top
    ax = _ax(ax, (8, 0.4 * len(markets) + 1.2))
    for i, m in enumerate(markets):
        w = panel.loc[panel["market"] == m, "week_start"]
        ax.plot(w, np.full(len(w), i), "|", color=PALETTE[0], markersize=9)
        g = gaps.loc[gaps["market"] == m, "week_start"]
        ax.plot(g, np.full(len(g), i), "x", color=PALETTE[3], markersize=9, markeredgewidth=2)
    ax.set_yticks(range(len(markets)), [(names or {}).get(m, m.upper()) for m in markets])
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
    """Format a y axis of stream counts in the tables' units: billions ("1.8 bn") where the
    axis reaches a billion, else millions ("300 M")."""

    def tick(v: float, _: int) -> str:
        if max(abs(y) for y in ax.get_ylim()) >= 1e9:
            return f"{v / 1e9:,.1f} bn"
        return f"{v / 1e6:,.0f} M"

    ax.yaxis.set_major_formatter(FuncFormatter(tick))
    return ax


def forecast_fan(
    history: pd.DataFrame,
    weekly: pd.DataFrame,
    key: str,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    interval: float,
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
    ax.set_title(_wrap(title or key), loc="left")
    streams_axis(ax)
    dates_axis(ax)
    return ax


def forecast_grid(
    history: pd.DataFrame,
    weekly: pd.DataFrame,
    keys: list[str],
    names: dict[str, str],
    ncols: int = 2,
    *,
    interval: float,
    title: str | None = None,
) -> Figure:
    """One ``forecast_fan`` panel per key (market, region or 'all')."""
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(GRID_WIDTH_IN, 2.6 * nrows), squeeze=False)
    for ax, k in zip(axes.flat, keys, strict=False):
        forecast_fan(history, weekly, k, ax=ax, title=names.get(k, k.upper()), interval=interval)
        ax.tick_params(axis="x", labelsize=SMALL_PT)
    for ax in axes.flat[len(keys) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="upper left", fontsize=SMALL_PT)
    fig.supylabel("weekly Top 200 streams")
    if title:
        fig.suptitle(_wrap(title, 90))
    fig.tight_layout()
    return fig


def rank_heatmap(
    ranks: pd.DataFrame,
    names: dict[str, str],
    ax: Axes | None = None,
    highlight: str | None = None,
    title: str = "How sure is each market's rank?",
    order: list[str] | None = None,
) -> Axes:
    """P(rank) per market: each row sums to 100%; darker = more probable. ``highlight``: the
    market whose row is outlined and labelled in bold (a partner page's own market)."""
    if order is None:
        r = ranks.iloc[(ranks.to_numpy() * np.arange(1, ranks.shape[1] + 1)).sum(axis=1).argsort()]
    else:
        r = ranks.loc[[m for m in order if m in ranks.index]]
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
    if highlight is not None and highlight in r.index:
        row = list(r.index).index(highlight)
        ax.add_patch(
            plt.Rectangle((0, row), r.shape[1], 1, fill=False, edgecolor=PALETTE[3], linewidth=3)
        )
        ax.get_yticklabels()[row].set_fontweight("bold")
    ax.set_xlabel("momentum rank (1 = fastest); numbers are chances in %")
    ax.set_ylabel("")
    ax.set_title(_wrap(title), loc="left")
    return ax


def shift_intervals(
    table: pd.DataFrame,
    label_col: str,
    title: str,
    ax: Axes | None = None,
    *,
    interval: float,
    order: list[str] | None = None,
) -> Axes:
    """Forest plot of share shifts in points: median dot, interval bar, zero line; by size, or
    markets top to bottom in ``order`` (each market's rows by size) where given."""
    t = table.sort_values("shift_pts")  # bottom to top: the largest at the top
    if order is not None:  # the first market at the top, each market's largest first
        t = in_market_order(t, order[::-1])
    ax = _ax(ax, (7, 0.4 * len(t) + 1.2))
    y = np.arange(len(t))
    ax.hlines(y, t["shift_low"], t["shift_high"], color=PALETTE[0], linewidth=3, alpha=0.7)
    ax.plot(t["shift_pts"], y, "o", color=PALETTE[3], markersize=6)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, t[label_col])
    ax.set_xlabel(f"change in share of streams, points (median and {interval:.0%} interval)")
    ax.set_title(_wrap(title), loc="left")
    return ax


def opportunity_intervals(
    table: pd.DataFrame,
    names: dict[str, str],
    ax: Axes | None = None,
    *,
    interval: float,
    order: list[str] | None = None,
) -> Axes:
    """Consumption against the covariates' prediction: left of zero = room to grow (markets
    top to bottom in ``order`` where given)."""
    t = table.dropna(subset=["opportunity_gap"]).sort_values("opportunity_gap", ascending=False)
    t = in_market_order(t, order).iloc[::-1] if order is not None else t
    ax = _ax(ax, (7, 0.45 * len(t) + 1.2))
    y = np.arange(len(t))
    ax.hlines(
        y, t["opportunity_low"], t["opportunity_high"], color=PALETTE[2], linewidth=3, alpha=0.7
    )
    ax.plot(t["opportunity_gap"], y, "o", color=PALETTE[3], markersize=7)
    ax.axvline(0, color="0.3", linewidth=1, linestyle="--")
    ax.set_yticks(y, [names.get(m, m.upper()) for m in t["market"]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(
        f"streams per person against GDP, internet and population ({interval:.0%} interval)"
    )
    ax.set_title("Opportunity: markets below their predicted consumption")
    return ax
