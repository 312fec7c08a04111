"""The methods and data appendix in words: methods, sensitivity, backtest, calibration, the prior
check, data quality, external services and the ledger of earlier forecasts (the findings
themselves are in ``musicmarkets.report.narrative``)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from musicmarkets.report.format import METHOD_NAMES, chart_week


def methods_text(coverage: pd.DataFrame, names: dict[str, str] | None = None) -> str:
    """The methods and data appendix, with the data's actual span and markets (``names``:
    market code -> country name)."""
    first, last = coverage["first_week"].min(), coverage["last_week"].max()
    end = last + pd.Timedelta(days=6)  # the last chart week's Thursday
    late = coverage[coverage["first_week"] > first]
    late_note = (
        " ("
        + ", ".join(
            f"{(names or {}).get(m, m.upper())} starts {d:%b %Y}"
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
            f"{first.day} {first:%b %Y} to {end.day} {end:%b %Y}{late_note}, and"
            " World Bank population figures. "
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
            "each market's past weeks inside the model's 90% ranges, every figure the report gives "
            "for the latest weeks against those weeks (the recent-fit check), and the backtest's "
            "interval coverage (did 90% intervals hold about 90% of the weeks that later "
            "arrived?). Failing any gate marks the whole report DRAFT.",
            "- **Sources and licences**: Spotify Charts (weekly Top 200, weekly #1 by region, daily "
            "Top 50 playlists), World Bank World Development Indicators (CC BY 4.0), UN M49 "
            "regions via the country-codes data package. Each data set's source, licence and caveats "
            "are recorded beside the data.",
            "- The chart data are Spotify's; this report shows aggregates only.",
        ]
    )


def sensitivity_text(sensitivity: dict[str, Any]) -> str:
    """Did the refit on fewer weeks (``sensitivity.json``) pass its checks? One line, its
    last week dated as the growth table dates it (the chart week's last day)."""
    end = pd.Timestamp(sensitivity["fit_until"]) + pd.Timedelta(days=6)
    until = f"{end.day} {end:%b %Y}"
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


def recovery_untested_note(
    origins: list[str], onset: pd.Timestamp | None, left: float | None
) -> str:
    """Where every backtest refit ends before the 2020 lockdown's estimated ``onset`` while
    the forecasts still carry on its recovery (``left``: the share of the dip not yet
    recovered at the latest week), say that this part of the forecasts is untested; else ''."""
    if onset is None or not left or left < 0.01 or not origins:
        return ""
    latest = max(pd.to_datetime(origins))
    if latest >= onset:
        return ""
    return (
        f"The forecasts count on the rest of the 2020 lockdown's dip being recovered (the model "
        f"sees {left:.0%} of it still to recover at the latest week). No backtest refit saw the "
        f"lockdown (the latest was fitted to the weeks up to {latest.day} {latest:%b %Y}; the "
        f"lockdown began about {onset.day} {onset:%b %Y}), so that part of the forecasts has not "
        "been tested against the weeks that followed."
    )


def calibration_text(fit: dict[str, Any]) -> str:
    """Posterior predictive coverage in words."""
    return (
        f"**Predictive check.** In the weeks the model was fitted to, its 50% intervals held "
        f"{fit['ppc_coverage_50']:.0%} and its 90% intervals {fit['ppc_coverage_90']:.0%} of the "
        "observed weeks (weeks it had not seen are the backtest's test); "
        f"{fit['pareto_k_bad']} week{'' if fit['pareto_k_bad'] == 1 else 's'}, unlike the rest "
        "(a release spike, say), could not be checked by leaving it out of the fit."
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
        f"- **{len(gaps)} missing week{'' if len(gaps) == 1 else 's'}** inside the markets' spans; they are left missing, "
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


def ledger_text(
    scores: pd.DataFrame, names: dict[str, str], last_week: pd.Timestamp | None = None
) -> str:
    """Earlier forecasts against what happened, for people (``last_week``: the data's latest
    chart week, named when nothing can be scored yet)."""
    if scores.empty:
        after = (
            f" the data end with the chart week of {chart_week(last_week)}, and no "
            "earlier run forecast weeks that the data now hold"
            if last_week is not None
            else ""
        )
        return (
            f"No earlier forecast can be scored yet:{after or ' no weeks an earlier run forecast have arrived'}. "
            "Each run stores its forecasts, and they are scored here once the weeks they "
            "forecast are in the data."
        )
    lines = []
    for origin, g in scores.groupby("origin"):
        weeks = int(g["weeks"].sum())
        cov = float((g["coverage_90"] * g["weeks"]).sum() / weeks)
        err = float((g["mape"] * g["weeks"]).sum() / weeks)
        lines.append(
            f"- **Forecast made with data up to the week of {chart_week(origin)}**: {weeks} market-weeks "
            f"have arrived since; {cov:.0%} of them fell inside the 90% interval, and the central "
            f"forecast was off by {err:.0%} on a typical week. Per market: "
            + ", ".join(
                f"{names.get(r.market, r.market.upper())} {r.coverage_90:.0%} inside"
                for r in g.itertuples()
            )
            + "."
        )
    return "\n".join(lines)
