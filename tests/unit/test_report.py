import nbformat
import pandas as pd
import pytest

from musicmarkets import report

METRICS = {
    "r_hat_max": 1.002,
    "ess_bulk_min": 900,
    "ess_tail_min": 1200,
    "divergences": 0,
    "bfmi_min": 0.5,
}
FRESH = pd.DataFrame(
    {"market": ["de", "gb"], "last_week": pd.to_datetime(["2020-07-24", "2020-07-17"])}
)


@pytest.mark.parametrize(
    "value, text",
    [(1_234_567, "1.2 M"), (3.4e9, "3.4 bn"), (12_300, "12.3 k"), (42, "42"), (1.5, "1.5")],
)
def test_human_numbers(value, text):
    assert report.human_number(value) == text


def test_signed_percent_uses_a_real_minus():
    assert report.signed_percent(0.213) == "+21%"
    assert report.signed_percent(-0.05, 1) == "\u22125.0%"


def test_trust_panel_passes_and_drafts():
    ok = report.trust_panel(METRICS, [], FRESH, {"git commit": "abc"})
    assert "banner ok" in ok and "DRAFT" not in ok and "24 Jul 2020" in ok
    bad = report.trust_panel(METRICS | {"divergences": 3}, ["3 divergent transitions"], FRESH, {})
    assert "banner draft" in bad and "DRAFT" in bad and "3 divergent transitions" in bad


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
    text = report.growth_headlines(table, [])
    assert (
        "Fastest growth: Italy" in text and "+50%" in text and "97%" in text and "DRAFT" not in text
    )
    assert "DRAFT" in report.growth_headlines(table, ["R-hat 1.2 > 1.01"])


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


def test_methods_text_states_the_real_span():
    cov = pd.DataFrame(
        {
            "market": ["de", "in"],
            "first_week": pd.to_datetime(["2016-12-23", "2019-02-22"]),
            "last_week": pd.to_datetime(["2020-07-24", "2020-07-24"]),
        }
    )
    text = report.methods_text(cov)
    assert "23 Dec 2016 to 24 Jul 2020" in text and "IN starts Feb 2019" in text
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
    assert "3 rows quarantined" in text and "2 × streams '…' is not a non-negative integer" in text
    assert "1 × unknown market code" in text and "1 missing week(s)" in text
    assert "No row was quarantined" in report.quality_text(ingest, quarantine.iloc[:0], gaps)
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
        "gates_failed": ["refit at 2019-10-25: bulk ESS 287 < 400"],
    }
    failed = report.gates_failed(fit, shares, backtest)
    assert failed[0] == "R-hat 1.020 > 1.01"
    assert "genre mix model: 2 divergent transitions" in failed
    assert any(f.startswith("backtest: 90% intervals held 70%") for f in failed)
    assert "backtest refit at 2019-10-25: bulk ESS 287 < 400" in failed
    assert report.gates_failed({"gates_failed": []}, {}, {"model_coverage_90": 0.9}) == []


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
    t = report.forecast_table(totals)
    assert t.loc[0, "Next 13 weeks"] == "20.8 bn (19.0 bn to 22.0 bn)"
    assert t.loc[0, "vs same weeks a year earlier"] == "+6% (\u22121% to +13%)"
    assert report.signed_points(-3.44) == "\u22123.4 pts"
    links = report.page_links(["de", "zz"], {"de": "Germany"})
    assert "[Germany](markets/de.html)" in links and "[ZZ](markets/zz.html)" in links
