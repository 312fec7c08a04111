"""Numbers for people, the trust panel, and the export of an executed notebook to a
self-contained HTML page (no code, no injected parameters, no stderr, no network asset)."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

REMOVE_TAGS = {"parameters", "injected-parameters", "remove-cell"}
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


# ---------------------------------------------------------------- numbers for people
def human_number(value: float, unit: str = "") -> str:
    """1234567 -> '1.2 M', 3.4e9 -> '3.4 bn' (with an optional unit after it)."""
    v = float(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            text = f"{v / limit:.1f} {suffix}"
            break
    else:
        text = f"{v:.0f}" if abs(v) >= 10 else f"{v:.2g}"
    return f"{text} {unit}".strip()


def signed_percent(value: float, decimals: int = 0) -> str:
    """0.213 -> '+21%'; uses a real minus sign for negatives."""
    text = f"{value * 100:+.{decimals}f}%"
    return text.replace("-", "\u2212")


def percent_interval(low: float, high: float, decimals: int = 0) -> str:
    return f"{signed_percent(low, decimals)} to {signed_percent(high, decimals)}"


def signed_points(value: float, decimals: int = 1) -> str:
    """3.44 -> '+3.4 pts' (share points); a real minus sign for negatives."""
    return f"{value:+.{decimals}f} pts".replace("-", "\u2212")


def streams_interval(median: float, low: float, high: float) -> str:
    """'1.2 bn (1.0 bn to 1.4 bn)'."""
    return f"{human_number(median)} ({human_number(low)} to {human_number(high)})"


def probability_words(p: float) -> str:
    """A plain-words reading of a probability (IPCC-style calibrated language)."""
    if p >= 0.99:
        return "virtually certain"
    if p >= 0.9:
        return "very likely"
    if p >= 0.66:
        return "likely"
    if p > 0.33:
        return "about as likely as not"
    if p > 0.1:
        return "unlikely"
    return "very unlikely"


# ---------------------------------------------------------------- findings in words
def growth_headlines(table: pd.DataFrame, failed: list[str], interval: float = 0.9) -> str:
    """Markdown bullet points of the growth findings, generated from the posterior table."""
    width = f"{interval:.0%}"
    if table.empty:
        return "No market could be modelled."
    label = "name" if "name" in table else "market"
    top, last = table.iloc[0], table.iloc[-1]
    lines = [
        f"- **Fastest growth: {top[label]}**, {signed_percent(top['growth_median'])} chart streams per person "
        f"per year ({width} interval {percent_interval(top['growth_low'], top['growth_high'])}); the chance that "
        f"it is the fastest of the {len(table)} markets is {top['p_fastest']:.0%}.",
        f"- **Slowest growth: {last[label]}**, {signed_percent(last['growth_median'])} per year "
        f"({percent_interval(last['growth_low'], last['growth_high'])}).",
    ]
    growing = table[table["p_growing"] >= 0.9]
    if len(growing):
        lines.append(
            f"- {len(growing)} of {len(table)} markets are very likely (at least 90% probability) growing: "
            + ", ".join(growing[label].astype(str))
            + "."
        )
    if failed:
        lines.append(
            "- **These numbers are a DRAFT**: the model did not pass its quality checks "
            f"({'; '.join(failed)}). Do not act on them."
        )
    return "\n".join(lines)


def figure_html(fig: Any, alt: str, dpi: int = 96) -> str:
    """Embed a matplotlib figure as a PNG data URI with alternative text; closes the figure."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}"></figure>'


def growth_alt_text(table: pd.DataFrame, interval: float = 0.9) -> str:
    """Alternative text for the growth forest plot, from the same table."""
    label = "name" if "name" in table else "market"
    parts = [
        f"{r[label]} {signed_percent(r['growth_median'])} ({percent_interval(r['growth_low'], r['growth_high'])})"
        for _, r in table.iterrows()
    ]
    return (
        "Yearly growth per market, fastest first, median and 90% interval: "
        + "; ".join(parts)
        + "."
    )


def plain_words(interval: float) -> str:
    """The two terms every finding uses, explained once in plain words."""
    return (
        "*Growth* is the yearly change of Top 200 chart streams **per person** in a market, so large "
        f"and small markets compare fairly. A *{interval:.0%} interval* is the range the growth lies "
        f"in with {interval:.0%} probability, given the data and the model."
    )


def methods_text(coverage: pd.DataFrame) -> str:
    """The methods and data appendix, with the data's actual span and markets."""
    first, last = coverage["first_week"].min(), coverage["last_week"].max()
    late = coverage[coverage["first_week"] > first]
    late_note = (
        " ("
        + ", ".join(
            f"{m.upper()} starts {d:%b %Y}"
            for m, d in zip(late["market"], late["first_week"], strict=True)
        )
        + ")"
        if len(late)
        else ""
    )
    countries = int((coverage["market"] != "global").sum())
    plus_global = " and the Global chart" if (coverage["market"] == "global").any() else ""
    return "\n".join(
        [
            f"- **Data**: Spotify weekly Top 200 charts for {countries} markets{plus_global}, weeks from "
            f"{first:%d %b %Y} to {last:%d %b %Y}{late_note}, and World Bank population figures. "
            "Chart streams count only the 200 most-streamed tracks each week: they measure "
            "consumption of hits, **not a market's total streaming**.",
            "- **Model**: a hierarchical Bayesian model: each market has its own level, growth trend "
            "(which may bend once a year), seasonal pattern, Christmas season and 2020 lockdown "
            "effect; markets borrow strength from each other where data are thin, growth is shared "
            "most within a UN world sub-region, and a market's level is related to its GDP per "
            "person, internet use and population. Week-to-week persistence and unusual weeks are "
            "modelled so that intervals are not overconfident.",
            "- **Shares** (local repertoire, top-10 concentration, genre mix) come from separate "
            "hierarchical models of shares; forecasts are simulated from the consumption model.",
            "- **Quality gates**: R-hat (do independent runs of the sampler agree?), effective sample "
            "size (are there enough independent draws?), divergences (did the sampler struggle?), "
            "and the backtest's interval coverage (did 90% intervals hold about 90% of the weeks "
            "that later arrived?). Failing any gate marks the whole report DRAFT.",
            "- **Sources and licences**: Spotify Charts (weekly Top 200, weekly #1 by region, daily "
            "Top 50 playlists), World Bank World Development Indicators (CC BY 4.0), UN M49 "
            "regions via the country-codes data package. See each data set's PROVENANCE.md.",
            "- The chart data are Spotify's; this report shows aggregates only.",
        ]
    )


METHOD_NAMES = {
    "model": "Bayesian model (this report)",
    "naive": "Seasonal naive (same week last year)",
    "gbm": "Gradient boosting (machine learning)",
}


def backtest_table(backtest: dict[str, Any]) -> pd.DataFrame:
    """Backtest scores per method, for people."""
    return pd.DataFrame(
        {
            "Method": METHOD_NAMES.get(r["method"], r["method"]),
            "CRPS (lower is better)": f"{r['crps']:.3f}",
            "Typical error (MAPE)": f"{r['mape']:.1%}",
            "Weeks inside 50% interval": f"{r['coverage_50']:.0%}",
            "Weeks inside 90% interval": f"{r['coverage_90']:.0%}",
            "Weeks scored": r["n"],
        }
        for r in backtest["scores"]
    )


def loo_table(loo: dict[str, Any]) -> pd.DataFrame:
    """The model comparison, for people."""
    labels = {
        "hierarchical": "Production model",
        "pooled": "All markets share one growth path",
        "unpooled": "Each market on its own",
        "no_covariates": "Without GDP, internet and population",
        "normal": "Without allowance for unusual weeks (normal errors)",
    }
    return pd.DataFrame(
        {
            "Model": labels.get(r["model"], r["model"]),
            "ELPD-LOO": f"{r['elpd_loo']:.1f}",
            "Behind the best by": f"{r['elpd_diff']:.1f} \u00b1 {r['diff_se']:.1f}",
            "Passed its quality gates": "yes" if r.get("gates_passed") else "no",
        }
        for r in loo["models"]
    )


def convergence_table(rows: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    """One line per fitted model: worst-case diagnostics and the gate verdict."""
    return pd.DataFrame(
        {
            "Model": name,
            "R-hat max": f"{m['r_hat_max']:.3f}",
            "ESS bulk / tail min": f"{m['ess_bulk_min']:.0f} / {m['ess_tail_min']:.0f}",
            "Divergences": m["divergences"],
            "E-BFMI min": f"{m['bfmi_min']:.2f}",
            "Wall time": f"{m.get('wall_seconds', float('nan')):.0f} s",
            "Gates": "passed"
            if m.get("gates_passed")
            else "FAILED: " + "; ".join(m.get("gates_failed", [])),
        }
        for name, m in rows
    )


def calibration_text(fit: dict[str, Any]) -> str:
    """Posterior predictive coverage in words."""
    return (
        f"**Predictive check.** One week ahead, the model's 50% intervals held "
        f"{fit['ppc_coverage_50']:.0%} and its 90% intervals {fit['ppc_coverage_90']:.0%} of the "
        f"observed weeks; {fit['pareto_k_bad']} week(s) had an unreliable leave-one-out estimate."
    )


def quality_text(ingest: dict, quarantine: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """Data quality in plain words: rows read and kept, quarantined rows by reason, gaps."""
    lines = [
        f"- **{ingest['rows_read']:,} chart rows** read from {ingest['files']:,} weekly files "
        f"({ingest.get('files_legacy', ingest['files']):,} in the legacy format, "
        f"{ingest.get('files_current', 0):,} in the current one); {ingest['rows']:,} accepted."
    ]
    if "rows_per_market_week_min" in ingest:
        lo, hi = ingest["rows_per_market_week_min"], ingest["rows_per_market_week_max"]
        lines.append(
            f"- **Rows per market-week**: {lo}"
            + (f" to {hi}" if hi != lo else " in every week")
            + "."
        )
    reasons = quarantine["reason"].astype(str) if len(quarantine) else pd.Series(dtype=str)
    dup_ranks = int(reasons.str.contains("appears twice").sum())
    twice = int(reasons.str.contains("already delivered").sum())
    lines.append(
        f"- **Duplicates**: {dup_ranks:,} duplicate-rank rows and {twice:,} rows of weeks delivered "
        "twice (all quarantined)."
        if dup_ranks or twice
        else "- **Duplicates**: none (no duplicate rank, no week delivered twice)."
    )
    if quarantine.empty:
        lines.append("- **No row was quarantined**: every value passed its check.")
    else:
        by_reason = quarantine["reason"].str.replace(r"'.*'", "'…'", regex=True).value_counts()
        lines.append(
            f"- **{len(quarantine):,} rows quarantined** (kept aside with their reason, not used): "
            + "; ".join(f"{n:,} × {r}" for r, n in by_reason.items())
            + "."
        )
    lines.append(
        f"- **{len(gaps)} missing week(s)** inside the markets' spans; they are left missing, "
        "never filled in."
        if len(gaps)
        else "- **No missing week** inside any market's span."
    )
    return "\n".join(lines)


def sources_table() -> pd.DataFrame:
    """What each data source can and cannot measure, for the methods appendix."""
    from musicmarkets.sources.breadth import CAN_MEASURE

    return pd.DataFrame(
        [
            {"Source": k, "Can measure": can, "Cannot measure": cannot}
            for k, (can, cannot) in CAN_MEASURE.items()
        ]
    )


def breadth_tables(no1_scale: pd.DataFrame, top50: pd.DataFrame, names: dict[str, str]) -> str:
    """Top and bottom regions by #1-track streams per million people, and Top 50 turnover."""
    pairs = [*zip(no1_scale["market"], no1_scale["country"], strict=True)]
    if "country" in top50:
        pairs += zip(top50["market"], top50["country"], strict=True)
    names = {**{m: c for m, c in pairs if isinstance(c, str) and c}, **names}
    scale = no1_scale.dropna(subset=["no1_streams_per_million"])
    shown = pd.concat([scale.head(5), scale.tail(5)]).drop_duplicates("market")
    t1 = pd.DataFrame(
        {
            "Region": shown["country"].fillna(shown["market"].str.upper()),
            "Weeks": shown["weeks"],
            "Median weekly streams of the #1 track": shown["median_no1_streams"].map(human_number),
            "Per million people": shown["no1_streams_per_million"].map(lambda v: f"{v:,.0f}"),
        }
    )
    t2 = pd.DataFrame(
        {
            "Market": [
                names.get(m, "Global" if m == "global" else m.upper()) for m in top50["market"]
            ],
            "Days": top50["days"],
            "Distinct tracks in the Top 50": top50["distinct_tracks"],
            "Median days a track stays": top50["median_days_in_top50"].map(lambda v: f"{v:.0f}"),
        }
    ).sort_values("Median days a track stays", key=lambda s: s.astype(float), ascending=False)
    return (
        f"<p><b>Hit intensity, 2020</b> ({len(scale)} regions; the five highest and lowest):</p>"
        + t1.to_html(index=False, border=0)
        + "<p><b>Hit turnover, May 2023 to Nov 2024</b> (daily Top 50 playlists):</p>"
        + t2.to_html(index=False, border=0)
    )


SERVICE_NAMES = {
    "musicbrainz": "MusicBrainz",
    "lastfm": "Last.fm",
    "worldbank": "World Bank API",
    "spotify": "Spotify Web API",
}


def enrichment_text(status: dict[str, dict[str, Any]]) -> str:
    """One line per external service: used, skipped or failed, and why."""
    parts = []
    for service, s in status.items():
        name = SERVICE_NAMES.get(service, service)
        why = f" ({s['reason']})" if s.get("reason") else ""
        parts.append(f"{name}: {s['status']}{why}")
    return "- **Enrichment from external services**: " + "; ".join(parts) + "."


def league_table(growth: pd.DataFrame, interval: float = 0.9) -> pd.DataFrame:
    """The market league table for people: growth, its interval, rank range, chance of growth."""
    width = f"{interval:.0%}"
    return pd.DataFrame(
        {
            "Market": growth["name"] if "name" in growth else growth["market"].str.upper(),
            "Growth per year": growth["growth_median"].map(signed_percent),
            f"{width} interval": [
                percent_interval(lo, hi)
                for lo, hi in zip(growth["growth_low"], growth["growth_high"], strict=True)
            ],
            f"Rank ({width} interval)": [
                f"{int(m)} ({int(lo)}\u2013{int(hi)})"
                for m, lo, hi in zip(
                    growth["rank_median"], growth["rank_low"], growth["rank_high"], strict=True
                )
            ],
            "Chance it is growing": [
                f"{p:.0%} ({probability_words(p)})" for p in growth["p_growing"]
            ],
        }
    )


def coverage_table(coverage: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Weeks and rows of chart data per market, dates written for people."""
    return pd.DataFrame(
        {
            "Market": [names.get(m, m.upper()) for m in coverage["market"]],
            "First week": coverage["first_week"].dt.strftime("%d %b %Y"),
            "Last week": coverage["last_week"].dt.strftime("%d %b %Y"),
            "Weeks": coverage["weeks"],
            "Missing weeks": coverage["missing_weeks"],
            "Chart rows": coverage["rows"],
        }
    )


def gates_failed(
    fit: dict[str, Any],
    shares: dict[str, Any] | None = None,
    backtest: dict[str, Any] | None = None,
    coverage_range: tuple[float, float] = (0.85, 0.95),
) -> list[str]:
    """Every failed gate of the models a report draws on, named for people."""
    failed = list(fit.get("gates_failed", []))
    for name, m in (shares or {}).items():
        if isinstance(m, dict) and m.get("gates_failed"):
            failed += [f"{name.replace('_', ' ')} model: {g}" for g in m["gates_failed"]]
    if backtest is not None:
        failed += [f"backtest {g}" for g in backtest.get("gates_failed", [])]
        cov = backtest["model_coverage_90"]
        lo, hi = coverage_range
        if not lo <= cov <= hi:
            failed.append(
                f"backtest: 90% intervals held {cov:.0%} of held-out weeks (needs {lo:.0%} to {hi:.0%})"
            )
    return failed


def trust_rows(
    shares: dict[str, Any], backtest: dict[str, Any], loo: dict[str, Any]
) -> list[tuple[str, str]]:
    """Trust-panel rows beyond the consumption fit's convergence."""
    share_ok = [k for k, m in shares.items() if isinstance(m, dict) and m.get("gates_passed")]
    share_all = [k for k, m in shares.items() if isinstance(m, dict) and "gates_passed" in m]
    return [
        ("Share models passing every convergence gate", f"{len(share_ok)} of {len(share_all)}"),
        (
            "Backtest: held-out weeks inside the 90% interval (needs 85% to 95%)",
            f"{backtest['model_coverage_90']:.0%} of "
            f"{next(s['n'] for s in backtest['scores'] if s['method'] == 'model')}",
        ),
        ("Model comparison (ELPD-LOO)", loo["verdict"]),
    ]


def forecast_table(totals: pd.DataFrame, interval: float = 0.9) -> pd.DataFrame:
    """Streams in the next quarter, half-year and year per market and in total, for people."""
    rows = []
    for (_level, _key, name), g in totals.groupby(["level", "key", "name"], sort=False):
        row = {"Market or region": name}
        for r in g.itertuples():
            label = f"Next {r.horizon_weeks} weeks"
            row[label] = streams_interval(r.streams_median, r.streams_low, r.streams_high)
            if r.horizon_weeks == g["horizon_weeks"].min():
                row["vs same weeks a year earlier"] = (
                    f"{signed_percent(r.yoy_median)} ({percent_interval(r.yoy_low, r.yoy_high)})"
                    if pd.notna(r.yoy_median)
                    else "n/a (weeks missing a year earlier)"
                )
        rows.append(row)
    return pd.DataFrame(rows)


def share_table(
    shifts: pd.DataFrame, measure: str, names: dict[str, str], interval: float = 0.9
) -> pd.DataFrame:
    """Share now and its shift since the market's first week, in share points."""
    d = shifts[shifts["measure"] == measure].sort_values("shift_pts", ascending=False)
    out = pd.DataFrame(
        {
            "Market": [names.get(m, m.upper()) for m in d["market"]],
            "Share now": [
                f"{e:.0%} ({lo:.0%} to {hi:.0%})"
                for e, lo, hi in zip(d["share_end"], d["end_low"], d["end_high"], strict=True)
            ],
            "Shift since first week": [
                f"{signed_points(m)} ({signed_points(lo)} to {signed_points(hi)})"
                for m, lo, hi in zip(d["shift_pts"], d["shift_low"], d["shift_high"], strict=True)
            ],
            "Chance it rose": [f"{p:.0%}" for p in d["p_up"]],
        }
    )
    if "genre" in d and d["genre"].notna().all():
        out.insert(1, "Genre", d["genre"].to_numpy())
    return out


def opportunity_text(table: pd.DataFrame, names: dict[str, str], interval: float = 0.9) -> str:
    """Markdown bullets: markets streaming less than their economics and connectivity predict."""
    t = table.dropna(subset=["opportunity_gap"]).sort_values("opportunity_gap")
    if t.empty:
        return "The model ran without covariates, so it cannot say which markets are below their potential."
    lines = []
    for r in t.itertuples():
        where = "below" if r.opportunity_gap < 0 else "above"
        lines.append(
            f"- **{names.get(r.market, r.market.upper())}** streams {abs(r.opportunity_gap):.0%} {where} what its "
            f"GDP per person, internet use and population predict ({interval:.0%} interval "
            f"{percent_interval(r.opportunity_low, r.opportunity_high)}); chance it is below: "
            f"{r.p_below_expected:.0%} ({probability_words(r.p_below_expected)})."
        )
    return "\n".join(lines)


def insight_headlines(
    table: pd.DataFrame,
    totals: pd.DataFrame,
    shifts: pd.DataFrame,
    names: dict[str, str],
    interval: float = 0.9,
) -> str:
    """Markdown bullets beyond growth: faster than all markets, trend changes, opportunity,
    next year's total, and the clearest share shift. All computed from posterior tables."""
    lines = []
    ahead = table[table["p_faster_than_all"] >= 0.9]
    all_g = table.iloc[0]
    lines.append(
        f"- **All markets together** grow {signed_percent(all_g['all_growth_median'])} per person per year "
        f"({percent_interval(all_g['all_growth_low'], all_g['all_growth_high'])}). "
        + (
            "Very likely faster than that: "
            + ", ".join(
                f"{names.get(m, m.upper())} ({p:.0%})"
                for m, p in zip(ahead["market"], ahead["p_faster_than_all"], strict=True)
            )
            + "."
            if len(ahead)
            else "No market is very likely (90%) to grow faster than all markets together."
        )
    )
    changed = table[table["flag"] != ""]
    for r in changed.itertuples():
        lines.append(
            f"- **{names.get(r.market, r.market.upper())}: growth has {r.flag}** since {pd.Timestamp(r.since):%B %Y}, from "
            f"{signed_percent(r.growth_before)} to {signed_percent(r.growth_now)} per year "
            f"(chance it {r.flag}: {max(r.p_accelerated, r.p_slowed):.0%})."
        )
    opp = table.dropna(subset=["opportunity_gap"])
    if len(opp):
        o = opp.sort_values("opportunity_gap").iloc[0]
        if o["opportunity_gap"] < 0:
            lines.append(
                f"- **Largest opportunity: {names.get(o['market'], o['market'].upper())}**, streaming "
                f"{abs(o['opportunity_gap']):.0%} less than its economics predict "
                f"(chance it is below: {o['p_below_expected']:.0%})."
            )
    year = totals[
        (totals["level"] == "all") & (totals["horizon_weeks"] == totals["horizon_weeks"].max())
    ]
    if len(year):
        y = year.iloc[0]
        lines.append(
            f"- **Next {int(y['horizon_weeks'])} weeks, all markets**: "
            f"{streams_interval(y['streams_median'], y['streams_low'], y['streams_high'])} chart streams."
        )
    local = shifts[shifts["measure"] == "local_share"]
    if len(local):
        big = local.loc[local["shift_pts"].abs().idxmax()]
        lines.append(
            f"- **Biggest shift in local repertoire: {names.get(big['market'], big['market'].upper())}**, "
            f"{signed_points(big['shift_pts'])} of streams ({signed_points(big['shift_low'])} to "
            f"{signed_points(big['shift_high'])}) since its first week."
        )
    return "\n".join(lines)


def ledger_text(scores: pd.DataFrame, names: dict[str, str]) -> str:
    """Earlier forecasts against what happened, for people."""
    if scores.empty:
        return (
            "No earlier forecast can be scored yet: each run stores its forecasts, and they are "
            "scored here once the weeks they forecast have arrived."
        )
    lines = []
    for origin, g in scores.groupby("origin"):
        weeks = int(g["weeks"].sum())
        cov = float((g["coverage_90"] * g["weeks"]).sum() / weeks)
        err = float((g["mape"] * g["weeks"]).sum() / weeks)
        lines.append(
            f"- **Forecast made with data up to {pd.Timestamp(origin):%d %b %Y}**: {weeks} market-weeks "
            f"have arrived since; {cov:.0%} of them fell inside the 90% interval, and the central "
            f"forecast was off by {err:.0%} on a typical week. Per market: "
            + ", ".join(
                f"{names.get(r.market, r.market.upper())} {r.coverage_90:.0%} inside"
                for r in g.itertuples()
            )
            + "."
        )
    return "\n".join(lines)


def page_links(markets: list[str], names: dict[str, str]) -> str:
    """Links from the executive report to the partner pages and the technical report."""
    links = " · ".join(f"[{names.get(m, m.upper())}](markets/{m}.html)" for m in markets)
    return f"**One page per market:** {links}. **For researchers:** [technical report](technical.html)."


def market_brief(
    row: pd.Series,
    ranks: pd.Series,
    totals: pd.DataFrame,
    shifts: pd.DataFrame,
    market: str,
    name: str,
    interval: float = 0.9,
) -> str:
    """Markdown bullets for one market's partner page, from its posterior tables."""
    width = f"{interval:.0%}"
    top_rank = int(ranks.idxmax())
    lines = [
        f"- **Growth**: {signed_percent(row['growth_median'])} chart streams per person per year "
        f"({width} interval {percent_interval(row['growth_low'], row['growth_high'])}); chance it is "
        f"growing: {row['p_growing']:.0%} ({probability_words(row['p_growing'])}).",
        f"- **Rank**: most likely {top_rank} of {len(ranks)} ({ranks[top_rank]:.0%}); chance it grows "
        f"faster than all markets together: {row['p_faster_than_all']:.0%}.",
    ]
    if row.get("flag"):
        lines.append(
            f"- **Growth has {row['flag']}** since {pd.Timestamp(row['since']):%B %Y}: from "
            f"{signed_percent(row['growth_before'])} to {signed_percent(row['growth_now'])} per year."
        )
    if pd.notna(row.get("opportunity_gap")):
        where = "below" if row["opportunity_gap"] < 0 else "above"
        lines.append(
            f"- **Against its economics**: streams {abs(row['opportunity_gap']):.0%} {where} what GDP per "
            f"person, internet use and population predict ({width} interval "
            f"{percent_interval(row['opportunity_low'], row['opportunity_high'])})."
        )
    nxt = totals[(totals["key"] == market)].sort_values("horizon_weeks")
    if len(nxt):
        q = nxt.iloc[0]
        lines.append(
            f"- **Next {int(q['horizon_weeks'])} weeks**: "
            f"{streams_interval(q['streams_median'], q['streams_low'], q['streams_high'])} Top 200 streams."
        )
    local = shifts[(shifts["market"] == market) & (shifts["measure"] == "local_share")]
    if len(local):
        r = local.iloc[0]
        lines.append(
            f"- **Local repertoire**: {r['share_end']:.0%} of streams now, "
            f"{signed_points(r['shift_pts'])} ({signed_points(r['shift_low'])} to "
            f"{signed_points(r['shift_high'])}) since the first week."
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- trust panel
def file_digest(path: Path, length: int = 12) -> str:
    """Short SHA-256 of a file, or 'missing'."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


def git_commit(root: Path) -> str:
    """The checked-out commit (with '+changes' when the tree is dirty), or 'unknown'."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}+changes" if dirty else sha


def provenance(root: Path, model: Path) -> dict[str, str]:
    """What made a report: the commit and short hashes of params.yaml, dvc.lock and the model."""
    return {
        "git commit": git_commit(root),
        "params.yaml": file_digest(root / "params.yaml"),
        "dvc.lock": file_digest(root / "dvc.lock"),
        "model file": file_digest(model),
    }


def trust_panel(
    metrics: dict[str, Any],
    failed: list[str],
    freshness: pd.DataFrame,
    provenance: dict[str, str],
    extra_rows: list[tuple[str, str]] | None = None,
) -> str:
    """HTML block for the top of a report: gate results, data freshness, what made it.

    A failed gate turns the panel red and stamps the page DRAFT, naming each failed gate.
    """
    status = (
        '<div class="banner draft">DRAFT: the model failed its quality checks: '
        + html.escape("; ".join(failed))
        + ". The numbers below are shown for review only.</div>"
        if failed
        else '<div class="banner ok">Model checks passed: the numbers below come from a model '
        "that met every quality gate.</div>"
    )
    rows = [
        ("Convergence (R-hat, max; needs &le; 1.01)", f"{metrics['r_hat_max']:.3f}"),
        (
            "Effective draws (ESS, min bulk / tail; needs &ge; 400)",
            f"{metrics['ess_bulk_min']:.0f} / {metrics['ess_tail_min']:.0f}",
        ),
        ("Divergent transitions (needs 0)", f"{metrics['divergences']}"),
        ("Energy diagnostic (E-BFMI, min; needs &gt; 0.3)", f"{metrics['bfmi_min']:.2f}"),
        *[(html.escape(k), html.escape(v)) for k, v in (extra_rows or [])],
    ]
    gate_rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    latest = freshness["last_week"].max()
    fresh = ", ".join(
        f"{html.escape(str(r.market).upper())} {pd.Timestamp(r.last_week):%d %b %Y}"
        for r in freshness.itertuples()
    )
    prov = " &middot; ".join(
        f"{html.escape(k)} <code>{html.escape(v)}</code>" for k, v in provenance.items()
    )
    return (
        f'<section class="trust" aria-label="trust panel">{status}'
        f"<table>{gate_rows}</table>"
        f"<p><b>Data up to:</b> week starting {pd.Timestamp(latest):%d %b %Y}. Last week per market: {fresh}.</p>"
        f'<p class="prov">{prov}</p></section>'
    )


# ---------------------------------------------------------------- HTML export
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1000px;
margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}th,td{border-bottom:1px solid #e3e3e3;
padding:.25rem .6rem;text-align:left}th{background:#f4f4f4}img{max-width:100%;height:auto}
.banner{padding:.7rem 1rem;border-radius:6px;font-weight:600;margin:.5rem 0}
.banner.ok{background:#e6f2ff;border:1px solid #0072b2;color:#003a5c}
.banner.draft{background:#fff0e0;border:2px solid #d55e00;color:#7a2e00;font-size:1.1rem}
.trust{border:1px solid #ccc;border-radius:8px;padding:.5rem 1rem;margin-bottom:1.5rem;background:#fafafa}
.prov{font-size:.8rem;color:#555}code{font-size:.85em}
.draft-stamp{position:fixed;top:.5rem;right:.5rem;background:#d55e00;color:#fff;padding:.3rem .8rem;
font-weight:700;border-radius:4px;letter-spacing:.1em}
.jp-OutputArea-output pre,.output_text pre{white-space:pre-wrap}
"""


def _strip_for_stakeholders(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
            ]
            if not cell.outputs:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def notebook_to_html(notebook: Path, title: str) -> str:
    """Render an executed notebook as one self-contained page for people who do not read code."""
    nb = nbformat.read(notebook, as_version=4)
    nb = _strip_for_stakeholders(nb)
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    body, _ = exporter.from_notebook_node(nb)
    draft = 'class="banner draft"' in body
    stamp = '<div class="draft-stamp" role="status">DRAFT</div>' if draft else ""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{stamp}{body}</body></html>\n"
    )
    check_offline(page)
    return page


def check_offline(page: str) -> None:
    """Raise if the page would load anything from a network host."""
    found = EXTERNAL_REF.findall(page)
    if found:
        raise ValueError(f"report references {len(found)} network asset(s), e.g. {found[0]!r}")
