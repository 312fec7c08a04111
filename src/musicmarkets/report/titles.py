"""Chart titles that state the takeaway, written from the same tables the charts draw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from musicmarkets.report.format import chance, possessive, signed_percent, signed_points


def growth_title(table: pd.DataFrame) -> str:
    """'Momentum: Brazil's trend rises fastest, +21% a year; 2 other markets could be as
    fast': the leader by median momentum (the current trend slope, not the year-on-year
    headline) and how many others' intervals reach its interval's lower end."""
    label = "name" if "name" in table else "market"
    lead = table.loc[table["growth_median"].idxmax()]
    others = table.drop(index=lead.name)
    close = int((others["growth_high"] >= lead["growth_low"]).sum())
    head = (
        f"Momentum: {lead[label]}'s trend rises fastest, "
        f"{signed_percent(lead['growth_median'])} a year"
    )
    if close == 0:
        return head + ", clearly ahead of every other market"
    return head + f"; {close} other market{'s' if close > 1 else ''} could be as fast"


def rank_title(ranks: pd.DataFrame, names: dict[str, str], focus: str | None = None) -> str:
    """The leader by median rank (the statistic every rank table shows) and how sure its
    first place is, from the rank-probability table (markets by rows, ranks 1.. by columns,
    rows summing to 1); with ``focus`` (a partner page's market), that market's median rank."""
    first = ranks.iloc[:, 0]
    median = (ranks.cumsum(axis=1) >= 0.5).idxmax(axis=1).astype(int)
    if focus is not None:
        return (
            f"{names.get(focus, str(focus).upper())}: median momentum rank {median[focus]} of "
            f"{len(ranks)}; chance of ranking first: {chance(first[focus])}"
        )
    lead = median.sort_values(kind="stable").index[0]
    name = names.get(lead, str(lead).upper())
    if first[lead] >= 0.9:
        return f"{name} almost surely ranks first by momentum (chance {chance(first[lead])})"
    return (
        f"No momentum rank is settled: {name} has the best median rank ({median[lead]}); "
        f"chance of ranking first: {chance(first[lead])}"
    )


def shift_title(table: pd.DataFrame, label_col: str, subject: str) -> str:
    """The largest move in share points, and whether its interval excludes zero. In a genre
    mix the largest move of a named genre leads ("all other genres" says little), read as
    "Brazil's Pop share"."""
    named = table[table["genre"] != "Other"] if "genre" in table else table
    pick = named if len(named) else table
    row = pick.loc[pick["shift_pts"].abs().idxmax()]
    sure = row["shift_low"] > 0 or row["shift_high"] < 0
    tail = "" if sure else " (its interval includes no change)"
    label = str(row[label_col])
    if " · " in label:  # "Brazil · Pop" -> "Brazil's Pop share"
        who, what = label.split(" · ", 1)
        label = f"{possessive(who)} {what} share"
    return f"{subject}: the largest move is {label}, {signed_points(row['shift_pts'])}{tail}"


def momentum_title(changes: pd.DataFrame, names: dict[str, str]) -> str:
    """One sentence on how momentum bent: since each market's first year of charts
    (``flag_first`` of ``insights.trend_change_table``, biggest changes first) and at its latest
    trend change (``flag``), naming up to three markets of each; both flags are set at the
    report's ``clear_probability`` by the forecast stage."""

    def who(flag: str) -> str:
        m = [names.get(x, str(x).upper()) for x in changes.loc[changes["flag"] == flag, "market"]]
        return ", ".join(m[:3]) + (f" and {len(m) - 3} more" if len(m) > 3 else "")

    slowed = int((changes["flag"] == "slowed").sum())
    rose = int((changes["flag"] == "accelerated").sum())
    steady = len(changes) - slowed - rose
    overall = _since_first(changes, names)
    if slowed == rose == 0:
        if not overall:
            return "No market's momentum changed clearly at its most recent bend"
        return overall + ", and none changed clearly at its most recent bend"
    parts = []
    if slowed:
        parts.append(
            f"momentum slowed in {slowed} market{'s' if slowed > 1 else ''} ({who('slowed')})"
        )
    if rose:
        parts.append(f"rose in {rose} ({who('accelerated')})")
    latest = (
        "at the latest trend change, "
        + " and ".join(parts)
        + (f"; {steady} steady" if steady else "")
    )
    return overall + "; " + latest if overall else latest[0].upper() + latest[1:]


def _since_first(changes: pd.DataFrame, names: dict[str, str]) -> str:
    """'Since their first year of charts, momentum has clearly slowed in 3 of 8 markets
    (Italy from +94% a year to +9%, ...); in the other 5 the change is not clear' from
    ``trend_change_table``'s ``flag_first``, biggest changes first; '' without it."""
    if "flag_first" not in changes:
        return ""
    lower = changes[changes["flag_first"] == "slowed"]
    higher = changes[changes["flag_first"] == "picked up"]
    n = len(changes)
    if lower.empty and higher.empty:
        return "No market's momentum now differs clearly from its first year of charts"
    parts = []
    for subset, word in ((lower, "slowed"), (higher, "picked up")):
        if subset.empty:
            continue
        order = (subset["growth_now"] - subset["growth_first"]).abs().sort_values(ascending=False)
        shown = subset.loc[order.index[:3]]
        examples = ", ".join(
            f"{names.get(r.market, str(r.market).upper())} from {signed_percent(r.growth_first)}"
            f" a year to {signed_percent(r.growth_now)}"
            for r in shown.itertuples()
        )
        parts.append(f"{word} in {len(subset)} of {n} markets ({examples})")
    rest = n - len(lower) - len(higher)
    others = f"; in the other {rest} the change is not clear" if rest else ""
    return "Since their first year of charts, momentum has clearly " + " and ".join(parts) + others


def forecast_title(name: str, ahead: dict[str, float], unit_text: str) -> str:
    """'Brazil: 12.8 bn (11.1 to 14.6 bn) streams expected in the next 52 weeks, +2% (−12% to
    +17%) on the last 52': ``ahead`` is `summary.next_year`'s dict, ``unit_text`` the
    forecast already formatted with its interval."""
    head = f"{name}: {unit_text} streams expected in the next 52 weeks"
    if not np.isfinite(ahead["actual"]):
        return head
    return (
        f"{head}, {signed_percent(ahead['change'])} "
        f"({signed_percent(ahead['change_low'])} to {signed_percent(ahead['change_high'])}) "
        "on the last 52"
    )


def trend_levels(bands: pd.DataFrame, weeks: int = 52) -> pd.DataFrame:
    """Per market with two years of weeks: the mean of the model's trend (``fit_median`` of
    `insights.trend_bands`) and of the observed streams per person in its latest ``weeks``
    weeks against its first ``weeks``, as ``change`` and ``observed_change``."""
    rows = []
    for m, b in bands.sort_values("week_start").groupby("market", sort=False):
        if len(b) < 2 * weeks:
            continue
        first, last = b.head(weeks), b.tail(weeks)
        rows.append(
            {
                "market": m,
                "change": last["fit_median"].mean() / first["fit_median"].mean() - 1,
                "observed_change": last["observed"].mean() / first["observed"].mean() - 1,
            }
        )
    return pd.DataFrame(rows, columns=["market", "change", "observed_change"])


def trend_title(bands: pd.DataFrame, names: dict[str, str], market: str | None = None) -> str:
    """How far each market's charted weeks moved from its first year to its latest (the means
    of the dots the chart draws: counted, so no interval; the 13 weeks at each end for a market
    with less than two years); one market's sentence where ``market`` is given."""
    levels = trend_levels(bands).set_index("market")
    if market is not None:
        name = names.get(market, market.upper())
        weeks, own = (52, levels)
        if market not in levels.index:  # under two years of weeks: 13 weeks at each end
            weeks, own = 13, trend_levels(bands, 13).set_index("market")
        if market not in own.index:
            return f"{name}: streams per person, every charted week and the model's trend"
        change = signed_percent(own.loc[market, "observed_change"])
        return (
            f"{name}: streams per person in the latest {weeks} weeks {change} on the first "
            f"{weeks} weeks of charts"
        )
    if levels.empty:
        return "Streams per person, every charted week and the model's trend"
    change = levels["observed_change"]
    up = int((change > 0).sum())
    hi, lo = change.idxmax(), change.idxmin()
    name = lambda m: names.get(m, str(m).upper())  # noqa: E731
    return (
        f"Streams per person, latest 52 weeks against the first 52 weeks of charts: up in {up} "
        f"of {len(levels)} markets with two years of charts, most in {name(hi)} "
        f"({signed_percent(change[hi])}), least in {name(lo)} ({signed_percent(change[lo])})"
    )


def prior_check_title(check: dict) -> str:
    """'Before any data, the priors allow a typical week of 0.01 to 70 chart streams per person:
    every market's data fall inside' (``prior_check.json``: the widest band over markets, and
    whether any market's typical week lies outside the percentiles it calls a conflict)."""
    markets = check["markets"]
    low = min(m["prior_low"] for m in markets.values())
    high = max(m["prior_high"] for m in markets.values())
    head = (
        f"Before any data, the priors allow a typical week of {low:.2g} to {high:.2g} chart "
        "streams per person"
    )
    if check["conflicts"]:
        return head + f"; they all but rule out {', '.join(check['conflicts']).upper()}'s data"
    return head + ": every market's data fall inside"
