"""Findings in words: growth and insight headlines, the partner brief, methods, data quality, external services, the ledger, opportunities."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from musicmarkets.report.format import (
    METHOD_NAMES,
    percent_interval,
    probability_words,
    signed_percent,
    signed_points,
    streams_interval,
)
from musicmarkets.report.trust import draft_words


def withheld(holds: Any) -> bool:
    """True where a checked headline does not hold (``holds`` False); unchecked or missing
    (None, NaN) is not withheld."""
    return holds is not None and not pd.isna(holds) and not bool(holds)


def growth_order(yoy: pd.DataFrame) -> pd.DataFrame:
    """Markets with a year-on-year figure, fastest first: the model's headline where it holds
    against the charts, else (``holds`` False: the headline is withheld) the charts' own ratio,
    marked ``from_model`` False so that no model interval is shown for it."""
    off = yoy["holds"].map(withheld) if "holds" in yoy else pd.Series(False, index=yoy.index)
    off = off.astype(bool)
    observed = yoy["observed_yoy"] if "observed_yoy" in yoy else pd.Series(float("nan"), yoy.index)
    out = yoy.assign(figure=yoy["yoy_median"].where(~off, observed), from_model=~off)
    return out.dropna(subset=["figure"]).sort_values("figure", ascending=False)


def growth_words(row: pd.Series, interval: float) -> tuple[str, str]:
    """(figure, detail) of one market's year-on-year growth for a card or a sentence."""
    if row["from_model"]:
        return signed_percent(row["yoy_median"]), (
            f"{interval:.0%} interval {percent_interval(row['yoy_low'], row['yoy_high'])}"
        )
    return signed_percent(row["observed_yoy"]), (
        "counted from the charts, so without a range; the model's estimate, "
        f"{signed_percent(row['model_yoy_median'])}, did not match the charted weeks"
    )


def growth_headlines(
    table: pd.DataFrame,
    failed: list[str],
    interval: float = 0.9,
    yoy: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
) -> str:
    """Markdown bullet points of the growth findings, generated from the posterior tables.

    ``yoy`` (``insights.yoy_growth``) leads: the latest weeks against the same weeks a year
    earlier, as an executive reads growth; the trend slope follows, named momentum."""
    width = f"{interval:.0%}"
    if table.empty:
        return "No market could be modelled."
    label = "name" if "name" in table else "market"
    lines = []
    if yoy is not None and len(yoy):
        names = names or {}
        named = yoy.assign(name=yoy["market"].map(lambda m: names.get(m, m.upper())))
        has = growth_order(named)
        if len(has):
            top, last = has.iloc[0], has.iloc[-1]
            weeks = int(top["weeks"])

            def check(r: pd.Series, lead: str) -> str:
                if not r["from_model"]:
                    return growth_words(r, interval)[1]
                bounds = percent_interval(r["yoy_low"], r["yoy_high"])
                return f"{lead}{bounds}; the charts: {signed_percent(r['observed_yoy'])}"

            check_top, check_last = check(top, f"{width} interval "), check(last, "")
            lines.append(
                f"- **Fastest growth: {top['name']}**, {signed_percent(top['figure'])} chart "
                f"streams per person in the latest {weeks} weeks against the same weeks a year "
                f"earlier ({check_top}). "
                f"**Slowest: {last['name']}**, {signed_percent(last['figure'])} "
                f"({check_last})."
            )
        missing = named[named["yoy_median"].isna() & ~named["market"].isin(has["market"])]
        if len(missing):
            note = "; ".join(f"{r.name} ({r.reason})" for r in missing.itertuples())
            if lines:
                lines[-1] += f" No year-on-year figure for {note}."
            else:
                lines.append(f"- No year-on-year figure for {note}.")
    top = table.iloc[0]
    lines.append(
        f"- **Momentum** (the current trend slope, per year): highest in {top[label]}, "
        f"{signed_percent(top['growth_median'])} ({width} interval "
        f"{percent_interval(top['growth_low'], top['growth_high'])}); the chance that it is the "
        f"highest of the {len(table)} markets is {top['p_fastest']:.0%}."
    )
    if failed:
        lines.append(
            f"- **These numbers are a DRAFT**: {draft_words(failed, names)[7:]} Do not act on them."
        )
    return "\n".join(lines)


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
        f"in with {interval:.0%} probability, given the data and the model. Which figure answers "
        '"is it growing?": *growth over a year* (the latest 13 weeks against the same weeks a '
        "year earlier) says where the market is now; the change of the last 52 weeks against "
        "the 52 before compares whole years, so it still carries growth from earlier in the year; "
        "*momentum* is the pace of the trend today, and the forecasts say where it leads."
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
            "regions via the country-codes data package. Each data set's source, licence and caveats "
            "are recorded beside the data.",
            "- The chart data are Spotify's; this report shows aggregates only.",
        ]
    )


def sensitivity_text(sensitivity: dict[str, Any]) -> str:
    """Did the refit on fewer weeks (``sensitivity.json``) pass its checks? One line."""
    until = sensitivity["fit_until"]
    if sensitivity["gates_passed"]:
        return f"The refit on the weeks to {until} passed its convergence checks."
    return (
        f"**The refit on the weeks to {until} FAILED its checks** "
        f"({'; '.join(sensitivity['gates_failed'])}): read its column as unreliable."
    )


def backtest_text(backtest: dict[str, Any]) -> str:
    """Does the model beat the simplest forecasters? One line per horizon, for people: better
    or worse only where the interval over the test dates excludes no difference."""
    lines = []
    for r in backtest["against_best_baseline"]:
        name = METHOD_NAMES.get(r["best_baseline"], r["best_baseline"])
        base = re.sub(r"\s*\(.*\)$", "", name).lower()  # 'exponential smoothing'
        if r["diff_high"] < 0:
            said = f"the model forecast better than the best simple method ({base})"
        elif r["diff_low"] > 0:
            said = f"**the model did worse than a simple method ({base})**"
        elif r["model_no_worse"]:
            said = f"the model did about as well as the best simple method ({base})"
        else:
            said = (
                f"the model did slightly worse than the best simple method ({base}), within the "
                f"noise of the {r.get('origins', 'several')} test dates"
            )
        weeks = "1 week" if r["horizon"] == 1 else f"{r['horizon']} weeks"
        lines.append(
            f"- {weeks} ahead: {said}; average error score (CRPS, lower is better) "
            f"{r['model_crps']:.3f} against {r['baseline_crps']:.3f}."
        )
    return "\n".join(lines)


def calibration_text(fit: dict[str, Any]) -> str:
    """Posterior predictive coverage in words."""
    return (
        f"**Predictive check.** One week ahead, the model's 50% intervals held "
        f"{fit['ppc_coverage_50']:.0%} and its 90% intervals {fit['ppc_coverage_90']:.0%} of the "
        f"observed weeks; {fit['pareto_k_bad']} week(s), unlike the rest (a release spike, say), "
        "could not be checked this way."
    )


def prior_check_text(check: dict, names: dict[str, str]) -> str:
    """The prior predictive check in words: where each market's typical observed week falls
    among the typical weeks simulated from the priors alone (``prior_check.json``)."""
    lo, hi = check["conflict_percentiles"]
    parts = [
        f"{names.get(m, m.upper())} {v['observed_typical']:.2g} (percentile {v['percentile']:.0f})"
        for m, v in check["markets"].items()
    ]
    verdict = (
        "No market's data sit in the far tails of what the priors expect: the priors are wide "
        "enough not to decide the answers, and the data do."
        if not check["conflicts"]
        else "The priors all but rule out the data of "
        + ", ".join(names.get(m, m.upper()) for m in check["conflicts"])
        + ": revisit them before reading that market's numbers."
    )
    return (
        f"**Prior predictive check.** {check['draws']} parameter sets drawn from the model's "
        "priors, each simulating every observed week (nothing observed enters). A market's "
        f"typical week (the median of its weekly streams per person) should fall between "
        f"percentiles {lo:g} and {hi:g} of the simulated ones. Observed typical "
        "weeks, weekly chart streams per person, and their percentile: "
        + "; ".join(parts)
        + ". "
        + verdict
    )


def quality_text(ingest: dict, quarantine: pd.DataFrame, gaps: pd.DataFrame) -> str:
    """Data quality in plain words: rows read and kept, quarantined rows by reason, gaps."""
    lines = [
        f"- **{ingest['rows_read']:,} chart rows** read from {ingest['files']:,} weekly files "
        f"({ingest.get('files_legacy', ingest['files']):,} in the charts' older file layout, "
        f"{ingest.get('files_current', 0):,} in the newer one); {ingest['rows']:,} accepted."
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
        "twice (all set aside)."
        if dup_ranks or twice
        else "- **Duplicates**: none (no duplicate rank, no week delivered twice)."
    )
    if quarantine.empty:
        lines.append("- **No row was set aside**: every value passed its check.")
    else:
        by_reason = quarantine["reason"].str.replace(r"'.*'", "'…'", regex=True).value_counts()
        lines.append(
            f"- **{len(quarantine):,} rows set aside** (kept with their reason, not used): "
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


LOCAL_MEASURE = "streams on tracks outside that week's Global chart"


def local_share_readable(shifts: pd.DataFrame) -> pd.Series:
    """Per market: can the local-repertoire measure (streams on tracks outside that week's
    Global chart) speak of domestic against international repertoire? Not where the market's own
    hits make up the Global chart: more than half of its recent streams on Global-chart tracks
    (the US and GB on the default data). Artist-country data would settle it; the project has
    none that cover 80% of a market's streams, so such a market gets no local-share headline."""
    local = shifts[shifts["measure"] == "local_share"].set_index("market")
    return local["observed_recent"] >= 0.5


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
    """Markdown bullets beyond growth: faster than all markets (trend changes have their own
    chart, `plots.momentum_grid`, with `titles.momentum_title` as its sentence),
    and the clearest local-repertoire shift. All computed from posterior tables. The next
    year's total leads the first screen; no opportunity is named here until the covariate gap
    is checked by leaving each market out (the opportunity section says so)."""
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
    # trend changes: one small-multiple chart with its sentence (plots.momentum_grid)
    local = shifts[shifts["measure"] == "local_share"]
    local = local[local["market"].map(local_share_readable(shifts)).fillna(False).astype(bool)]
    if len(local):
        big = local.loc[local["shift_pts"].abs().idxmax()]
        lines.append(
            f"- **Biggest shift in local repertoire ({LOCAL_MEASURE}): "
            f"{names.get(big['market'], big['market'].upper())}**, "
            f"{signed_points(big['shift_pts'])} of streams ({signed_points(big['shift_low'])} to "
            f"{signed_points(big['shift_high'])}) since its first weeks outside December."
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


def _weeks_span(yoy: pd.Series) -> str:
    """' (May-Jul 2020)': the calendar months of a year-on-year figure's latest weeks."""
    if pd.isna(yoy.get("recent_to")):
        return ""
    end = pd.Timestamp(yoy["recent_to"]) + pd.Timedelta(days=6)
    start = end - pd.Timedelta(weeks=int(yoy["weeks"])) + pd.Timedelta(days=1)
    return (
        f" ({start:%b}\u2013{end:%b %Y})"
        if start.year == end.year
        else (f" ({start:%b %Y}\u2013{end:%b %Y})")
    )


def market_brief(
    row: pd.Series,
    ranks: pd.Series,
    totals: pd.DataFrame,
    shifts: pd.DataFrame,
    market: str,
    name: str,
    interval: float = 0.9,
    yoy: pd.Series | None = None,
    opportunity_ok: bool = False,
) -> str:
    """Markdown bullets for one market's partner page, from its posterior tables (``yoy``: the
    market's row of ``insights.yoy_growth``, which leads when given)."""
    width = f"{interval:.0%}"
    lines = []
    if yoy is not None and pd.notna(yoy.get("yoy_median")):
        charts = f"the charts themselves: {signed_percent(yoy['observed_yoy'])}"
        if pd.notna(yoy.get("observed_yoy_low")):
            charts += (
                ", within the "
                f"{percent_interval(yoy['observed_yoy_low'], yoy['observed_yoy_high'])} the model "
                "expects for them once each week's own ups and downs are added"
            )
        lines.append(
            f"- **Growth over a year**: {signed_percent(yoy['yoy_median'])} chart streams per "
            f"person in the latest {int(yoy['weeks'])} weeks{_weeks_span(yoy)} against the same "
            f"weeks a year earlier ({width} interval "
            f"{percent_interval(yoy['yoy_low'], yoy['yoy_high'])}; {charts})."
        )
    elif yoy is not None and withheld(yoy.get("holds")):
        figure, detail = growth_words(pd.concat([yoy, pd.Series({"from_model": False})]), interval)
        lines.append(
            f"- **Growth over a year**: {figure} chart streams per person in the latest "
            f"{int(yoy['weeks'])} weeks against the same weeks a year earlier ({detail})."
        )
    elif yoy is not None:
        lines.append(f"- **Growth over a year**: not given ({yoy['reason']}).")
    lines += [
        f"- **Momentum** (current trend slope): {signed_percent(row['growth_median'])} chart streams per person per year "
        f"({width} interval {percent_interval(row['growth_low'], row['growth_high'])}); chance it is "
        f"growing: {row['p_growing']:.0%} ({probability_words(row['p_growing'])}).",
        f"- **Median rank** by momentum (1 = fastest): {int(row['rank_median'])} of {len(ranks)} "
        f"({width} interval {int(row['rank_low'])}\u2013{int(row['rank_high'])}), as in the "
        f"executive report's league table; chance it grows faster than all markets together: "
        f"{row['p_faster_than_all']:.0%}.",
    ]
    if row.get("flag"):
        lines.append(
            f"- **Growth has {row['flag']}** since {pd.Timestamp(row['since']):%B %Y}: from "
            f"{signed_percent(row['growth_before'])} to {signed_percent(row['growth_now'])} per year."
        )
    if opportunity_ok and pd.notna(row.get("opportunity_gap")):
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
    if len(local) and not bool(local_share_readable(shifts).get(market, False)):
        r = local.iloc[0]
        lines.append(
            f"- **Local repertoire**: not stated here. {r['observed_recent']:.0%} of the latest "
            f"weeks' streams are on tracks outside the Global chart: this market's own hits make "
            "up much of the Global chart, so the measure cannot separate domestic from "
            "international repertoire."
        )
    elif len(local):
        r = local.iloc[0]
        lines.append(
            f"- **Local repertoire** ({LOCAL_MEASURE}): {r['share_end']:.0%} of streams now, "
            f"{signed_points(r['shift_pts'])} ({signed_points(r['shift_low'])} to "
            f"{signed_points(r['shift_high'])}) since its first weeks outside December."
        )
    return "\n".join(lines)
