import nbformat
import numpy as np
import pandas as pd
import pytest

from musicmarkets import backtest as bt
from musicmarkets import report

METRICS = {
    "r_hat_max": 1.002,
    "ess_bulk_min": 900,
    "ess_tail_min": 1200,
    "divergences": 0,
    "bfmi_min": 0.5,
}
GATES = {"r_hat_max": 1.01, "ess_min": 400, "divergences_max": 0, "bfmi_min": 0.3}  # fit.gates
FRESH = pd.DataFrame(
    {"market": ["de", "gb"], "last_week": pd.to_datetime(["2020-07-24", "2020-07-17"])}
)


@pytest.mark.parametrize(
    "value, text",
    [
        (1_234_567, "1.23 M"),
        (3.4e9, "3.40 bn"),
        (12_300, "12.3 k"),
        (42, "42"),
        (1.5, "1.5"),
        (7.917e8, "792 M"),
        (999.6e6, "1.00 bn"),
        (182_765, "183 k"),
        (37_600, "37.6 k"),
    ],
)
def test_human_numbers(value, text):
    assert report.human_number(value) == text


def test_signed_percent_uses_a_real_minus():
    assert report.signed_percent(0.213) == "+21%"
    assert report.signed_percent(-0.05, 1) == "\u22125.0%"


def test_trust_panel_passes_and_drafts():
    ok = report.trust_panel(METRICS, [], FRESH, {"git commit": "abc"}, None, GATES)
    assert "banner ok" in ok and "DRAFT" not in ok and "24–30 Jul 2020" in ok
    assert ok.count("verdict pass") == 4 and "verdict fail" not in ok
    bad = report.trust_panel(
        METRICS | {"divergences": 3}, ["3 divergent transitions"], FRESH, {}, None, GATES
    )
    assert "banner draft" in bad and "DRAFT. 1 check failed: the main model" in bad
    assert bad.count("verdict fail") == 1 and "3 divergent transitions" not in bad
    # the technical report adds the exact figures of each failed gate
    exact = report.trust_panel(
        METRICS | {"divergences": 3},
        ["3 divergent transitions"],
        FRESH,
        {},
        None,
        GATES,
        detail=True,
    )
    assert "<code>3 divergent transitions</code>" in exact
    # on a market's page, another market's miss says it is another market's
    miss = ["recent fit: es genre:Other: observed 0.34213 outside 0.31681 to 0.33511"]
    mine = report.trust_panel(METRICS, miss, FRESH, {}, None, GATES, {"es": "Spain"}, False, "es")
    theirs = report.trust_panel(METRICS, miss, FRESH, {}, None, GATES, {"es": "Spain"}, False, "de")
    assert "another market" not in mine and "(another market; the models are fitted" in theirs


def test_all_markets_momentum_carries_their_size():
    table = pd.DataFrame(
        {
            "market": ["it"],
            "p_faster_than_all": [0.5],
            "all_growth_median": [0.05],
            "all_growth_low": [-0.06],
            "all_growth_high": [0.18],
        }
    )
    shifts = pd.DataFrame(columns=["market", "measure", "shift_pts", "observed_recent"])
    text = report.insight_headlines(table, pd.DataFrame(), shifts, {}, 0.9, 7.97e10)
    assert "**All markets together**: momentum +5% per person per year (" in text
    assert "79.7 bn streams in the last 52 weeks" in text
    assert "streams in the last 52 weeks" not in report.insight_headlines(
        table, pd.DataFrame(), shifts, {}, 0.9
    )


def test_the_first_screen_names_each_failed_check_without_its_figures():
    failed = [
        "recent fit: es genre:Other: observed 0.34213 outside 0.31681 to 0.33511",
        "backtest: 90% intervals held 84% of held-out weeks 1-13 ahead (needs 85% to 95%)",
        "R-hat 1.02 > 1.01",
    ]
    full = report.draft_words(failed, {"es": "Spain"})
    short = report.draft_words(failed, {"es": "Spain"}, short=True)
    assert "34.2%" in full and "84%" in full
    assert short == (
        "DRAFT. 3 checks failed: (1) the main model's sampling did not settle; (2) Spain's latest "
        "weeks fall outside the model's range for the share of all other genres ('Other'); (3)"
        " forecasts made from earlier data caught too few of the weeks that followed in their 90%"
        " ranges."
    )
    # the first screen's one line: each by a few words
    brief = report.draft_words(failed, {"es": "Spain"}, brief=True)
    assert brief == (
        "DRAFT: 3 checks failed (the main model's sampling; Spain's latest 'Other' genre share;"
        " and 1 more)."
    )
    two = report.draft_words(failed[:2], {"es": "Spain"}, brief=True)
    assert (
        two
        == "DRAFT: 2 checks failed (Spain's latest 'Other' genre share; past forecasts' 90% ranges)."
    )


def test_failed_gates_in_plain_words_keep_every_gate():
    """Each recorded gate string becomes a phrase a reader understands; one of a form not
    known is kept as it is, never dropped."""
    failed = [
        "R-hat 1.020 > 1.01",
        "2 divergent transitions",
        "br: 90% predictive intervals held 70% of its weeks (needs 80% to 97%)",
        "recent fit: es genre:Pop: observed 0.13054 outside 0.13107 to 0.14529",
        "recent fit: es genre:Urbano latino: observed 0.45 outside 0.46 to 0.48",
        "recent fit: it local_share: observed 0.78 outside 0.81 to 0.88",
        "genre mix model: 2 divergent transitions",
        "backtest: refit at 2019-02-08: 3 divergent transitions",
        "backtest: refit at 2019-02-08: R-hat 1.020 > 1.01",
        "top10 share model: R-hat 1.020 > 1.01",
        *("backtest: " + g for g in bt.coverage_gate(0.84, 13, 0.85, 0.95)),
        "a gate nobody has named yet",
    ]
    words = report.plain_failures(failed, {"es": "Spain", "br": "Brazil"})
    assert words[0] == "the main model's sampling did not settle"
    assert (
        "Spain's latest weeks fall outside the model's range for the Pop share and Urbano"
        " latino share: Pop share 13.1% (model 13.1% to 14.5%), Urbano latino share 45.0% (model"
        " 46.0% to 48.0%)" in words
    )
    assert (
        "IT's latest weeks fall outside the model's range for the local-repertoire share: 78.0%"
        " (model 81.0% to 88.0%)" in words
    )
    # on a market's own page, a miss in another market says it is another market's
    own = report.draft_words(failed, {"es": "Spain"}, short=True, page_market="es")
    other = report.draft_words(failed, {"es": "Spain"}, short=True, page_market="br")
    assert "Spain's latest weeks fall outside the model's range for the Pop share" in own
    assert "(another market" not in own.split("(3)")[0]
    assert "Urbano latino share (another market; the models are fitted to all markets" in other
    assert "the forecast test's refit on the weeks up to 8 Feb 2019 did not settle" in words
    assert "Brazil: the 90% ranges held 70% of past weeks" in words
    assert "the genre-mix model's sampling did not settle" in words
    assert "the hit-concentration model's sampling did not settle" in words
    assert any("ranges: 84% of weeks 1-13 ahead (needs 85% to 95%)" in w for w in words)
    assert words[-1] == "a gate nobody has named yet" and len(words) == 9
    line = report.draft_words(failed, {"es": "Spain"})
    assert line.startswith("DRAFT. 9 checks failed: (1) the main model's") and "R-hat" not in line
    assert "(9) a gate nobody has named yet." in line
    assert report.draft_words([]) == ""


def test_headlines_flag_draft_numbers():
    table = pd.DataFrame(
        {
            "market": ["it", "gb"],
            "name": ["Italy", "UK"],
            "growth_median": [0.5, 0.1],
            "growth_low": [0.3, 0.0],
            "growth_high": [0.7, 0.2],
            "p_growing": [1.0, 0.92],
            "p_fastest": [0.97, 0.03],
        }
    )
    yoy = pd.DataFrame(
        {
            "market": ["it", "gb", "in"],
            "weeks": 13,
            "yoy_median": [0.08, -0.05, np.nan],
            "yoy_low": [0.03, -0.09, np.nan],
            "yoy_high": [0.12, 0.0, np.nan],
            "observed_yoy": [0.07, -0.04, np.nan],
            "reason": [
                "",
                "",
                "data start 4 Oct 2019 (the first full chart week the model uses): no same weeks a year earlier to compare",
            ],
        }
    )
    names = {"it": "Italy", "gb": "UK", "in": "India"}
    text = report.growth_headlines(table, [], 0.9, yoy=yoy, names=names)
    assert "Fastest growth: Italy**, +8%" in text and "the charts: +7%" in text
    assert "Slowest: UK" in text and "No year-on-year figure for India (data start" in text
    assert text.count("\n- ") + 1 <= 6  # at most six findings
    assert "**Momentum**" in text and "+50%" in text and "97%" in text and "DRAFT" not in text
    assert "DRAFT" in report.growth_headlines(table, ["R-hat 1.2 > 1.01"], 0.9)
    # the charts' figure outside the trend's interval: the interval that allows for each
    # week's ups and downs is given beside it
    noisy = yoy.assign(observed_yoy=[0.07, -0.11, np.nan], observed_yoy_low=[0.0, -0.13, np.nan])
    noisy = noisy.assign(observed_yoy_high=[0.15, -0.02, np.nan])
    text = report.growth_headlines(table, [], 0.9, yoy=noisy, names=names)
    assert "the charts: −11%, within the −13% to −2% the model expects for the charts" in text
    assert text.count("the model expects for the charts") == 1  # Italy's +7% is inside
    # every growth figure with the market's size beside it, from the streams handed in
    sized = report.growth_headlines(
        table, [], 0.9, yoy=yoy, names=names, streams={"it": 2.6e9, "gb": 7.1e9}
    )
    assert "+8% chart streams per person" in sized
    assert sized.count("2.60 bn streams in the last 52 weeks") == 2  # fastest, and momentum
    assert "7.10 bn streams in the last 52 weeks" in sized  # slowest
    table = table.assign(rank_median=[1, 2], rank_low=[1, 1], rank_high=[2, 2])
    league = report.league_table(table, 0.9, {"it": 2.6e9, "gb": 7.1e9})
    assert league["Streams, last 52 weeks"].tolist() == ["2.60 bn", "7.10 bn"]
    small = report.league_table(table, 0.9, {"it": 6.5e8, "gb": 7.1e9})
    assert small["Streams, last 52 weeks"].tolist() == ["0.650 bn", "7.10 bn"]  # one unit


def _notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        "secret_looking = 'x'", metadata={"tags": ["injected-parameters"]}
    )
    code = nbformat.v4.new_code_cell("print('visible')")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="visible output\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), params, code]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_html_has_no_code_parameters_or_stderr(tmp_path):
    page = report.notebook_to_html(_notebook(tmp_path), "T")
    assert "visible output" in page and "<h1" in page
    assert "print(" not in page and "secret_looking" not in page and "noisy" not in page
    assert 'class="draft-stamp"' not in page
    # the stamp follows the gates the stages recorded, not what the page's text says
    assert 'class="draft-stamp"' in report.notebook_to_html(_notebook(tmp_path), "T", draft=True)


def test_offline_check_rejects_network_assets():
    report.check_offline('<img src="data:image/png;base64,AAA">')
    for bad in ('<script src="https://cdn.example/x.js">', "<link href='//cdn.example/a.css'>"):
        with pytest.raises(ValueError, match="network asset"):
            report.check_offline(bad)


def test_figure_is_embedded_with_alt_text():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2])
    out = report.figure_html(fig, 'growth "chart"')
    assert (
        out.startswith('<figure><img src="data:image/png;base64,')
        and 'alt="growth &quot;chart&quot;"' in out
    )
    assert not plt.get_fignums()  # closed, so it is not shown twice


def test_genre_families_note_names_the_labels_of_each_family_shown():
    families = {
        "Latin": ["Urbano latino", "Latino", "Pop Latino", "Latin", "Latin Rap"],
        "Holiday": ["Holiday", "Christmas"],
    }
    note = report.genre_families_note(families, ["Pop", "Latin"])
    assert note == (
        "Where the charts give one kind of music several labels, they are counted as one genre:"
        " Latin counts Urbano latino, Latino, Pop Latino and 1 more."
    )
    assert "Holiday" not in note  # not among the genres shown
    assert report.genre_families_note(None, ["Pop"]) == ""
    assert report.genre_families_note(families, ["Pop"]) == ""


def test_methods_text_states_the_real_span():
    cov = pd.DataFrame(
        {
            "market": ["de", "in"],
            "first_week": pd.to_datetime(["2016-12-23", "2019-02-22"]),
            "last_week": pd.to_datetime(["2020-07-24", "2020-07-24"]),
        }
    )
    text = report.methods_text(cov)
    assert "23 Dec 2016 to 30 Jul 2020" in text and "IN starts Feb 2019" in text
    assert "not a market's total streaming" in text


def test_quality_text_counts_quarantine_by_reason():
    ingest = {
        "rows_read": 1200,
        "rows": 1197,
        "files": 6,
        "files_legacy": 5,
        "files_current": 1,
        "rows_per_market_week_min": 199,
        "rows_per_market_week_max": 200,
    }
    quarantine = pd.DataFrame(
        {
            "reason": [
                "streams 'x' is not a non-negative integer",
                "streams 'y' is not a non-negative integer",
                "unknown market code",
            ]
        }
    )
    gaps = pd.DataFrame({"market": ["de"], "week_start": pd.to_datetime(["2017-05-26"])})
    text = report.quality_text(ingest, quarantine, gaps)
    assert "1,200 chart rows" in text and "1,197 accepted" in text
    assert "3 rows set aside" in text and "2 × streams '…' is not a non-negative integer" in text
    assert "1 × unknown market code" in text and "**1 missing week** inside" in text
    assert "No row was set aside" in report.quality_text(ingest, quarantine.iloc[:0], gaps)
    assert "Rows per market-week**: 199 to 200" in text and "Duplicates**: none" in text
    dups = pd.DataFrame(
        {"reason": ["rank 3 appears twice in the file", "week already delivered by x.csv"]}
    )
    assert "1 duplicate-rank rows and 1 rows of weeks delivered twice" in report.quality_text(
        ingest, dups, gaps
    )


def test_enrichment_text_says_what_was_skipped_and_why():
    text = report.enrichment_text(
        {
            "musicbrainz": {"status": "used", "reason": ""},
            "lastfm": {"status": "skipped", "reason": "no credentials (LASTFM_API_KEY not set)"},
        }
    )
    assert (
        "MusicBrainz: used;" in text
        and "Last.fm: skipped (no credentials (LASTFM_API_KEY not set))" in text
    )


def test_gates_failed_collects_every_model_and_the_backtest():
    fit = {"gates_failed": ["R-hat 1.020 > 1.01"]}
    shares = {
        "local_share": {"gates_failed": []},
        "genre_mix": {"gates_failed": ["2 divergent transitions"]},
        "gates_passed": False,
    }
    backtest = {
        "model_coverage_90": 0.7,
        "gate_weeks": 13,
        "gates_failed": [
            "refit at 2019-10-25: bulk ESS 287 < 400",
            *bt.coverage_gate(0.7, 13, 0.85, 0.95),
        ],
    }
    failed = report.gates_failed(fit, shares, backtest)
    assert failed[0] == "R-hat 1.020 > 1.01"
    assert "genre mix model: 2 divergent transitions" in failed
    assert "backtest: 90% intervals held 70% of held-out weeks 1-13 ahead (needs 85% to 95%)" in (
        failed
    )
    assert "backtest: refit at 2019-10-25: bulk ESS 287 < 400" in failed
    # DRAFT comes from what the stages recorded, not from figures decided again here
    passed = {"model_coverage_90": 0.7, "gates_failed": []}
    assert report.gates_failed({"gates_failed": []}, {}, passed) == []


def test_backtest_coverage_gate_reads_its_range():
    assert bt.coverage_gate(0.9, 13, 0.85, 0.95) == []
    assert bt.coverage_gate(0.85, 13, 0.85, 0.95) == []
    assert bt.coverage_gate(0.84, 13, 0.85, 0.95) == [
        "90% intervals held 84% of held-out weeks 1-13 ahead (needs 85% to 95%)"
    ]
    assert bt.coverage_gate(0.84, 4, 0.8, 0.95) == []
    assert bt.coverage_gate(0.99, 26, 0.8, 0.97)[0].endswith("1-26 ahead (needs 80% to 97%)")


def test_trust_panel_states_the_thresholds_the_gates_used():
    backtest = {
        "model_coverage_90": 0.9,
        "model_coverage_90_n": 100,
        "coverage_90_range": [0.8, 0.97],
        "coverage_90_in_target": True,
        "gate_weeks": 13,
        "fits": [{"gates_failed": []}, {"gates_failed": ["2 divergent transitions"]}],
    }
    fit = {"ppc_coverage_90_by_market": {"de": 0.9, "us": 0.85}}
    gates = GATES | {
        "coverage_90_min": 0.75,
        "coverage_90_max": 0.99,
        "r_hat_max": 1.05,
        "ess_min": 100,
    }
    checks = report.trust_rows({}, backtest, {"verdict": "v"}, fit, None, gates)
    rows = {r.check: r.result for r in checks}
    assert [r.ok for r in checks] == [True, True, False, True, None]
    assert all(r.meaning for r in checks)
    assert "(each needs 75% to 99%)" in next(k for k in rows if k.startswith("Weeks inside"))
    assert any(k.endswith("(needs 80% to 97%)") for k in rows if k.startswith("Backtest: held"))
    assert rows["Backtest refits passing every convergence gate"] == "1 of 2"
    # a market outside the range the gates were given fails its row, by those same bounds
    low = {"ppc_coverage_90_by_market": {"de": 0.9, "us": 0.74}}
    assert report.trust_rows({}, backtest, {"verdict": "v"}, low, None, gates)[0].ok is False
    narrow = gates | {"coverage_90_min": 0.8}
    assert report.trust_rows({}, backtest, {"verdict": "v"}, fit, None, narrow)[0].ok is True
    with pytest.raises(KeyError):  # no typed-in default: the thresholds come from the stage
        report.trust_rows({}, backtest, {"verdict": "v"}, fit, None, {})
    metrics = {"r_hat_max": 1.0, "ess_bulk_min": 500, "ess_tail_min": 500, "divergences": 0}
    freshness = pd.DataFrame({"market": ["de"], "last_week": [pd.Timestamp("2020-07-24")]})
    page = report.trust_panel(metrics | {"bfmi_min": 0.7}, [], freshness, {}, None, gates)
    assert "needs ≤ 1.05" in page and "needs ≥ 100" in page


def test_people_tables_format_streams_points_and_links():
    totals = pd.DataFrame(
        {
            "horizon_weeks": [13, 52],
            "level": "all",
            "key": "all",
            "name": "All markets",
            "streams_median": [2.08e10, 8.6e10],
            "streams_low": [1.9e10, 8.1e10],
            "streams_high": [2.2e10, 9.1e10],
            "yoy_median": [0.06, 0.08],
            "yoy_low": [-0.01, 0.02],
            "yoy_high": [0.13, 0.15],
        }
    )
    t = report.forecast_table(totals, 0.9)
    assert t.loc[0, "Next 13 weeks"] == "20.8 bn (19.0 to 22.0 bn)"
    # one unit per table: a market's 877 M reads in the table's bn, and alone in its own M
    small = totals.assign(key="de", name="Germany", streams_median=[8.77e8, 3.1e9])
    small = small.assign(streams_low=[7.58e8, 2.9e9], streams_high=[1.01e9, 3.3e9])
    assert (
        report.forecast_table(small, 0.9).loc[0, "Next 13 weeks"] == "0.877 bn (0.758 to 1.01 bn)"
    )
    assert report.streams_interval(8.77e8, 7.58e8, 1.01e9) == "877 M (758 to 1,010 M)"
    assert t.loc[0, "vs same weeks a year earlier"] == "+6% (\u22121% to +13%)"
    assert report.signed_points(-3.44) == "\u22123.4 pts"
    assert [report.share_percent(v) for v in (0.213, 0.0042, 0.0004, 0.0)] == [
        "21.3%",
        "0.4%",
        "under 0.1%",
        "0%",
    ]
    assert report.signed_points(0.03) == "about 0 pts" and report.signed_points(-0.001) == (
        "about 0 pts"
    )
    links = report.page_links(["de", "zz"], {"de": "Germany"})
    assert "[Germany](markets/de.html)" in links and "[ZZ](markets/zz.html)" in links


def test_no_local_share_headline_where_global_chart_tracks_dominate():
    """A market with most of its streams on Global-chart tracks (the US) gets no local-share
    figure: the measure cannot separate domestic from international repertoire there."""
    shifts = pd.DataFrame(
        {
            "market": ["br", "us"],
            "measure": "local_share",
            "observed_recent": [0.80, 0.35],
            "share_end": [0.80, 0.35],
            "end_low": [0.78, 0.33],
            "end_high": [0.82, 0.37],
            "shift_pts": [2.0, -9.0],
            "shift_low": [1.0, -11.0],
            "shift_high": [3.0, -7.0],
        }
    )
    assert report.local_share_readable(shifts).to_dict() == {"br": True, "us": False}
    row = pd.Series(
        {
            "growth_median": 0.01,
            "growth_low": -0.02,
            "growth_high": 0.04,
            "p_growing": 0.7,
            "p_faster_than_all": 0.4,
            "flag": "",
            "rank_median": 2.0,
            "rank_low": 1.0,
            "rank_high": 2.0,
        }
    )
    ranks = pd.Series([0.2, 0.8], index=[1, 2])
    totals = pd.DataFrame(columns=["key", "horizon_weeks"])
    us = report.market_brief(row, ranks, totals, shifts, "us", "United States", 0.9)
    br = report.market_brief(row, ranks, totals, shifts, "br", "Brazil", 0.9)
    assert "cannot separate domestic from international" in us and "of streams now" not in us
    assert "80.0% (78.0% to 82.0%) of streams now" in br  # the share with its interval
    sized = report.market_brief(row, ranks, totals, shifts, "br", "Brazil", 0.9, size=2.5e9)
    assert "2.50 bn streams in the last 52 weeks" in sized and "streams in the last" not in br
    # the rank in the league table's words: median rank and its interval
    assert "2 of 2 (90% interval 1\u20132)" in br
    assert "**Median rank** by momentum" in br
    # the year-on-year line: its calendar months, and the charts' own figure against the range
    # the model expects for it (noise included), not against the smoothed level's interval
    yoy = pd.Series(
        {
            "weeks": 13,
            "recent_to": pd.Timestamp("2020-07-24"),
            "yoy_median": -0.08,
            "yoy_low": -0.10,
            "yoy_high": -0.06,
            "observed_yoy": -0.04,
            "observed_yoy_low": -0.12,
            "observed_yoy_high": -0.03,
            "holds": True,
        }
    )
    us = report.market_brief(row, ranks, totals, shifts, "us", "United States", 0.9, yoy=yoy)
    assert "latest 13 weeks (May\u2013Jul 2020) against the same weeks a year earlier" in us
    # the next quarter in the unit of the page's forecast table (its largest figure's)
    totals = pd.DataFrame(
        {
            "key": "in",
            "horizon_weeks": [13, 52],
            "streams_median": [8.75e8, 3.85e9],
            "streams_low": [7.65e8, 3.2e9],
            "streams_high": [9.95e8, 4.68e9],
        }
    )
    india = report.market_brief(row, ranks, totals, shifts, "in", "India", 0.9)
    assert "**Next 13 weeks**: 0.875 bn (0.765 to 0.995 bn) Top 200 streams" in india
    table = report.forecast_table(
        totals.assign(level="market", name="India", yoy_median=0.75, yoy_low=0.5, yoy_high=1.0),
        0.9,
    )
    assert table.loc[0, "Next 13 weeks"] == "0.875 bn (0.765 to 0.995 bn)"
    assert "the charts themselves: \u22124%, within the \u221212% to \u22123% the model" in us


def test_recent_fit_and_market_coverage_gates_reach_the_report():
    fit = {
        "gates_failed": ["br: 90% predictive intervals held 70% of its weeks (needs 80% to 97%)"]
    }
    recent = {"gates_failed": ["it local_share: observed 0.78 outside 0.81 to 0.88"]}
    failed = report.gates_failed(fit, {}, None, recent=recent)
    assert failed == [fit["gates_failed"][0], "recent fit: " + recent["gates_failed"][0]]


def test_trust_panel_says_when_a_now_sits_within_monte_carlo_error_of_its_bound():
    backtest = {
        "model_coverage_90": 0.9,
        "model_coverage_90_n": 100,
        "coverage_90_range": [0.85, 0.95],
        "coverage_90_in_target": True,
        "gate_weeks": 13,
    }
    loo = {"verdict": "about equally well"}
    recent = {
        "checked": 60,
        "outside": 0,
        "at_the_edge": [
            "us streams_per_capita: ...",
            "es genre:Urbano latino: observed 0.4593 within Monte Carlo error",
        ],
    }
    withheld = recent | {"headlines_checked": 8, "headlines_withheld": ["in growth over a year"]}
    rows = report.trust_rows({}, backtest, loo, None, withheld, None, {"in": "India"})
    assert next(r for r in rows if r.check.startswith("Growth headlines")).result == (
        "7 of 8; withheld, the charts' figure shown instead: India"
    )
    rows = {r.check: r.result for r in report.trust_rows({}, backtest, loo, None, recent)}
    line = rows["Latest weeks inside the interval of every 'now' the report states"]
    assert line == (
        "60 of 60; 2 pass only narrowly, so close to a bound that another run could decide"
        " otherwise (US streams per person; ES Urbano latino share)"
    )
    rows = report.trust_rows({}, backtest, loo, None, recent | {"at_the_edge": [], "outside": 2})
    now = next(r for r in rows if r.check.startswith("Latest weeks"))
    assert now.result == "58 of 60" and now.ok is False
    # the row names what missed, with its figures
    miss = {
        "outside": 1,
        "at_the_edge": [],
        "gates_failed": ["es genre:Other: observed 0.34213 outside 0.31681 to 0.33511"],
    }
    rows = report.trust_rows({}, backtest, loo, None, recent | miss, None, {"es": "Spain"})
    now = next(r for r in rows if r.check.startswith("Latest weeks"))
    assert now.result == (
        "59 of 60; missed: Spain's latest weeks fall outside the model's range for the share of"
        " all other genres ('Other'): 34.2% (model 31.7% to 33.5%)"
    )


def test_a_share_now_the_charts_contradict_says_so_in_its_cell():
    shifts = pd.DataFrame(
        {
            "market": ["es", "de"],
            "measure": "genre_mix",
            "genre": ["Other", "Pop"],
            "share_end": [0.326, 0.21],
            "end_low": [0.3168, 0.20],
            "end_high": [0.3351, 0.22],
            "observed_recent": [0.34213, 0.19],
            "now_outside": [True, False],  # de's miss is within Monte Carlo error: no miss
            "shift_pts": [3.0, -1.0],
            "shift_low": [1.0, -2.0],
            "shift_high": [5.0, -0.2],
            "p_up": [0.99, 0.02],
        }
    )
    table = report.share_table(shifts, "genre_mix", {"es": "Spain"}, 0.9).set_index("Market")
    assert table.loc["Spain", "Share now"] == (
        "32.6% (31.7% to 33.5%); the charts: 34.2%, outside this range"
    )
    assert table.loc["DE", "Share now"] == "21.0% (20.0% to 22.0%)"


def test_provenance_says_changes_only_when_tracked_source_differs(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "dvc.lock").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    clean = report.git_commit(tmp_path)
    assert len(clean) == 12 and "+" not in clean
    (tmp_path / "dvc.lock").write_text("stages: {fit: {}}\n")  # a run rewrites the lock file
    assert report.git_commit(tmp_path) == clean
    model = tmp_path / "model.nc"
    model.write_bytes(b"draws")
    first = report.provenance(tmp_path, model)
    assert report.provenance(tmp_path, model)["run"] == first["run"]  # every page of one run
    (tmp_path / "code.py").write_text("x = 2\n")
    assert report.git_commit(tmp_path) == clean + "+changes"
    assert report.provenance(tmp_path, model)["run"] != first["run"]


def test_a_pages_own_heading_names_its_browser_tab(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Germany: chart consumption")]
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    page = report.notebook_to_html(path, "Music markets: partner report")
    assert "<title>Germany: chart consumption · Music markets: partner report</title>" in page


def test_rank_plots_rank_each_element_of_a_vector_on_its_own():
    import xarray as xr

    from musicmarkets import check_plots

    rng = np.random.default_rng(0)
    # markets far apart: ranked together, chains would look alike only by accident of scale
    phi = rng.normal(size=(4, 100, 3)) + np.array([0.0, 10.0, 20.0])
    post = xr.Dataset(
        {"phi": (("chain", "draw", "market"), phi)}, coords={"market": ["br", "de", "es"]}
    )
    fig = check_plots.rank_plots(post, ["phi", "absent"])
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == ["phi[br]", "phi[de]", "phi[es]"]
    # each panel ranks its own 400 draws: ranks run 0..399
    assert max(p.get_path().vertices[:, 0].max() for p in axes[1].patches) <= 400


def test_technical_tables_read_without_raw_column_names():
    import arviz as az

    draws = np.random.default_rng(0).normal(size=(2, 100))
    summary = report.readable_summary(az.summary(az.from_dict({"posterior": {"a": draws}})), 0.9)
    assert list(summary.columns[:4]) == ["Mean", "SD", "90% interval low", "90% interval high"]
    assert not [c for c in summary.columns if "_" in c]
    table = report.readable_table(
        pd.DataFrame({"model": ["x"], "gates_passed": [True], "ppc_coverage_90": [0.912]})
    )
    assert table.iloc[0].tolist() == ["x", "yes", "91%"]
    assert list(table.columns) == ["Model", "Checks passed", "Inside 90% interval"]
    # each parameter in words, its symbol kept beside them
    draws = np.random.default_rng(1).normal(size=(2, 100, 2))
    posterior = {"trend_market": draws, "beta": draws, "trend_sigma": draws[..., 0]}
    dims = {"trend_market": ["market"], "beta": ["covariate"]}
    coords = {"market": ["us", "zz"], "covariate": ["log_gdp_per_capita", "internet_share"]}
    tree = az.from_dict({"posterior": posterior}, dims=dims, coords=coords)
    named = report.readable_summary(az.summary(tree), 0.9, {"us": "United States"}, ["zz", "us"])
    labels = list(named.index)
    assert labels == [  # markets by their names, in the pages' order within each parameter
        "Momentum, ZZ · trend_market[zz]",
        "Momentum, United States · trend_market[us]",
        "Level per standard deviation of GDP per person (log) · beta[log_gdp_per_capita]",
        "Level per standard deviation of internet use (share) · beta[internet_share]",
        "Spread of momentum between markets · trend_sigma",
    ]


@pytest.mark.parametrize(
    "value, text", [(0.213, "+21%"), (-0.004, "\u22120.4%"), (0.00001, "0%"), (-0.08, "\u22128%")]
)
def test_signed_percent_never_says_plus_zero(value, text):
    assert report.signed_percent(value) == text


def test_chart_titles_state_the_takeaway_and_its_uncertainty():
    from musicmarkets.report import growth_title, rank_title, shift_title

    growth = pd.DataFrame(
        {
            "name": ["Brazil", "Italy", "Spain"],
            "growth_median": [0.21, 0.05, 0.15],
            "growth_low": [0.12, -0.02, 0.08],
            "growth_high": [0.30, 0.11, 0.22],
        }
    )
    assert (
        growth_title(growth)
        == "Momentum: Brazil's trend rises fastest, +21% a year; 1 other market could be as fast"
    )
    clear = growth.assign(growth_low=[0.25, -0.02, 0.08])
    assert growth_title(clear).endswith("clearly ahead of every other market")
    ranks = pd.DataFrame({1: [0.55, 0.45], 2: [0.45, 0.55]}, index=["br", "es"])
    assert rank_title(ranks, {"br": "Brazil"}) == (
        "No momentum rank is settled: Brazil has the best median rank (1); chance of ranking "
        "first: 55%"
    )
    # the most often first (es, 40%) is not the best by median rank (it, 2; br and es 3)
    split = pd.DataFrame(
        {1: [0.3, 0.4, 0.25], 2: [0.15, 0.0, 0.7], 3: [0.55, 0.6, 0.05]}, index=["br", "es", "it"]
    )
    assert "IT has the best median rank (2); chance of ranking first: 25%" in rank_title(split, {})
    sure = pd.DataFrame({1: [0.02, 0.98], 2: [0.98, 0.02]}, index=["br", "es"])
    assert rank_title(sure, {}) == "ES almost surely ranks first by momentum (chance 98%)"
    # a partner page's title speaks of its own market, in the same statistic
    assert rank_title(split, {"br": "Brazil"}, focus="br") == (
        "Brazil: median momentum rank 3 of 3; chance of ranking first: 30%"
    )
    # a sample never shows certainty: no "0%" chance
    never = pd.DataFrame({1: [1.0, 0.0], 2: [0.0, 1.0]}, index=["br", "es"])
    assert rank_title(never, {}, focus="es").endswith("chance of ranking first: under 1%")
    shifts = pd.DataFrame(
        {
            "label": ["DE", "US"],
            "shift_pts": [-4.3, 1.0],
            "shift_low": [-6.0, 0.2],
            "shift_high": [-2.0, 2.0],
        }
    )
    assert (
        shift_title(shifts, "label", "Genre mix")
        == "Genre mix: the largest move is DE, \u22124.3 pts"
    )
    wide = shifts.assign(shift_high=[0.5, 2.0])
    assert shift_title(wide, "label", "Genre mix").endswith("(its interval includes no change)")
    # a genre mix leads with a named genre, read as people say it
    genres = pd.DataFrame(
        {
            "label": ["Brazil · Other", "Brazil · Pop", "UK · Pop"],
            "genre": ["Other", "Pop", "Pop"],
            "shift_pts": [18.4, -6.1, 2.0],
            "shift_low": [15.0, -8.0, 1.0],
            "shift_high": [21.0, -4.0, 3.0],
        }
    )
    assert shift_title(genres, "label", "Genre mix") == (
        "Genre mix: the largest move is Brazil's Pop share, \u22126.1 pts"
    )
    uk = genres.iloc[[2]]
    assert shift_title(uk, "label", "Genre mix").startswith(
        "Genre mix: the largest move is the UK's"
    )


def test_coverage_table_separates_thousands():
    coverage = pd.DataFrame(
        {
            "market": ["de"],
            "first_week": pd.to_datetime(["2016-12-23"]),
            "last_week": pd.to_datetime(["2020-07-17"]),
            "weeks": [188],
            "missing_weeks": [0],
            "rows": [37600],
        }
    )
    t = report.coverage_table(coverage, {"de": "Germany"})
    assert t.loc[0, "Chart rows"] == "37,600" and t.loc[0, "Last week"] == "17–23 Jul 2020"
    both = pd.concat([coverage, coverage.assign(market="global")], ignore_index=True)
    assert list(report.coverage_table(both, {"de": "Germany"})["Market"]) == [
        "Germany",
        "Global chart",  # the reference chart by name, not its code
    ]


def test_technical_tables_never_print_an_exponent_people_read():
    table = pd.DataFrame({"elpd_loo": [2084.31, -12.345], "p_loo": [0.01234, 151.0]})
    out = report.readable_table(table)
    assert out["ELPD-LOO"].tolist() == ["2,084", "\u221212.3"]
    assert out["P_loo"].tolist() == ["0.0123", "151"]
    assert "e+" not in report.significant(123456.0)
    assert (
        report.significant(4.05e-4) == "0.000405"
        and report.significant(-8.3e-5, 2) == "\u22120.000083"
    )


def test_technical_numbers_keep_their_precision():
    """Three significant figures in every cell: 0.07 beside 0.0687 reads '0.0700', not '0.07'."""
    crps = report.readable_table(pd.DataFrame({"crps": [0.07, 0.0687, 0.116, 1.5, 0.0]}))
    assert crps["CRPS"].tolist() == ["0.0700", "0.0687", "0.116", "1.50", "0"]
    assert report.significant(99.96) == "100" and report.significant(9.996) == "10.0"


def test_technical_tables_name_models_and_methods_for_people():
    table = pd.DataFrame(
        {"method": ["random_walk", "gbm"], "best_baseline": ["ets", "drift"], "crps": [0.1, 0.2]}
    )
    out = report.readable_table(table)
    assert out["Method"].tolist() == [
        "Last value (random walk)",
        "Gradient boosting (machine learning)",
    ]
    assert out["Best baseline"].tolist()[0] == "Exponential smoothing (ETS)"
    cmp = report.readable_table(pd.DataFrame({"model": ["no_covariates", "hierarchical"]}))
    assert cmp["Model"].tolist() == ["Without GDP, internet and population", "Production model"]


def test_the_loo_verdict_names_variants_for_people():
    verdict = "the production model scores highest; the next, no_covariates, is behind by 0.9"
    words = report.named_variants(verdict)
    assert "no_covariates" not in words
    assert "the next, the variant 'without GDP, internet and population', is behind" in words


def test_convergence_table_keeps_each_cell_short():
    """The failed gates' figures are listed once under the trust panel; the table says how
    many (a cell with every gate string scrolled the technical page sideways at 1024 px)."""
    bad = {
        "r_hat_max": 1.18,
        "ess_bulk_min": 9,
        "ess_tail_min": 9,
        "divergences": 3,
        "bfmi_min": 0.33,
        "gates_passed": False,
        "gates_failed": ["R-hat 1.180 > 1.01", "bulk ESS 9 < 400", "3 divergent transitions"],
    }
    good = bad | {"gates_passed": True, "gates_failed": []}
    table = report.convergence_table([("consumption", bad), ("genre mix", good)])
    assert table["Gates"].tolist() == ["FAILED (3, listed above)", "passed"]


def test_backtest_lines_say_worse_only_where_the_interval_excludes_no_difference():
    rows = [
        {
            "horizon": 1,
            "best_baseline": "ets",
            "model_crps": 0.042,
            "baseline_crps": 0.046,
            "diff_low": -0.012,
            "diff_high": 0.004,
            "model_no_worse": True,
            "origins": 8,
        },
        {
            "horizon": 13,
            "best_baseline": "ets",
            "model_crps": 0.078,
            "baseline_crps": 0.074,
            "diff_low": -0.017,
            "diff_high": 0.025,
            "model_no_worse": False,
            "origins": 8,
        },
        {
            "horizon": 52,
            "best_baseline": "gbm",
            "model_crps": 0.117,
            "baseline_crps": 0.081,
            "diff_low": 0.011,
            "diff_high": 0.062,
            "model_no_worse": False,
            "origins": 8,
        },
    ]
    one, thirteen, year = report.backtest_text({"against_best_baseline": rows}).splitlines()
    assert one.startswith("- 1 week ahead: the model did about as well") and "(ets)" not in one
    assert (
        "slightly worse than the best simple method (exponential smoothing), within the "
        "noise of the 8 test dates" in thirteen
    )
    assert "**the model did worse than a simple method (gradient boosting)**" in year


def test_trend_title_states_the_move_the_chart_draws():
    """Two markets simulated with a known yearly growth of streams per person (+30% and -10% a
    year, 3 years of weeks) and one with one year only: the title names the rise and the fall
    the lines draw, and leaves out the market without two years."""
    rng = np.random.default_rng(5)
    frames = []
    for m, g, n in (("aa", 0.30, 156), ("bb", -0.10, 156), ("cc", 0.5, 60)):
        w = pd.date_range("2017-01-06", periods=n, freq="7D")
        years = np.arange(n) / 52.0
        trend = np.exp(np.log1p(g) * years)
        frames.append(
            pd.DataFrame(
                {
                    "market": m,
                    "week_start": w,
                    "fit_median": trend,
                    "fit_low": trend * 0.95,
                    "fit_high": trend * 1.05,
                    "observed": trend * np.exp(rng.normal(0, 0.05, n)),
                }
            )
        )
    bands = pd.concat(frames, ignore_index=True)
    levels = report.trend_levels(bands).set_index("market")
    assert list(levels.index) == ["aa", "bb"]
    # the latest year's mean against the first: two years of growth, averaged over each year
    assert levels.loc["aa", "change"] == pytest.approx(1.3**2 - 1, rel=0.02)
    assert levels.loc["bb", "change"] == pytest.approx(0.9**2 - 1, rel=0.02)
    # the dots say the same: weekly noise of 5% leaves each year's mean within about 1%, so the
    # two ratios agree within 4% (four standard errors)
    ratio = (1 + levels["observed_change"]) / (1 + levels["change"])
    assert abs(ratio - 1).max() < 0.04
    names = {"aa": "Aland", "bb": "Bland", "cc": "Cland"}
    # the titles state the charted weeks' own change (counted, so no interval), periods named
    title = report.trend_title(bands, names)
    seen = levels["observed_change"].map(report.signed_percent)
    assert "latest 52 weeks against the first 52 weeks of charts: up in 1 of 2 markets" in title
    assert f"most in Aland ({seen['aa']})" in title and f"least in Bland ({seen['bb']})" in title
    assert report.trend_title(bands, names, "aa") == (
        f"Aland: streams per person in the latest 52 weeks {seen['aa']} on the first 52 weeks of"
        " charts"
    )
    # one year of weeks only: its first and latest 13 weeks
    short = report.trend_levels(bands, 13).set_index("market").loc["cc", "observed_change"]
    assert report.trend_title(bands, names, "cc") == (
        f"Cland: streams per person in the latest 13 weeks {report.signed_percent(short)} on the"
        " first 13 weeks of charts"
    )
    assert short > 0.3  # 47 weeks of +50% a year


def test_backtest_chart_names_methods_in_words():
    """The technical report's backtest legend reads "Exponential smoothing (ETS)", not "ets"."""
    import matplotlib

    matplotlib.use("Agg")
    from musicmarkets import check_plots

    scored = pd.DataFrame(
        {
            "method": ["model", "model", "ets", "ets", "gbm", "gbm"],
            "weeks_ahead": [1, 2] * 3,
            "crps": [0.1, 0.2, 0.15, 0.25, 0.12, 0.3],
        }
    )
    fig = check_plots.backtest_errors(scored, report.METHOD_NAMES)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(legend) == sorted(report.METHOD_NAMES[m] for m in ["model", "ets", "gbm"])
    raw = [
        t.get_text() for t in check_plots.backtest_errors(scored).axes[0].get_legend().get_texts()
    ]
    assert "ets" in raw  # without names, the methods' own


def test_stream_axes_speak_the_tables_units():
    """A forecast chart that reaches billions reads "1.5 bn" on its axis, as the tables do; one
    in the hundreds of millions reads "300 M"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from musicmarkets import plots

    def labels(values):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], values)
        plots.streams_axis(ax)
        fig.canvas.draw()
        out = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        plt.close(fig)
        return out

    big = labels([1.2e9, 1.5e9, 2.1e9])
    assert big and all(t.endswith(" bn") for t in big) and "1.6 bn" in big
    small = labels([2.0e8, 3.0e8, 4.0e8])
    assert small and all(t.endswith(" M") for t in small) and "300 M" in small


def test_page_blocks_escape_what_comes_from_data_and_keep_their_own_markup():
    """The templates autoescape: a market name or a provenance value with markup in it is
    shown as text, never run as HTML; the page's own tags and the nbconvert body stay HTML."""
    names = {"de": "<script>alert(1)</script>"}
    bad = report.trust_panel(
        METRICS | {"divergences": 3},
        ["de: 90% predictive intervals held 70% of its weeks (needs 80% to 97%)"],
        FRESH,
        {"git commit": '<img src=x onerror="x">'},
        [report.Check("A & B <i>", "plain <b>words</b>", "1 < 2", None)],
        GATES,
        names,
    )
    assert "<script>" not in bad and "&lt;script&gt;" in bad
    assert "<img" not in bad and "&lt;img src=x" in bad
    assert "A &amp; B &lt;i&gt;" in bad and "plain &lt;b&gt;words&lt;/b&gt;" in bad
    assert "1 &lt; 2" in bad and '<td class="verdict note">Read</td>' in bad
    assert bad.count('<p class="prov">') == 1 and bad.startswith('<section class="trust"')


def test_breadth_tables_place_escaped_tables_in_their_template():
    """The hit-intensity and turnover tables: a region name with markup is text, the counts in
    the sentence come from the inputs, the highest and lowest five regions are shown."""
    from musicmarkets.report.tables import breadth_tables

    n = 12
    no1 = pd.DataFrame(
        {
            "market": [f"r{i}" for i in range(n)],
            "country": ["Trinidad & <b>Tobago</b>", *[f"Region {i}" for i in range(1, n)]],
            "weeks": 52,
            "median_no1_streams": np.linspace(1e5, 2e6, n),
            "no1_streams_per_million": np.linspace(9e4, 1e3, n),
        }
    )
    top50 = pd.DataFrame(
        {"market": ["global", "de"], "days": [500, 480], "distinct_tracks": [900, 700]}
    ).assign(median_days_in_top50=[20.0, 35.0])
    out = breadth_tables(no1, top50, {"de": "Germany"})
    assert "(12 regions with population figures; the five highest and lowest)" in out
    assert "Trinidad &amp; &lt;b&gt;Tobago&lt;/b&gt;" in out and "<b>Tobago" not in out
    assert out.count("<table") == 2 and "Germany" in out and "Global" in out
    assert out.count("<tr") == 1 + 10 + 1 + 2  # header + 5 highest + 5 lowest, header + 2


def test_figure_cells_wrap_between_their_parts_and_sentences_anywhere():
    from musicmarkets.report.export import wrap_long_cells

    assert wrap_long_cells("<td>0.876 bn (0.755 to 1.00 bn)</td>") == (
        '<td class="long fig"><span class="nobr">0.876 bn</span> '
        '<span class="nobr">(0.755 to 1.00 bn)</span></td>'
    )
    assert wrap_long_cells("<td>+7% (\u22124% to +19%) on 79.7 bn</td>") == (
        '<td class="long fig"><span class="nobr">+7%</span> <span class="nobr">(\u22124% to +19%)'
        '</span> <span class="nobr">on 79.7 bn</span></td>'
    )
    assert (
        wrap_long_cells("<td>20.2 bn (19.2 to 21.3 bn)</td>")
        == "<td>20.2 bn (19.2 to 21.3 bn)</td>"
    )
    sentence = "the charts themselves say otherwise here"
    assert wrap_long_cells(f"<td>{sentence}</td>") == f'<td class="long">{sentence}</td>'


def test_chances_and_point_intervals_never_claim_more_than_a_sample_shows():
    from musicmarkets.report.format import chance, points_interval

    assert [chance(p) for p in (0.0, 0.004, 0.42, 0.996, 1.0)] == [
        "under 1%",
        "under 1%",
        "42%",
        "over 99%",
        "over 99%",
    ]
    assert points_interval(0.01, -0.02, 0.03) == "about 0 pts (within 0.1 pts either way)"
    assert points_interval(3.44, 1.2, 5.6) == "+3.4 pts (+1.2 pts to +5.6 pts)"
    # one end would read 'about 0 pts' beside the other's '+0.1 pts': one more decimal
    assert points_interval(0.03, 0.01, 0.12) == "+0.03 pts (+0.01 pts to +0.12 pts)"
    assert points_interval(0.0, -1.2, 1.2) == "about 0 pts (\u22121.2 pts to +1.2 pts)"


def test_small_shares_get_the_decimals_that_tell_their_interval_apart():
    from musicmarkets.report.format import share_interval

    assert share_interval(0.213, 0.201, 0.224) == "21.3% (20.1% to 22.4%)"
    assert share_interval(0.0021, 0.0018, 0.0024) == "0.21% (0.18% to 0.24%)"
    assert share_interval(0.002, 0.002, 0.002) == "0.2% (0.2% to 0.2%)"  # truly no spread


def test_an_empty_ledger_says_why_nothing_is_scored():
    empty = pd.DataFrame(columns=["origin", "weeks", "coverage_90", "mape", "market"])
    text = report.ledger_text(empty, {}, pd.Timestamp("2020-07-24"))
    assert "the data end with the chart week of 24–30 Jul 2020" in text
    assert "No earlier forecast can be scored yet" in report.ledger_text(empty, {})


def test_a_chart_week_is_written_as_the_days_it_covers():
    """One way to write a week on every page: Friday to Thursday, across months and years."""
    assert report.chart_week(pd.Timestamp("2020-07-24")) == "24–30 Jul 2020"
    assert report.chart_week(pd.Timestamp("2020-02-28")) == "28 Feb–5 Mar 2020"
    assert report.chart_week(pd.Timestamp("2017-12-29")) == "29 Dec 2017–4 Jan 2018"


def test_growth_in_a_launch_year_says_it_includes_the_launch_ramp():
    row = pd.Series({"from_model": True, "yoy_median": 1.2, "yoy_low": 1.1, "yoy_high": 1.3})
    assert "launch" not in report.growth_words(row, 0.9)[1]
    assert (
        "launch"
        not in report.growth_words(pd.concat([row, pd.Series({"launch_year": np.nan})]), 0.9)[1]
    )
    assert report.growth_words(pd.concat([row, pd.Series({"launch_year": True})]), 0.9)[1].endswith(
        "so this is mostly launch growth"
    )


def test_the_loo_verdict_names_the_variants_that_did_not_settle():
    """A variant whose fit missed its convergence gates is named: its score is not to be
    relied on."""
    loo = {
        "verdict": "unpooled scores higher than the production model by 2.2 (se 7.0)",
        "models": [
            {"model": "unpooled", "gates_passed": True},
            {"model": "hierarchical", "gates_passed": True},
            {"model": "no_covariates", "gates_passed": False},
        ],
    }
    words = report.loo_words(loo)
    assert words.endswith(
        "; the variant 'without GDP, internet and population' did not pass its convergence"
        " checks, so its score is not to be relied on"
    )
    assert "convergence" not in report.loo_words(loo | {"models": loo["models"][:2]})


def test_failed_refits_are_named_with_their_figures():
    refits = [
        {
            "variant": "hierarchical",
            "origin": "2019-10-25",
            "gates_passed": True,
            "r_hat_max": 1.004,
            "ess_bulk_min": 900.0,
            "divergences": 0,
        },
        {
            "variant": "normal",
            "origin": "2019-10-25",
            "gates_passed": False,
            "r_hat_max": 1.006,
            "ess_bulk_min": 812.4,
            "divergences": 14,
        },
        {
            "variant": "normal",
            "origin": "2020-04-24",
            "gates_passed": False,
            "r_hat_max": 1.003,
            "ess_bulk_min": 1020.0,
            "divergences": 1,
        },
    ]
    words = report.failed_refits_words(refits)
    assert words == (
        "Refits that failed their convergence gates: the variant 'without allowance for unusual"
        " weeks (normal errors)' at 2019-10-25"
        " (R-hat 1.006, bulk ESS 812, 14 divergent transitions); the variant 'without allowance"
        " for unusual weeks (normal errors)' at"
        " 2020-04-24 (R-hat 1.003, bulk ESS 1020, 1 divergent transition)."
    )
    assert report.failed_refits_words(refits[:1]) == ""


def test_momentum_is_said_to_leave_out_the_lockdown_dip_only_where_the_fit_has_one():
    with_dip = report.plain_words(0.9, 0.53)
    assert "leaving out the 2020 lockdown's dip" in with_dip and "53% of that dip" in with_dip
    assert "lockdown" not in report.plain_words(0.9, None)


def test_the_forecasts_say_when_no_backtest_refit_saw_the_lockdown_they_carry_on():
    onset = pd.Timestamp("2020-03-12")
    origins = ["2018-06-29", "2019-07-26"]
    note = report.recovery_untested_note(origins, onset, 0.5)
    assert "50% of it still to recover" in note and "26 Jul 2019" in note
    assert "12 Mar 2020" in note and "not been tested" in note
    assert report.recovery_untested_note([*origins, "2020-05-01"], onset, 0.5) == ""
    assert report.recovery_untested_note(origins, onset, 0.0) == ""  # nothing left to recover
    assert report.recovery_untested_note(origins, None, None) == ""  # no lockdown term


def test_the_predictive_check_is_said_to_be_in_sample():
    fit = {"ppc_coverage_50": 0.54, "ppc_coverage_90": 0.92, "pareto_k_bad": 1}
    text = report.calibration_text(fit)
    assert "In the weeks the model was fitted to" in text and "54%" in text and "92%" in text
    assert "ahead" not in text  # in-sample coverage is not a forecast's
