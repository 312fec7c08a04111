"""The executive first screen: every figure is recomputed here from the inputs it summarises."""

import html

import numpy as np
import pandas as pd
import pytest

from musicmarkets import summary
from musicmarkets.report import forecast_table, human_number, signed_percent
from musicmarkets.summary import forecast_chart_title

END = pd.Timestamp("2020-07-17")  # a Friday: the last chart week


def panel() -> pd.DataFrame:
    """Two markets with 120 weeks and one that starts 60 weeks before the end."""
    rng = np.random.default_rng(3)
    rows = []
    for market, weeks in (("aa", 120), ("bb", 120), ("cc", 60)):
        w = pd.date_range(end=END, periods=weeks, freq="7D")
        rows.append(
            pd.DataFrame(
                {"market": market, "week_start": w, "streams": rng.uniform(1e6, 2e6, weeks)}
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_calendar_ranges_of_chart_weeks():
    # a week counts in the month of most of its days: Fri 31 Jul - Thu 6 Aug is August's
    assert summary.calendar_range(pd.Timestamp("2020-07-31"), 13) == "Aug\u2013Oct 2020"
    assert summary.calendar_range(pd.Timestamp("2020-07-31"), 52) == "Aug 2020\u2013Jul 2021"
    assert summary.calendar_range(pd.Timestamp("2020-07-03"), 2) == "Jul 2020"
    assert summary.calendar_range(pd.Timestamp("2020-07-24"), 2) == "Jul\u2013Aug 2020"


def test_year_totals_compare_only_markets_with_both_years():
    p = panel()
    year = summary.year_totals(p, ["aa", "bb", "cc"])
    last = p[p["week_start"] > END - pd.Timedelta(weeks=52)]
    assert year["streams"] == pytest.approx(last["streams"].sum())
    assert year["compared"] == ["aa", "bb"]
    before = p[
        (p["week_start"] <= END - pd.Timedelta(weeks=52))
        & (p["week_start"] > END - pd.Timedelta(weeks=104))
        & p["market"].isin(["aa", "bb"])
    ]
    now = last[last["market"].isin(["aa", "bb"])]["streams"].sum()
    assert year["change"] == pytest.approx(now / before["streams"].sum() - 1)


def test_first_screen_reports_the_period_the_gates_and_a_stale_report():
    p = panel()
    history = (
        p.groupby("week_start")["streams"].agg(["sum", "size"]).query("size == 3").reset_index()
    )
    history = pd.DataFrame(
        {"key": "all", "week_start": history["week_start"], "streams": history["sum"]}
    )
    totals = pd.DataFrame(
        {
            "key": ["all"],
            "horizon_weeks": [52],
            "streams_median": [2.0e8],
            "streams_low": [1.5e8],
            "streams_high": [2.5e8],
        }
    )
    yoy = pd.DataFrame(
        {
            "market": ["aa", "bb", "cc"],
            "yoy_median": [0.10, -0.05, np.nan],
            "yoy_low": [0.02, -0.1, np.nan],
            "yoy_high": [0.2, 0.01, np.nan],
        }
    )
    shifts = pd.DataFrame(
        {
            "market": ["aa", "bb"],
            "measure": ["top10_share", "genre_mix"],
            "genre": [None, "Pop"],
            "shift_pts": [-2.0, 5.0],
            "shift_low": [-3.0, 1.0],
            "shift_high": [-1.0, 9.0],
        }
    )
    readable = pd.Series({"aa": True, "bb": True})
    args = (
        p,
        history,
        totals,
        yoy,
        shifts,
        readable,
        {"aa": "Aland"},
        [],
        0.9,
        END + pd.Timedelta(weeks=1),
    )
    # the page's text as a reader sees it (the templates escape apostrophes and the like)
    page = html.unescape(summary.first_screen("T", *args, pd.Timestamp("2020-08-01")))
    assert "Chart weeks" in page and "23 Jul 2020" in page  # the last week ends on a Thursday
    assert "Every quality check passed" in page and "stale" not in page
    assert "Aland +10%" in page  # fastest year on year, with the market's size beside it
    last52 = p[(p["market"] == "aa") & (p["week_start"] > END - pd.Timedelta(weeks=52))]
    assert f"{human_number(last52['streams'].sum())} streams in the last 52 weeks" in page
    ahead = 2.0e8 / history.tail(52)["streams"].sum() - 1
    assert f"{ahead * 100:+.0f}%".replace("-", "\u2212") in page
    # the card's change carries its interval, from the forecast's own bounds
    actual = history.tail(52)["streams"].sum()
    bounds = [f"{(v / actual - 1) * 100:+.0f}%".replace("-", "\u2212") for v in (1.5e8, 2.5e8)]
    assert f"{bounds[0]} to {bounds[1]} (90% interval)" in page
    assert "BB: Pop share" in page and "+5.0 pts" in page  # the largest clear shift
    late = html.unescape(
        summary.first_screen(
            "T", *args[:7], ["R-hat 1.02 > 1.01"], *args[8:], pd.Timestamp("2026-12-01")
        )
    )
    assert (
        'class="banner draft"' in late
        and "DRAFT: 1 check failed (the main model's sampling). For review only" in late
        and "R-hat" not in late
    )
    assert "describes that period" in late
    assert summary.time_ago(pd.Timestamp("2020-07-30"), pd.Timestamp("2026-12-06")) == (
        "6 years and 4 months"
    )
    assert summary.time_ago(pd.Timestamp("2020-07-30"), pd.Timestamp("2020-11-10")) == "14 weeks"
    assert summary.time_ago(pd.Timestamp("2020-01-31"), pd.Timestamp("2021-02-01")) == "1 year"


def test_first_screen_without_a_year_of_history_says_so_and_prints_no_nan():
    """A run on less than a year of weeks (a new project, a small test run): the forecast card
    and sentence give the forecast and the reason there is no change, never "+nan%"."""
    p = panel()
    weeks = sorted(p["week_start"].unique())[:30]  # 30 weeks: no year to compare
    p = p[p["week_start"].isin(weeks)]
    history = p.groupby("week_start", as_index=False)["streams"].sum().assign(key="all")
    totals = pd.DataFrame(
        {
            "key": ["all"],
            "horizon_weeks": [52],
            "streams_median": [2.0e8],
            "streams_low": [1.5e8],
            "streams_high": [2.5e8],
        }
    )
    yoy = pd.DataFrame(
        {"market": ["aa"], "yoy_median": [np.nan], "yoy_low": [np.nan], "yoy_high": [np.nan]}
    )
    shifts = pd.DataFrame(
        columns=["market", "measure", "genre", "shift_pts", "shift_low", "shift_high"]
    )
    page = summary.first_screen(
        "T",
        p,
        history,
        totals,
        yoy,
        shifts,
        pd.Series(dtype=bool),
        {},
        [],
        0.9,
        pd.Timestamp(weeks[-1]) + pd.Timedelta(weeks=1),
        pd.Timestamp("2020-08-01"),
    )
    assert "nan" not in page.lower()
    assert "fewer than 52 weeks observed" in page
    assert "200 M" in page  # the forecast itself is still given


ONE_MOMENTUM = pd.DataFrame(  # the momentum table of one market
    {
        "market": ["aa"],
        "growth_median": [0.1],
        "growth_low": [0.0],
        "growth_high": [0.2],
        "p_fastest": [0.5],
    }
)


def three_markets_yoy() -> pd.DataFrame:
    """Year-on-year headlines of three markets; the model's figure for bb (+131%) does not
    match the charts' own (+119%), so it is withheld."""
    return pd.DataFrame(
        {
            "market": ["aa", "bb", "cc"],
            "weeks": [13, 13, 13],
            "yoy_median": [0.10, np.nan, -0.05],
            "yoy_low": [0.02, np.nan, -0.1],
            "yoy_high": [0.2, np.nan, 0.01],
            "observed_yoy": [0.11, 1.19, -0.04],
            "model_yoy_median": [0.10, 1.31, -0.05],
            "holds": [True, False, True],
        }
    )


def test_a_withheld_growth_headline_shows_the_charts_figure_without_a_model_interval():
    """A market whose model headline the charts contradict (``holds`` False) is ranked and shown
    by the charts' own ratio, said to be that, with no interval; the others keep the model's."""
    from musicmarkets.report import growth_headlines, growth_order

    yoy = three_markets_yoy().assign(reason=["", "the model's figure does not match", ""])
    order = growth_order(yoy)
    assert list(order["market"]) == ["bb", "aa", "cc"]
    assert list(order["from_model"]) == [False, True, True]
    table = ONE_MOMENTUM
    text = growth_headlines(table, [], 0.9, yoy, {"bb": "Bland"})
    assert (
        "Fastest growth: Bland**, +119%" in text
        and "counted from the charts, so without a range" in text
    )
    assert "+131%" in text  # the model's figure, named as not matching
    assert "No year-on-year figure" not in text


def test_a_market_in_its_launch_year_is_named_but_not_ranked():
    """A market whose weeks a year earlier were its first months of charts grows by its
    launch: the fastest-growth card, the summary and the findings rank the others, give the
    card its model interval, and say why the launch market is left out of the ranking."""
    from musicmarkets.report import growth_headlines, launch_note, ranked_growth

    yoy = three_markets_yoy().assign(launch_year=[False, True, False], reason="")
    names = {"aa": "Aland", "bb": "Bland"}
    assert list(ranked_growth(yoy)["market"]) == ["aa", "cc"]
    note = launch_note(yoy, names)
    assert note == (
        "Bland (+119%) is not ranked: the weeks a year earlier were its first months of charts,"
        " so that is mostly launch growth"
    )
    table = ONE_MOMENTUM
    text = growth_headlines(table, [], 0.9, yoy, names)
    assert "Fastest growth: Aland**, +10%" in text and "90% interval +2% to +20%" in text
    assert "Slowest: CC**" in text and "Bland (+119%) is not ranked" in text
    assert text.count("+119%") == 1  # said once, not as a headline
    ahead = {"median": 2e8, "low": 1.5e8, "high": 2.5e8, "actual": np.nan, "change": np.nan}
    year = {
        "streams": 1e9,
        "end": END,
        "markets": ["aa", "bb", "cc"],
        "compared": ["aa", "cc"],
        "change": 0.05,
        "by_market": {"aa": 2.5e9, "cc": 4.0e8},
    }
    words = summary.sentences(year, yoy, ahead, names, 0.9, END + pd.Timedelta(weeks=1))
    assert (
        "Aland (2.50 bn streams in the last 52 weeks) grew fastest (+10%, 90% interval +2% to"
        " +20%) and CC (400 M) least" in words
    )
    assert "; Bland (+119%) is not ranked" in words
    first = summary.cards(year, yoy, ahead, None, names, 0.9, END + pd.Timedelta(weeks=1))[1]
    assert first.value == "Aland +10%" and "90% interval +2% to +20%" in first.detail
    assert "2.50 bn streams in the last 52 weeks" in first.detail
    assert first.detail.endswith(". Bland (+119%) not ranked: launch growth")


def test_a_lead_the_printed_figures_cannot_show_names_the_markets_level_with_it():
    from musicmarkets.report import also_at, ranked_growth

    yoy = three_markets_yoy().assign(
        yoy_median=[0.061, 0.058, 0.02],
        yoy_low=[0.059, 0.05, 0.0],
        yoy_high=[0.07, 0.07, 0.04],
        holds=True,
        launch_year=False,
        reason="",
    )
    has = ranked_growth(yoy)
    assert also_at(has, has.iloc[0], {"bb": "Bland"}) == "; Bland also +6%"
    assert also_at(has, has.iloc[-1], {}) == ""
    # a leader whose interval holds the next markets' figures does not clearly lead
    wide = ranked_growth(yoy.assign(yoy_low=[0.015, 0.05, 0.0]))
    assert also_at(wide, wide.iloc[0], {"bb": "Bland"}) == (
        "; Bland (+6%) and CC (+2%) inside that interval too, so no market clearly leads"
    )


def test_a_region_names_the_markets_it_adds_up():
    from musicmarkets.report import with_region_members

    totals = pd.DataFrame(
        {
            "level": ["all", "region", "market"],
            "key": ["all", "se", "es"],
            "name": ["All markets", "Southern Europe", "Spain"],
        }
    )
    region_of = {"es": "se", "it": "se", "fr": "we"}
    out = with_region_members(totals, region_of, {"es": "Spain", "it": "Italy"}, ["it", "fr", "es"])
    assert list(out["name"]) == ["All markets", "Southern Europe (Italy, Spain)", "Spain"]


def test_partner_header_gives_the_markets_size_period_and_a_stale_notice():
    p = panel()
    history = p.rename(columns={"market": "key"})
    totals = pd.DataFrame(
        {
            "key": ["aa", "cc"],
            "horizon_weeks": [52, 52],
            "streams_median": [9.0e7, 8.0e7],
            "streams_low": [8.0e7, 7.0e7],
            "streams_high": [1.0e8, 9.0e7],
        }
    )
    first = END + pd.Timedelta(weeks=1)
    head = html.unescape(
        summary.market_header(
            "aa", "Aland", p, history, totals, 0.9, first, pd.Timestamp("2026-12-01")
        )
    )
    aa = p[p["market"] == "aa"].sort_values("week_start")
    last, before = aa["streams"].iloc[-52:].sum(), aa["streams"].iloc[-104:-52].sum()
    assert (
        f"Aland's Top 200 chart streams in the last 52 weeks: {summary.human_number(last)}" in head
    )
    assert summary.signed_percent(last / before - 1) in head
    assert summary.signed_percent(9.0e7 / last - 1) in head and "Jul 2020\u2013Jul 2021" in head
    assert "describes that period" in head and "not total streaming" in head
    # a market with under two years of weeks: no change against the year before
    cc = summary.market_header("cc", "Cc", p, history, totals, 0.9, first, END)
    assert "no change to compare" in cc and "describes that period" not in cc


def test_forecast_table_sets_the_next_year_against_the_last_year_observed():
    """Each row's 'Last 52 weeks (actual)' is the sum of its latest 52 observed weeks, and the
    change is the forecast's median and bounds over that sum; a key with fewer weeks says so."""
    p = panel()
    history = p.rename(columns={"market": "key"})
    totals = pd.DataFrame(
        {
            "horizon_weeks": [13, 52, 13, 52],
            "level": "market",
            "key": ["aa", "aa", "cc", "cc"],
            "name": ["Aland", "Aland", "Cland", "Cland"],
            "streams_median": [2.0e7, 9.0e7, 2.0e7, 9.0e7],
            "streams_low": [1.8e7, 8.0e7, 1.8e7, 8.0e7],
            "streams_high": [2.2e7, 1.0e8, 2.2e7, 1.0e8],
            "yoy_median": np.nan,
            "yoy_low": np.nan,
            "yoy_high": np.nan,
        }
    )
    t = forecast_table(totals, 0.9, history).set_index("Market or region")
    actual = p[p["market"] == "aa"].sort_values("week_start").tail(52)["streams"].sum()
    cell = t.loc["Aland", "Next 52 weeks vs the last 52 (actual)"]
    assert cell.endswith(f" on {actual / 1e6:.3g} M")
    lo, mid, hi = (v / actual - 1 for v in (8.0e7, 9.0e7, 1.0e8))
    assert cell.startswith(f"{signed_percent(mid)} ({signed_percent(lo)} to {signed_percent(hi)})")
    # the quarter's change is set against the same 13 weeks a year earlier, as observed
    with_yoy = totals.assign(yoy_median=0.1, yoy_low=0.0, yoy_high=0.2)
    t3 = forecast_table(with_yoy, 0.9, history).set_index("Market or region")
    aa = p[p["market"] == "aa"].sort_values("week_start")
    first = aa["week_start"].max() + pd.Timedelta(days=7) - pd.Timedelta(days=364)
    base = aa[(aa["week_start"] >= first) & (aa["week_start"] < first + pd.Timedelta(weeks=13))]
    assert len(base) == 13
    quarter = t3.loc["Aland", "vs same weeks a year earlier"]
    assert quarter == f"+10% (0% to +20%) on {base['streams'].sum() / 1e6:.3g} M", quarter
    # 60 weeks of cc: a whole year observed; dropping one week inside it breaks the year
    gap = history.drop(index=history[history["key"] == "cc"].index[-10])
    t2 = forecast_table(totals, 0.9, gap).set_index("Market or region")
    assert "fewer than 52 weeks" in t2.loc["Cland", "Next 52 weeks vs the last 52 (actual)"]
    assert "Next 52 weeks vs the last 52 (actual)" not in forecast_table(totals, 0.9).columns
    assert list(forecast_table(totals, 0.9, history, horizons=(52,)).columns) == [
        "Market or region",
        "Next 52 weeks",
        "Next 52 weeks vs the last 52 (actual)",
    ]
    title = forecast_chart_title("Aland", totals, history, "aa")
    assert title.startswith("Aland: 90.0 M (80.0 to 100 M) streams expected in the next 52 weeks")
    assert title.endswith("on the last 52") and signed_percent(mid) in title
