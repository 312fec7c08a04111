"""Findings in words: growth and insight headlines, the partner brief, opportunities (the methods
and data appendix is in ``musicmarkets.report.methods``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from musicmarkets.report.failures import draft_words
from musicmarkets.report.format import (
    chart_week,
    human_number,
    percent_interval,
    probability_words,
    share_interval,
    signed_percent,
    signed_points,
    streams_interval,
    unit_of,
)


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


def ranked_growth(yoy: pd.DataFrame) -> pd.DataFrame:
    """``growth_order`` without the markets whose weeks a year earlier were their first months
    of charts: launch growth is not growth to rank markets by (``launch_note`` names them)."""
    has = growth_order(yoy)
    return has[~has.apply(launch_year, axis=1).astype(bool)] if len(has) else has


def also_at(has: pd.DataFrame, row: pd.Series, names: dict[str, str]) -> str:
    """Other ranked markets that ``row``'s lead does not separate from it: where ``row``
    carries the model's interval, those whose figure lies inside it ('; France (+6%) and
    Brazil (+6%) inside that interval too, so no market clearly leads'); else those that print
    the same figure ('; France and Brazil also +6%'); '' when none is."""
    others = has[has["market"] != row["market"]]

    def listed(items: list[str]) -> str:
        return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]

    if row.get("from_model", False) and pd.notna(row.get("yoy_low")):
        inside = others[others["figure"].between(row["yoy_low"], row["yoy_high"])]
        if len(inside):
            who = [
                f"{names.get(m, m.upper())} ({signed_percent(f)})"
                for m, f in zip(inside["market"], inside["figure"], strict=True)
            ]
            return f"; {listed(who)} inside that interval too, so no market clearly leads"
    shown = signed_percent(row["figure"])
    same = [
        names.get(m, m.upper())
        for m, f in zip(others["market"], others["figure"], strict=True)
        if signed_percent(f) == shown
    ]
    return f"; {listed(same)} also {shown}" if same else ""


def launch_note(
    yoy: pd.DataFrame,
    names: dict[str, str],
    short: bool = False,
    sizes: dict[str, float] | None = None,
) -> str:
    """'India (+119%) is not ranked: the weeks a year earlier were its first months of charts,
    so that is mostly launch growth' ('India (+119%) not ranked: launch growth' where
    ``short``, for a card), or '' when no market is in its launch year."""
    has = growth_order(yoy)
    launch = has[has.apply(launch_year, axis=1).astype(bool)] if len(has) else has
    if launch.empty:
        return ""

    def one(r: pd.Series) -> str:
        size = (sizes or {}).get(r["market"])
        tail = f"; {human_number(size)} streams in the last 52 weeks" if size else ""
        return (
            f"{names.get(r['market'], r['market'].upper())} ({signed_percent(r['figure'])}{tail})"
        )

    who = ", ".join(one(r) for _, r in launch.iterrows())
    one = len(launch) == 1
    if short:
        return f"{who} not ranked: launch growth"
    return (
        f"{who} {'is' if one else 'are'} not ranked: the weeks a year earlier were "
        f"{'its' if one else 'their'} first months of charts, so that is mostly launch growth"
    )


def early_stop_note(last_weeks: pd.Series, names: dict[str, str], market: str | None = None) -> str:
    """The markets whose charts stop before the latest week (``last_weeks``: market -> its
    last charted week), in words: their forecasts start from their own last week, and no week
    is filled in. ``market``: only that market (a partner page). '' when none stops early."""
    latest = last_weeks.max()
    behind = last_weeks[last_weeks < latest].sort_index()
    if market is not None:
        behind = behind[behind.index == market]
    if behind.empty:
        return ""
    parts = [
        f"{names.get(m, m.upper())}'s charts stop at the week of {chart_week(week)}, "
        f"{(latest - week).days // 7} weeks before the latest week"
        for m, week in behind.items()
    ]
    one = len(behind) == 1
    its = "its" if one else "their"
    return (
        "; ".join(parts)
        + f". {its.capitalize()} forecast starts from {its} own last charted week: the trend "
        f"there carried on, with an interval that widens over the weeks not reported (no "
        f"missing week is filled in)."
    )


LAUNCH_RAMP = (
    "; the weeks a year earlier were the market's first months of charts, so this is mostly"
    " launch growth"
)


def launch_year(row: Any) -> bool:
    """Were the weeks a year earlier the market's first months of charts
    (``insights.yoy_growth``'s ``launch_year``; missing counts as no)?"""
    value = row.get("launch_year")
    return value is not None and not pd.isna(value) and bool(value)


def growth_words(row: pd.Series, interval: float) -> tuple[str, str]:
    """(figure, detail) of one market's year-on-year growth for a card or a sentence; where
    the weeks a year earlier were the market's first months of charts, the detail says so."""
    launch = LAUNCH_RAMP if launch_year(row) else ""
    if row["from_model"]:
        return signed_percent(row["yoy_median"]), (
            f"{interval:.0%} interval {percent_interval(row['yoy_low'], row['yoy_high'])}{launch}"
        )
    return signed_percent(row["observed_yoy"]), (
        "counted from the charts, so without a range; the model's estimate, "
        f"{signed_percent(row['model_yoy_median'])}, did not match the charted weeks{launch}"
    )


def growth_headlines(
    table: pd.DataFrame,
    failed: list[str],
    interval: float,
    yoy: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
    streams: dict[str, float] | None = None,
) -> str:
    """Markdown bullet points of the growth findings, generated from the posterior tables.

    ``yoy`` (``insights.yoy_growth``) leads: the latest weeks against the same weeks a year
    earlier, as an executive reads growth; the trend slope follows, named momentum.
    ``streams``: each market's Top 200 chart streams in its last 52 weeks, the size beside
    each growth figure."""
    width = f"{interval:.0%}"
    if table.empty:
        return "No market could be modelled."
    label = "name" if "name" in table else "market"
    lines = []
    if yoy is not None and len(yoy):
        names = names or {}
        named = yoy.assign(name=yoy["market"].map(lambda m: names.get(m, m.upper())))
        has = ranked_growth(named)
        if len(has):
            top, last = has.iloc[0], has.iloc[-1]
            weeks = int(top["weeks"])

            def check(r: pd.Series, lead: str) -> str:
                if not r["from_model"]:
                    return growth_words(r, interval)[1]
                bounds = percent_interval(r["yoy_low"], r["yoy_high"])
                said = f"{lead}{bounds}; the charts: {signed_percent(r['observed_yoy'])}"
                outside = not r["yoy_low"] <= r["observed_yoy"] <= r["yoy_high"]
                if outside and pd.notna(r.get("observed_yoy_low")):
                    # the interval is the trend's; the charts' ratio carries each week's noise
                    said += (
                        ", within the "
                        f"{percent_interval(r['observed_yoy_low'], r['observed_yoy_high'])} the "
                        "model expects for the charts once each week's own ups and downs are added"
                    )
                return said

            check_top, check_last = check(top, f"{width} interval "), check(last, "")
            check_top += also_at(has, top, names)
            check_top, check_last = (
                _sized(check_top, (streams or {}).get(top["market"])),
                _sized(check_last, (streams or {}).get(last["market"])),
            )
            lines.append(
                f"- **Fastest growth: {top['name']}**, {signed_percent(top['figure'])} chart "
                f"streams per person in the latest {weeks} weeks against the same weeks a year "
                f"earlier ({check_top}). "
                f"**Slowest: {last['name']}**, {signed_percent(last['figure'])} "
                f"({check_last})."
            )
        launch = launch_note(named, names, sizes=streams)
        if launch:
            line = f"{launch[0].upper()}{launch[1:]}."
            if lines:
                lines[-1] += " " + line
            else:
                lines.append(f"- {line}")
        missing = named[
            named["yoy_median"].isna() & ~named["market"].isin(growth_order(named)["market"])
        ]
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
        f"{_sized(percent_interval(top['growth_low'], top['growth_high']), (streams or {}).get(top['market']))}); "
        "the chance that it is the "
        f"highest of the {len(table)} markets is {top['p_fastest']:.0%}."
    )
    if failed:
        lines.append(
            f"- **These numbers are a DRAFT**: {draft_words(failed, names, short=True)[7:]} "
            'Do not act on them (the figures are under "How far the numbers can be trusted").'
        )
    return "\n".join(lines)


def _sized(text: str, size: float | None) -> str:
    """``text`` with a market's Top 200 chart streams in its last 52 weeks (``size``)
    appended; unchanged where the size is unknown."""
    return (
        f"{text}; {human_number(size)} streams in the last 52 weeks" if size and size > 0 else text
    )


def growth_alt_text(table: pd.DataFrame, interval: float) -> str:
    """Alternative text for the momentum forest plot, from the same table."""
    label = "name" if "name" in table else "market"
    parts = [
        f"{r[label]} {signed_percent(r['growth_median'])} ({percent_interval(r['growth_low'], r['growth_high'])})"
        for _, r in table.iterrows()
    ]
    return (
        "Momentum (the current trend's growth per year) per market, fastest first, median and "
        f"{interval:.0%} interval: " + "; ".join(parts) + "."
    )


def plain_words(interval: float, lockdown_left: float | None) -> str:
    """The two terms every finding uses, explained once in plain words. ``lockdown_left``: the
    share of the 2020 lockdown's dip the model counts as not yet recovered at the latest week
    (None: the fit has no lockdown term), since momentum sets that dip aside."""
    aside = (
        ""
        if lockdown_left is None
        else (
            " (leaving out the 2020 lockdown's dip: by the latest week the model sees "
            f"{lockdown_left:.0%} of that dip still to recover, and the forecasts let it fade)"
        )
    )
    return (
        "*Growth* is the yearly change of Top 200 chart streams **per person** in a market, so large "
        f"and small markets compare fairly. A *{interval:.0%} interval* is the range the growth lies "
        f"in with {interval:.0%} probability, given the data and the model. Which figure answers "
        '"is it growing?": *growth over a year* (the latest 13 weeks against the same weeks a '
        "year earlier) says where the market is now; the change of the last 52 weeks against "
        "the 52 before compares whole years, so it still carries growth from earlier in the year; "
        f"*momentum* is the pace of the trend today{aside}, and the forecasts say where it "
        "leads."
    )


LOCAL_MEASURE = "streams on tracks outside that week's Global chart"


def local_share_readable(shifts: pd.DataFrame) -> pd.Series:
    """Per market: can the local-repertoire measure (streams on tracks outside that week's
    Global chart) speak of domestic against international repertoire? Not where the market's own
    hits make up the Global chart: more than half of its recent streams on Global-chart tracks
    (the US and GB on the default data). Artist-country data would settle it; the project has
    none that cover 80% of a market's streams, so such a market gets no local-share headline."""
    local = shifts[shifts["measure"] == "local_share"].set_index("market")
    return local["observed_recent"] >= 0.5


def opportunity_text(table: pd.DataFrame, names: dict[str, str], interval: float) -> str:
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
    interval: float,
    streams_all: float | None = None,
) -> str:
    """Markdown bullets beyond growth (``streams_all``: all markets' Top 200 chart streams in
    the last 52 weeks, their size): faster than all markets (trend changes have their own
    chart, `plots.momentum_grid`, with `titles.momentum_title` as its sentence),
    and the clearest local-repertoire shift. All computed from posterior tables. The next
    year's total leads the first screen; no opportunity is named here until the covariate gap
    is checked by leaving each market out (the opportunity section says so)."""
    lines = []
    ahead = table[table["p_faster_than_all"] >= 0.9]
    all_g = table.iloc[0]
    bounds = percent_interval(all_g["all_growth_low"], all_g["all_growth_high"])
    lines.append(
        f"- **All markets together**: momentum {signed_percent(all_g['all_growth_median'])} "
        f"per person per year ({_sized(bounds, streams_all)}). "
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
    interval: float,
    yoy: pd.Series | None = None,
    opportunity_ok: bool = False,
    size: float | None = None,
) -> str:
    """Markdown bullets for one market's partner page, from its posterior tables (``yoy``: the
    market's row of ``insights.yoy_growth``, which leads when given; ``size``: its Top 200
    chart streams in the last 52 weeks, beside its growth)."""
    width = f"{interval:.0%}"
    sized = f"; {human_number(size)} streams in the last 52 weeks" if size and size > 0 else ""
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
            f"{percent_interval(yoy['yoy_low'], yoy['yoy_high'])}; {charts}"
            f"{LAUNCH_RAMP if launch_year(yoy) else ''}{sized})."
        )
    elif yoy is not None and withheld(yoy.get("holds")):
        figure, detail = growth_words(pd.concat([yoy, pd.Series({"from_model": False})]), interval)
        lines.append(
            f"- **Growth over a year**: {figure} chart streams per person in the latest "
            f"{int(yoy['weeks'])} weeks{_weeks_span(yoy)} against the same weeks a year earlier "
            f"({detail}{sized})."
        )
    elif yoy is not None:
        lines.append(f"- **Growth over a year**: not given ({yoy['reason']}).")
    lines += [
        f"- **Momentum** (current trend slope): {signed_percent(row['growth_median'])} chart streams per person per year "
        f"({width} interval {percent_interval(row['growth_low'], row['growth_high'])}{sized}); "
        "chance it is "
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
        unit = unit_of(nxt["streams_median"].max())  # the page's forecast table's unit
        figure = streams_interval(q["streams_median"], q["streams_low"], q["streams_high"], unit)
        lines.append(f"- **Next {int(q['horizon_weeks'])} weeks**: {figure} Top 200 streams.")
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
            f"- **Local repertoire** ({LOCAL_MEASURE}): "
            f"{share_interval(r['share_end'], r['end_low'], r['end_high'])} of streams now, "
            f"{signed_points(r['shift_pts'])} ({signed_points(r['shift_low'])} to "
            f"{signed_points(r['shift_high'])}) since its first weeks outside December."
        )
    return "\n".join(lines)
