"""The executive report's first screen: title with the data period and the report date, three
sentences written from the data and the posterior, four stat cards with intervals, and the
trust status in one line that links to the full trust panel further down.

Every figure is computed here from the panel, the forecast totals, the year-on-year table and
the share shifts; nothing is typed by hand. The report date is the date of the commit that made
the report (so the same commit renders the same page), and a report whose latest chart week is
more than a quarter older than that date says that it describes a past period.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from musicmarkets.insights import last_weeks_total
from musicmarkets.report import (
    also_at,
    draft_words,
    forecast_table,
    forecast_title,
    growth_words,
    human_number,
    launch_note,
    percent_interval,
    possessive,
    ranked_growth,
    signed_percent,
    signed_points,
    streams_interval,
    with_article,
)
from musicmarkets.report.templating import Markup, render

STALE_WEEKS = 13  # older data than this at the report date: the page says it describes the past
YEAR = 52


def report_date(root: Path, fallback: pd.Timestamp) -> pd.Timestamp:
    """The committer date of the checked-out commit (reproducible for one commit), else
    ``fallback`` (the latest chart week) where there is no git history."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cs"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        return pd.Timestamp(out) if out else fallback
    except (OSError, ValueError):
        return fallback


def day(ts: pd.Timestamp) -> str:
    """'24 Jul 2020'."""
    return f"{ts.day} {ts:%b %Y}"


def calendar_range(first_week: pd.Timestamp, weeks: int) -> str:
    """The months a run of chart weeks covers (each week runs Friday to Thursday and counts in
    the month that holds most of its days): 13 weeks from Friday 31 Jul 2020 read 'Aug-Oct
    2020', 52 weeks 'Aug 2020-Jul 2021'."""
    last_day = first_week + pd.Timedelta(weeks=weeks) - pd.Timedelta(days=1)
    first_week = first_week + pd.Timedelta(days=3)  # the week's middle day
    if first_week.year == last_day.year:
        if first_week.month == last_day.month:
            return f"{first_week:%b %Y}"
        return f"{first_week:%b}\u2013{last_day:%b %Y}"
    return f"{first_week:%b %Y}\u2013{last_day:%b %Y}"


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    detail: str


def year_totals(market_week: pd.DataFrame, markets: list[str]) -> dict[str, object]:
    """Observed Top 200 streams of ``markets`` in the latest 52 chart weeks and the change
    against the 52 weeks before, over the markets observed in every week of both years."""
    end = market_week["week_start"].max()
    p = market_week[market_week["market"].isin(markets)]
    last = p[p["week_start"] > end - pd.Timedelta(weeks=YEAR)]
    before = p[
        (p["week_start"] > end - pd.Timedelta(weeks=2 * YEAR))
        & (p["week_start"] <= end - pd.Timedelta(weeks=YEAR))
    ]
    full = [
        m
        for m in markets
        if (last["market"] == m).sum() == YEAR and (before["market"] == m).sum() == YEAR
    ]
    now = last[last["market"].isin(full)]["streams"].sum()
    then = before[before["market"].isin(full)]["streams"].sum()
    return {
        "end": end,
        "streams": float(last["streams"].sum()),
        "change": float(now / then - 1) if then > 0 else float("nan"),
        "compared": full,
        "markets": sorted(set(last["market"])),
        "by_market": last.groupby("market")["streams"].sum().astype(float).to_dict(),
    }


def next_year(totals: pd.DataFrame, history: pd.DataFrame, key: str = "all") -> dict[str, float]:
    """The forecast for the next 52 weeks (median and interval) of ``key`` (all markets, a
    region or a market) against its observed last 52 weeks."""
    f = totals[(totals["key"] == key) & (totals["horizon_weeks"] == YEAR)].iloc[0]
    actual = last_weeks_total(history, key, YEAR)
    return {
        "median": float(f["streams_median"]),
        "low": float(f["streams_low"]),
        "high": float(f["streams_high"]),
        "actual": actual,
        "change": float(f["streams_median"]) / actual - 1,
        "change_low": float(f["streams_low"]) / actual - 1,
        "change_high": float(f["streams_high"]) / actual - 1,
    }


def largest_shift(
    shifts: pd.DataFrame, names: dict[str, str], readable: pd.Series
) -> pd.Series | None:
    """The largest share shift whose interval excludes zero (local repertoire only where the
    measure can be read), with a ``label`` for people; None when no shift is that clear."""
    local_ok = shifts["market"].map(readable).fillna(False).astype(bool)
    keep = (shifts["measure"] != "local_share") | local_ok
    clear = shifts[keep & ((shifts["shift_low"] > 0) | (shifts["shift_high"] < 0))]
    if clear.empty:
        return None
    row = clear.loc[clear["shift_pts"].abs().idxmax()].copy()
    what = {
        "local_share": "local-repertoire share",
        "top10_share": "share of the top 10 tracks",
    }.get(row["measure"], f"{row.get('genre')} share")
    row["label"] = f"{names.get(row['market'], row['market'].upper())}: {what}"
    return row


def cards(
    year: dict[str, object],
    yoy: pd.DataFrame,
    ahead: dict[str, float],
    shift: pd.Series | None,
    names: dict[str, str],
    interval: float,
    first_forecast_week: pd.Timestamp,
) -> list[Card]:
    """The four stat cards of the first screen."""
    n_both, n_all = len(year["compared"]), len(year["markets"])
    change = (
        f"{signed_percent(year['change'])} against the 52 weeks before"
        + (f" ({n_both} of {n_all} markets with both years)" if n_both < n_all else "")
        if n_both
        else "no market has both years"
    )
    out = [
        Card(
            "Top 200 chart streams, last 52 weeks",
            human_number(year["streams"]),
            f"to {day(year['end'] + pd.Timedelta(days=6))}; {change}",
        )
    ]
    has = ranked_growth(yoy)
    if len(has):
        top = has.iloc[0]
        figure, detail = growth_words(top, interval)
        size = year.get("by_market", {}).get(top["market"])
        launch = launch_note(yoy, names, short=True)
        out.append(
            Card(
                "Fastest growth, year on year",
                f"{names.get(top['market'], top['market'].upper())} {figure}",
                f"{detail}{also_at(has, top, names)}; latest 13 weeks against the same weeks a year earlier"
                + (f"; {human_number(size)} streams in the last 52 weeks" if size else "")
                + (f". {launch[0].upper()}{launch[1:]}" if launch else ""),
            )
        )
    else:
        out.append(Card("Fastest growth, year on year", "n/a", "no market has a year of data"))
    forecast = f"{streams_interval(ahead['median'], ahead['low'], ahead['high'])} streams"
    known = np.isfinite(ahead["actual"])  # 52 observed weeks to set the forecast against
    bounds = percent_interval(
        ahead["low"] / ahead["actual"] - 1, ahead["high"] / ahead["actual"] - 1
    )
    out.append(
        Card(
            f"Next 52 weeks ({calendar_range(first_forecast_week, YEAR)})",
            signed_percent(ahead["change"]) if known else human_number(ahead["median"]),
            f"{bounds} ({interval:.0%} interval): {forecast} against "
            f"{human_number(ahead['actual'])} in the last 52 weeks"
            if known
            else f"{forecast}; fewer than 52 weeks observed, so no change to compare",
        )
    )
    if shift is not None:
        out.append(
            Card(
                "Largest share shift",
                signed_points(shift["shift_pts"]),
                f"{shift['label']} ({signed_points(shift['shift_low'])} to "
                f"{signed_points(shift['shift_high'])}), since the market's first weeks",
            )
        )
    else:
        out.append(Card("Largest share shift", "none clear", "no shift's interval excludes zero"))
    return out


def sentences(
    year: dict[str, object],
    yoy: pd.DataFrame,
    ahead: dict[str, float],
    names: dict[str, str],
    interval: float,
    first_forecast_week: pd.Timestamp,
) -> str:
    """Three sentences: the year's streams, who grows fastest and slowest, the year ahead."""
    n = len(year["markets"])
    first = (
        f"The {n} markets streamed {human_number(year['streams'])} Top 200 chart streams in the "
        f"52 weeks to {day(year['end'] + pd.Timedelta(days=6))}"
        + (
            f", {signed_percent(year['change'])} on the year before"
            + (
                f" for the {len(year['compared'])} markets with both years"
                if len(year["compared"]) < n
                else ""
            )
            if year["compared"]
            else ""
        )
        + "."
    )
    has = ranked_growth(yoy)
    launch = launch_note(yoy, names)
    if len(has) >= 2:
        top, low = has.iloc[0], has.iloc[-1]
        name = lambda r: with_article(names.get(r["market"], r["market"].upper()))  # noqa: E731
        words = lambda r: ", ".join(growth_words(r, interval))  # noqa: E731
        sizes = year.get("by_market", {})

        def sized(r: pd.Series, unit: str) -> str:
            size = sizes.get(r["market"])
            return f"{name(r)} ({human_number(size)}{unit})" if size else name(r)

        second = (
            f"Year on year, {sized(top, ' streams in the last 52 weeks')} grew fastest "
            f"({words(top)}{also_at(has, top, names)}) and {sized(low, '')} least ({words(low)})"
            + (f"; {launch}." if launch else ".")
        )
    else:
        second = "No two markets have a year of data to compare growth year on year."
    against = (
        f", {signed_percent(ahead['change'])} against the last 52 weeks"
        if np.isfinite(ahead["actual"])
        else " (fewer than 52 weeks observed: no change to compare)"
    )
    third = (
        f"For the next 52 weeks ({calendar_range(first_forecast_week, YEAR)}) the model expects "
        f"{streams_interval(ahead['median'], ahead['low'], ahead['high'])} streams{against}; "
        f"ranges are {interval:.0%} intervals."
    )
    return " ".join([first, second, third])


def trust_line(
    failed: list[str], names: dict[str, str] | None = None, page_market: str | None = None
) -> str:
    """One line: checks passed, or DRAFT saying in plain words what failed (on a market's page,
    a miss in another market says so); links to the trust panel."""
    brief = draft_words(failed, names, page_market=page_market, brief=True) if failed else ""
    return render("trust_line.html.j2", draft=brief)


def first_screen(
    title: str,
    market_week: pd.DataFrame,
    history: pd.DataFrame,
    totals: pd.DataFrame,
    yoy: pd.DataFrame,
    shifts: pd.DataFrame,
    readable: pd.Series,
    names: dict[str, str],
    failed: list[str],
    interval: float,
    first_forecast_week: pd.Timestamp,
    date: pd.Timestamp,
) -> str:
    """HTML of the first screen."""
    markets = sorted(yoy["market"])
    year = year_totals(market_week, markets)
    ahead = next_year(totals, history)
    start = market_week[market_week["market"].isin(markets)]["week_start"].min()
    return render(
        "first_screen.html.j2",
        title=title,
        period=Markup(period_lines(start, year["end"], date)),
        trust=Markup(trust_line(failed, names)),
        summary=sentences(year, yoy, ahead, names, interval, first_forecast_week),
        cards=cards(
            year,
            yoy,
            ahead,
            largest_shift(shifts, names, readable),
            names,
            interval,
            first_forecast_week,
        ),
    )


def period_lines(start: pd.Timestamp, end: pd.Timestamp, date: pd.Timestamp) -> str:
    """HTML: the chart weeks a page covers and its report date, and, when the latest chart
    week ended more than ``STALE_WEEKS`` before the report date, that it describes that past
    period (``end``: the start of the latest chart week)."""
    end_day = end + pd.Timedelta(days=6)
    return render(
        "period.html.j2",
        start=day(start),
        end=day(end_day),
        date=day(date),
        stale=date - end_day > pd.Timedelta(weeks=STALE_WEEKS),
        ago=time_ago(end_day, date),
    )


def time_ago(then: pd.Timestamp, now: pd.Timestamp) -> str:
    """'6 years and 4 months', '5 months', '14 weeks': how long before ``now`` a period ended."""
    months = (now.year - then.year) * 12 + now.month - then.month - (now.day < then.day)
    if months < 4:
        return f"{(now - then).days // 7} weeks"
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' * (years != 1)}"] * bool(years)
    parts += [f"{months} month{'s' * (months != 1)}"] * bool(months)
    return " and ".join(parts)


def market_header(
    market: str,
    name: str,
    market_week: pd.DataFrame,
    history: pd.DataFrame,
    totals: pd.DataFrame,
    interval: float,
    first_forecast_week: pd.Timestamp,
    date: pd.Timestamp,
) -> str:
    """HTML under a partner page's title: the market's chart weeks and the report date (with
    the past-period notice), and its size: Top 200 streams in the last 52 weeks against the
    52 before, and the next 52 weeks' forecast against the last 52."""
    weeks = market_week[market_week["market"] == market]["week_start"]
    year = year_totals(market_week, [market])
    ahead = next_year(totals, history, market)
    change = (
        f", {signed_percent(year['change'])} on the 52 weeks before"
        if market in year["compared"]
        else " (fewer than 104 weeks observed: no change to compare)"
    )
    against = (
        f", {signed_percent(ahead['change'])} ({signed_percent(ahead['change_low'])} to "
        f"{signed_percent(ahead['change_high'])}) on the last 52"
        if np.isfinite(ahead["actual"])
        else ""
    )
    size = (
        f"{possessive(name)[0].upper()}{possessive(name)[1:]} Top 200 chart streams in the last "
        "52 weeks: "
        f"{human_number(year['streams'])}{change}. The next 52 weeks "
        f"({calendar_range(first_forecast_week, YEAR)}), with {interval:.0%} intervals: "
        f"{streams_interval(ahead['median'], ahead['low'], ahead['high'])}{against}. Top 200 "
        "chart streams, not total streaming."
    )
    return render(
        "market_header.html.j2",
        period=Markup(period_lines(weeks.min(), weeks.max(), date)),
        size=size,
    )


def dated_forecast_table(
    totals: pd.DataFrame,
    first_forecast_week: pd.Timestamp,
    interval: float,
    history: pd.DataFrame | None = None,
    horizons: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """`report.forecast_table` with each horizon's calendar months in its column name."""
    table = forecast_table(totals, interval, history, horizons)
    horizons = horizons or tuple(sorted(totals["horizon_weeks"].unique()))
    return table.rename(
        columns={
            f"Next {h} weeks": f"Next {h} weeks ({calendar_range(first_forecast_week, int(h))})"
            for h in horizons
        }
    )


def forecast_chart_title(
    name: str, totals: pd.DataFrame, history: pd.DataFrame, key: str = "all"
) -> str:
    """The takeaway title of a forecast chart: ``key``'s next 52 weeks with their interval and
    their change on the last 52 observed weeks (`next_year`)."""
    ahead = next_year(totals, history, key)
    return forecast_title(
        name, ahead, streams_interval(ahead["median"], ahead["low"], ahead["high"])
    )
