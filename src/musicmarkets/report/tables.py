"""Tables for people: the league table, forecasts, shares, backtest, LOO, convergence, coverage, sources, breadth, and the links between pages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from musicmarkets.insights import in_market_order, last_weeks_total
from musicmarkets.report.format import (
    METHOD_NAMES,
    VARIANT_NAMES,
    chance,
    chart_week,
    in_unit,
    percent_interval,
    points_interval,
    probability_words,
    share_interval,
    share_percent,
    signed_percent,
    significant,
    streams_interval,
    unit_of,
)
from musicmarkets.report.templating import Markup, render

YEAR = 52  # weeks: the horizon set against the last year observed


def backtest_table(backtest: dict[str, Any], horizons: tuple[int, ...] = (13, 52)) -> pd.DataFrame:
    """Backtest scores per method at the horizons people read (one column pair each), best
    first at the first horizon, for people."""
    rows = pd.DataFrame(backtest["by_horizon"])
    scored = sorted(rows["horizon"].unique())
    horizons = tuple(h for h in horizons if h in scored) or tuple(scored[-2:])
    rows = rows[rows["horizon"].isin(horizons)]
    out = None
    for h in horizons:
        r = rows[rows["horizon"] == h].set_index("method")
        part = pd.DataFrame(
            {
                f"Week {h} ahead: CRPS (lower is better)": r["crps"].map(lambda v: f"{v:.3f}"),
                f"Week {h} ahead: inside 90% interval": r["coverage_90"].map(lambda v: f"{v:.0%}"),
            }
        )
        out = part if out is None else out.join(part)
    order = rows[rows["horizon"] == horizons[0]].sort_values("crps")["method"]
    out = out.loc[order]
    out.insert(0, "Method", [METHOD_NAMES.get(m, m) for m in out.index])
    return out.reset_index(drop=True)


def loo_table(loo: dict[str, Any]) -> pd.DataFrame:
    """The model comparison, for people."""
    return pd.DataFrame(
        {
            "Model": VARIANT_NAMES.get(r["model"], r["model"]),
            "ELPD-LOO": f"{r['elpd_loo']:,.0f}",
            "Behind the best by": f"{significant(r['elpd_diff'], 3)} \u00b1 "
            f"{significant(r['diff_se'], 3)}",
            "Passed its quality gates": "yes" if r.get("gates_passed") else "no",
        }
        for r in loo["models"]
    )


def convergence_table(rows: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    """One line per fitted model: worst-case diagnostics and the gate verdict (the failed
    gates' figures are listed once, under the trust panel)."""
    return pd.DataFrame(
        {
            "Model": name,
            "R-hat max": f"{m['r_hat_max']:.3f}",
            "ESS bulk / tail min": f"{m['ess_bulk_min']:,.0f} / {m['ess_tail_min']:,.0f}",
            "Divergences": m["divergences"],
            "E-BFMI min": f"{m['bfmi_min']:.2f}",
            "Wall time": f"{m.get('wall_seconds', float('nan')):.0f} s",
            "Gates": "passed"
            if m.get("gates_passed")
            else f"FAILED ({len(m.get('gates_failed', []))}, listed above)",
        }
        for name, m in rows
    )


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
            "Median weekly streams of the #1 track (thousands)": shown["median_no1_streams"].map(
                lambda v: in_unit(v, "k")
            ),
            "Per million people": shown["no1_streams_per_million"].map(lambda v: in_unit(v, "")),
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
    return render(  # pandas escapes the tables' cells; the template places them
        "breadth_tables.html.j2",
        regions=len(scale),
        intensity=Markup(t1.to_html(index=False, border=0)),
        turnover=Markup(t2.to_html(index=False, border=0)),
    )


def league_table(
    growth: pd.DataFrame, interval: float, streams: dict[str, float] | None = None
) -> pd.DataFrame:
    """The market league table for people: growth, its interval, rank range, chance of growth;
    with ``streams`` (each market's Top 200 chart streams in its last 52 weeks) the market's
    size beside its growth."""
    width = f"{interval:.0%}"
    size = {}
    if streams is not None:
        known = [v for v in streams.values() if v > 0]
        unit = unit_of(max(known)) if known else ""  # one unit in the column
        size["Streams, last 52 weeks"] = [
            f"{in_unit(streams[m], unit)} {unit}".rstrip()
            if streams.get(m, float("nan")) > 0
            else "n/a (under 52 weeks)"
            for m in growth["market"]
        ]
    return pd.DataFrame(
        {
            "Market": growth["name"] if "name" in growth else growth["market"].str.upper(),
            **size,
            "Momentum per year": growth["growth_median"].map(signed_percent),
            f"{width} interval": [
                percent_interval(lo, hi)
                for lo, hi in zip(growth["growth_low"], growth["growth_high"], strict=True)
            ],
            f"Median rank ({width} interval)": [
                f"{int(m)} ({int(lo)}\u2013{int(hi)})"
                for m, lo, hi in zip(
                    growth["rank_median"],
                    growth["rank_low"],
                    growth["rank_high"],
                    strict=True,
                )
            ],
            "Chance it is growing": [
                f"{p:.0%} ({probability_words(p)})" for p in growth["p_growing"]
            ],
        }
    )


def yoy_check_table(yoy: pd.DataFrame, interval: float) -> pd.DataFrame:
    """The growth headline's check against the charts (``insights.yoy_growth`` with a seed),
    for people: the model's figure, the charts' own, the range the model allows for the charts'
    figure, and whether the headline is published."""
    width = f"{interval:.0%}"

    def model(r: pd.Series) -> str:
        if pd.isna(r["model_yoy_median"]):
            return f"no figure ({r['reason']})"
        return (
            f"{signed_percent(r['model_yoy_median'])} "
            f"({percent_interval(r['model_yoy_low'], r['model_yoy_high'])})"
        )

    def allowed(r: pd.Series) -> str:
        if pd.isna(r.get("observed_yoy_low")):
            return ""
        return percent_interval(r["observed_yoy_low"], r["observed_yoy_high"])

    def verdict(r: pd.Series) -> str:
        if pd.isna(r.get("holds")):
            return "no headline: less than a year of data"
        return "published" if bool(r["holds"]) else "withheld: the charts say otherwise"

    return pd.DataFrame(
        {
            "Market": yoy["name"] if "name" in yoy else yoy["market"].str.upper(),
            f"Model, smoothed ({width} interval)": [model(r) for _, r in yoy.iterrows()],
            "Charts' own ratio": [
                "" if pd.isna(v) else signed_percent(v) for v in yoy["observed_yoy"]
            ],
            f"Range the model allows for the charts' ratio ({width})": [
                allowed(r) for _, r in yoy.iterrows()
            ],
            "Headline": [verdict(r) for _, r in yoy.iterrows()],
        }
    )


def sensitivity_table(table: pd.DataFrame, until: str, interval: float) -> pd.DataFrame:
    """``insights.sensitivity_growth`` for people: the headline growth and the momentum of the
    production fit beside the fit on the weeks up to ``until``, each with its interval and the
    weeks it covers; each growth with the same ratio of the observed weeks."""
    width = f"{interval:.0%}"
    # dates as the pages write them: the last day of the last chart week
    end = pd.Timestamp(until) + pd.Timedelta(days=6)
    until = f"{end.day} {end:%b %Y}"

    def cell(row: pd.Series, kind: str, tag: str) -> str:
        median = row[f"{kind}_median_{tag}"]
        if pd.isna(median):
            if kind == "momentum" or pd.isna(row.get(f"reason_{tag}")):
                return "not fitted"  # the market is absent from this fit
            return f"no figure ({row[f'reason_{tag}']})"
        low, high = row[f"{kind}_low_{tag}"], row[f"{kind}_high_{tag}"]
        text = f"{signed_percent(median)} ({percent_interval(low, high)})"
        if kind == "yoy":  # the same ratio of the observed weeks, for checking
            text += f"; observed {signed_percent(row[f'observed_yoy_{tag}'])}"
        return text

    def to(tag: str) -> str:
        ends = table[f"recent_to_{tag}"].dropna()
        last_day = pd.Timestamp(ends.max()) + pd.Timedelta(days=6)  # the week's Thursday
        return f"13 weeks to {last_day.day} {last_day:%b %Y}" if len(ends) else ""

    return pd.DataFrame(
        {
            "Market": table["name"] if "name" in table else table["market"].str.upper(),
            f"Growth, all weeks ({to('main')}, {width} interval)": [
                cell(r, "yoy", "main") for _, r in table.iterrows()
            ],
            f"Growth, weeks to {until} ({to('other')})": [
                cell(r, "yoy", "other") for _, r in table.iterrows()
            ],
            "Momentum per year, all weeks": [
                cell(r, "momentum", "main") for _, r in table.iterrows()
            ],
            f"Momentum per year, weeks to {until}": [
                cell(r, "momentum", "other") for _, r in table.iterrows()
            ],
        }
    )


def coverage_table(
    coverage: pd.DataFrame, names: dict[str, str], order: list[str] | None = None
) -> pd.DataFrame:
    """Weeks and rows of chart data per market (in ``order`` where given), dates written for
    people."""
    coverage = in_market_order(coverage, order).reset_index(drop=True)
    return pd.DataFrame(
        {
            "Market": [
                names.get(m, "Global chart" if m == "global" else m.upper())
                for m in coverage["market"]
            ],
            "First week": coverage["first_week"].map(chart_week),
            "Last week": coverage["last_week"].map(chart_week),
            "Weeks": coverage["weeks"],
            "Missing weeks": coverage["missing_weeks"],
            "Chart rows": coverage["rows"].map(lambda v: f"{int(v):,}"),
        }
    )


def with_region_members(
    totals: pd.DataFrame, region_of: dict[str, str], names: dict[str, str], order: list[str]
) -> pd.DataFrame:
    """``totals`` with each region's name followed by its markets ("Southern Europe (Spain,
    Italy)", markets in ``order``), so that a reader knows what a region adds up."""

    def named(row: pd.Series) -> str:
        if row["level"] != "region":
            return row["name"]
        members = [names.get(m, m.upper()) for m in order if region_of.get(m) == row["key"]]
        return f"{row['name']} ({', '.join(members)})" if members else row["name"]

    return totals.assign(name=totals.apply(named, axis=1)) if len(totals) else totals


def _year_earlier(history: pd.DataFrame | None, key: str, weeks: int) -> float | None:
    """Observed streams of ``key`` over the ``weeks`` weeks a year before the forecast's first
    ``weeks`` (the base its year-on-year change is set against); None where any is missing."""
    if history is None:
        return None
    h = history[history["key"] == key].set_index("week_start")["streams"]
    if h.empty:
        return None
    first = h.index.max() + pd.Timedelta(days=7) - pd.Timedelta(days=364)
    want = [first + pd.Timedelta(days=7 * i) for i in range(weeks)]
    return float(h.reindex(want).sum()) if h.reindex(want).notna().all() else None


def forecast_table(
    totals: pd.DataFrame,
    interval: float,
    history: pd.DataFrame | None = None,
    horizons: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """Streams in the next quarter, half-year and year per market and in total, for people,
    every cell in one unit (the largest median's); only ``horizons`` (weeks) where given. With
    ``history`` (observed weekly streams, `insights.history_totals`' layout), each row also
    carries the next 52 weeks' forecast against its last 52 weeks as observed, and their sum."""
    rows = []
    unit = unit_of(totals["streams_median"].max()) if len(totals) else ""
    for (_level, key, name), g in totals.groupby(["level", "key", "name"], sort=False):
        row = {"Market or region": name}
        for r in g.itertuples():
            if horizons is not None and r.horizon_weeks not in horizons:
                continue
            label = f"Next {r.horizon_weeks} weeks"
            row[label] = streams_interval(r.streams_median, r.streams_low, r.streams_high, unit)
            if r.horizon_weeks == g["horizon_weeks"].min():
                base = _year_earlier(history, key, r.horizon_weeks)
                row["vs same weeks a year earlier"] = (
                    f"{signed_percent(r.yoy_median)} ({percent_interval(r.yoy_low, r.yoy_high)})"
                    + (f" on {in_unit(base, unit)} {unit}".rstrip() if base else "")
                    if pd.notna(r.yoy_median)
                    else "n/a (weeks missing a year earlier)"
                )
        year = g[g["horizon_weeks"] == YEAR]
        if history is not None and len(year):
            actual = last_weeks_total(history, key, YEAR)
            f = year.iloc[0]
            known = bool(np.isfinite(actual) and actual > 0)
            row["Next 52 weeks vs the last 52 (actual)"] = (
                f"{signed_percent(f.streams_median / actual - 1)} "
                f"({percent_interval(f.streams_low / actual - 1, f.streams_high / actual - 1)})"
                f" on {in_unit(actual, unit)} {unit}".rstrip()
                if known
                else "n/a (fewer than 52 weeks observed)"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _share_now(row: pd.Series) -> str:
    """A share now with its interval; where the ``recent_fit`` gate found the charts' own
    latest weeks outside it (``now_outside``, as ``ReportInputs.shifts`` marks it), the
    charts' figure beside it, said to be outside."""
    text = share_interval(row["share_end"], row["end_low"], row["end_high"])
    if not bool(row.get("now_outside", False)):
        return text
    return f"{text}; the charts: {share_percent(row['observed_recent'])}, outside this range"


def share_table(
    shifts: pd.DataFrame,
    measure: str,
    names: dict[str, str],
    interval: float,
    order: list[str] | None = None,
) -> pd.DataFrame:
    """Share now (the last weeks) and its shift since the baseline weeks (the market's first
    weeks outside December), in share points; by size, or markets in ``order`` (the report's
    one market order; each market's rows by size) where given."""
    d = shifts[shifts["measure"] == measure].sort_values("shift_pts", ascending=False)
    d = in_market_order(d, order)
    out = pd.DataFrame(
        {
            "Market": [names.get(m, m.upper()) for m in d["market"]],
            "Share now": [_share_now(r) for _, r in d.iterrows()],
            "Shift since first weeks": [
                points_interval(m, lo, hi)
                for m, lo, hi in zip(d["shift_pts"], d["shift_low"], d["shift_high"], strict=True)
            ],
            "Chance it rose": [chance(p) for p in d["p_up"]],
        }
    )
    if "genre" in d and d["genre"].notna().all():
        out.insert(1, "Genre", d["genre"].to_numpy())
    return out


def partner_links(markets: list[str], names: dict[str, str], current: str) -> str:
    """Links from one partner page to every other market's page, the executive report and
    the technical report."""
    others = " · ".join(f"[{names.get(m, m.upper())}]({m}.html)" for m in markets if m != current)
    return (
        f"**Other markets:** {others}. **All markets:** [executive report](../index.html). "
        "**For researchers:** [technical report](../technical.html)."
    )


def page_links(markets: list[str], names: dict[str, str]) -> str:
    """Links from the executive report to the partner pages and the technical report."""
    links = " · ".join(f"[{names.get(m, m.upper())}](markets/{m}.html)" for m in markets)
    return f"**One page per market:** {links}. **For researchers:** [technical report](technical.html)."
