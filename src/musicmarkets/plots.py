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


def streams_axis(ax: Axes) -> Axes:
    """Format a y axis of stream counts in millions / billions."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}M"))
    return ax
