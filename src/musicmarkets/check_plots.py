"""Figures of the model checks for the technical report: what the priors expect, rank plots,
LOO-PIT, backtest error by weeks ahead, and every published "now" against the data (the
stakeholder figures are in ``musicmarkets.plots``, whose style and helpers these share)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from musicmarkets.insights import in_market_order
from musicmarkets.plots import GRID_WIDTH_IN, PALETTE, SMALL_PT, _ax, _wrap


def prior_predictive_grid(
    weekly: pd.DataFrame,
    names: dict[str, str] | None = None,
    ncols: int = 4,
    *,
    interval: float,
    order: list[str] | None = None,
    title: str | None = None,
) -> Figure:
    """What the priors expect, per market: the central ``interval`` of weekly streams per
    person simulated from the priors alone (a band) under the observed weeks (dots), log scale
    (``prior_check.summarise``'s weekly table)."""
    markets = list(dict.fromkeys(in_market_order(weekly, order)["market"]))
    nrows = int(np.ceil(len(markets) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(GRID_WIDTH_IN, 2.4 * nrows), squeeze=False, sharey=True
    )
    for ax, m in zip(axes.flat, markets, strict=False):
        w = weekly[weekly["market"] == m].sort_values("week_start")
        ax.fill_between(
            w["week_start"],
            w["prior_low"],
            w["prior_high"],
            color=PALETTE[7],
            alpha=0.35,
            label=f"priors, {interval:.0%} band",
        )
        ax.plot(
            w["week_start"], w["observed"], ".", color=PALETTE[1], markersize=2, label="observed"
        )
        ax.set_yscale("log")
        ax.set_title((names or {}).get(m, m.upper()), loc="left", fontsize=SMALL_PT + 1)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.tick_params(labelsize=SMALL_PT)
    for ax in axes.flat[len(markets) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower left", fontsize=SMALL_PT)
    fig.supylabel("weekly chart streams per person (log scale)", fontsize=SMALL_PT + 1)
    if title:
        fig.suptitle(_wrap(title, 90))
    fig.tight_layout()
    return fig


def rank_plots(posterior, names: list[str], bins: int = 20, columns: int = 4) -> Figure:
    """Rank histograms per chain (Vehtari et al. 2021), one panel per scalar: a vector
    parameter gets one panel per element (``phi[br]``), its draws ranked on their own."""
    panels = []
    for name in (n for n in names if n in posterior):
        da = posterior[name].transpose("chain", "draw", ...)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        if not extra:
            panels.append((name, da.to_numpy()))
            continue
        flat = da.stack(element=extra)
        for k in range(flat.sizes["element"]):
            label = ",".join(str(v) for v in np.atleast_1d(flat["element"].to_numpy()[k]))
            panels.append((f"{name}[{label}]", flat.isel(element=k).to_numpy()))
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(
        rows,
        min(columns, len(panels)),
        figsize=(GRID_WIDTH_IN / columns * min(columns, len(panels)), 2.3 * rows),
        squeeze=False,
    )
    for ax, (label, draws) in zip(axes.flat, panels, strict=False):
        ranks = draws.ravel().argsort().argsort().reshape(draws.shape)
        for c in range(draws.shape[0]):
            ax.hist(ranks[c], bins=bins, histtype="step", color=PALETTE[c % len(PALETTE)])
        ax.set_title(label)
        ax.set_yticks([])
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
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


def backtest_errors(scored: pd.DataFrame, labels: dict[str, str] | None = None) -> Figure:
    """Mean CRPS by weeks ahead, one line per method (the model drawn heaviest), each named by
    ``labels`` (method -> readable name; the method's own name where absent)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    crps = scored.groupby(["method", "weeks_ahead"])["crps"].mean().unstack("method")
    for i, m in enumerate(crps.columns):
        heavy = m == "model"
        ax.plot(
            crps.index,
            crps[m].to_numpy(),
            color="0.1" if heavy else PALETTE[i % len(PALETTE)],
            linewidth=2.5 if heavy else 1.2,
            label=(labels or {}).get(m, m.replace("_", " ")),
        )
    ax.set_xlabel("weeks ahead")
    ax.set_ylabel("mean CRPS (log scale, lower is better)")
    ax.set_title("Forecast error by weeks ahead: the model against simple methods")
    ax.legend(ncol=2, fontsize=SMALL_PT)
    fig.tight_layout()
    return fig


def recent_fit(now: pd.DataFrame, ax: Axes | None = None, *, interval: float) -> Axes:
    """Each published "now" against the data: the observed mean of the recent weeks (cross) on
    its posterior predictive interval (bar), scaled to the interval so that every measure fits
    one axis: -1 and +1 are the interval's ends, a cross outside them is a miss."""
    t = now.reset_index(drop=True)
    ax = _ax(ax, (7, 0.22 * len(t) + 1.2))
    half = (t["now_high"] - t["now_low"]) / 2
    mid = (t["now_high"] + t["now_low"]) / 2
    pos = (t["observed_recent"] - mid) / half.where(half > 0, np.nan)
    y = np.arange(len(t))
    ax.hlines(y, -1, 1, color=PALETTE[0], linewidth=3, alpha=0.5)
    miss = pos.abs() > 1
    ax.plot(pos[~miss], y[~miss], "x", color="0.2", markersize=6)
    ax.plot(pos[miss], y[miss], "x", color=PALETTE[3], markersize=8, markeredgewidth=2)
    ax.set_yticks(y, t["market"].str.upper() + " · " + t["measure"])
    ax.tick_params(axis="y", labelsize=SMALL_PT)
    ax.set_xlabel(f"observed recent mean within its {interval:.0%} predictive interval (-1 to +1)")
    ax.set_title("Every published 'now' against the observed weeks")
    return ax
