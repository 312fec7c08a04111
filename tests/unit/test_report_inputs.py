"""The report pages' one loader: reads on first use, derives the shared things once."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from musicmarkets import backtest as bt
from musicmarkets import config
from musicmarkets.report import gates_failed
from musicmarkets.report.inputs import ReportInputs


def _project(tmp_path):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    metrics = tmp_path / "reports" / "metrics"
    metrics.mkdir(parents=True)
    written = {
        "fit": {"gates_failed": ["R-hat 1.020 > 1.01"]},
        "shares": {"genre_mix": {"gates_failed": ["2 divergent transitions"]}},
        "backtest": {"gates_failed": bt.coverage_gate(0.8, 13, 0.85, 0.95)},
        "recent_fit": {"gates_failed": []},
    }
    for name, value in written.items():
        (metrics / f"{name}.json").write_text(json.dumps(value))
    interim, processed = tmp_path / "data" / "interim", tmp_path / "data" / "processed"
    interim.mkdir(parents=True)
    processed.mkdir(parents=True)
    pd.DataFrame(
        {"market": ["de", "de", "gb"], "country": ["Germany", "Germany", "United Kingdom"]}
    ).to_parquet(interim / "covariates.parquet")
    pd.DataFrame({"market": ["de", "gb"], "1": [0.7, 0.3], "2": [0.3, 0.7]}).to_parquet(
        processed / "rank_distribution.parquet"
    )
    return config.Paths(tmp_path), written


def test_failed_gates_are_the_recorded_ones_and_only_what_is_used_is_read(tmp_path):
    paths, written = _project(tmp_path)
    inputs = ReportInputs(paths)
    assert inputs.failed == gates_failed(
        written["fit"], written["shares"], written["backtest"], recent=written["recent_fit"]
    )
    assert len(inputs.failed) == 3 and inputs.failed[-1].startswith("backtest: 90% intervals")
    # nothing else was needed, so nothing else was opened (a missing file would have raised)
    assert not (paths.processed / "market_week.parquet").exists()
    assert {"fit", "shares", "backtest", "recent"} <= set(vars(inputs))
    assert "tree" not in vars(inputs) and "market_week" not in vars(inputs)


def test_genre_families_are_the_ones_the_genre_model_recorded(tmp_path):
    paths, written = _project(tmp_path)
    assert ReportInputs(paths).genre_families == {}  # a shares.json from before families
    families = {"Latin": ["Latin", "Urbano latino", "Latino"]}
    shares = written["shares"] | {"genre_mix": {"gates_failed": [], "families": families}}
    (paths.metrics / "shares.json").write_text(json.dumps(shares))
    assert ReportInputs(paths).genre_families == families


def test_names_and_ranks_come_ready_for_the_pages(tmp_path):
    paths, _ = _project(tmp_path)
    inputs = ReportInputs(paths)
    assert inputs.names == {"de": "Germany", "gb": "United Kingdom"}
    ranks = inputs.ranks
    assert list(ranks.index) == ["de", "gb"] and list(ranks.columns) == [1, 2]
    assert ranks.loc["gb", 2] == 0.7
    assert inputs.why is None  # no attribution run in this copy


def test_a_shift_whose_start_misses_the_charts_is_left_out_of_the_pages(tmp_path):
    """The check stage records the shifts whose baseline misses the observed weeks
    (``share_summary.start_rows``); the pages' loader leaves exactly those out."""
    from musicmarkets import validation
    from musicmarkets.models import share_summary
    from musicmarkets.report.trust import trust_rows

    paths, _ = _project(tmp_path)
    shifts = pd.DataFrame(
        {
            "market": ["de", "de", "gb"],
            "genre": ["Pop", "Other", None],
            "measure": ["genre_mix", "genre_mix", "local_share"],
            "observed_baseline": [0.165, 0.30, 0.40],  # de Pop: far below the model's start
            "start_mean": [0.012, 0.31, 0.41],
            "start_low": [0.008, 0.28, 0.38],
            "start_high": [0.016, 0.33, 0.44],
            "start_mcse": [0.0005, 0.0005, 0.0005],
            "shift_pts": [55.0, -1.0, 2.0],
        }
    )
    shifts.to_parquet(paths.processed / "share_shifts.parquet")
    starts = share_summary.start_rows(shifts)
    assert starts["measure"].tolist() == ["genre:Pop", "genre:Other", "local_share"]
    missed = validation.outside(starts)
    assert missed.tolist() == [True, False, False]
    recent = {
        "gates_failed": [],
        "checked": 3,
        "outside": 0,
        "shifts_checked": 3,
        "shifts_withheld": validation.recent_fit_failures(starts),
        "shifts_withheld_keys": starts.loc[missed, ["market", "measure"]].values.tolist(),
        "outside_keys": [["gb", "local_share"]],  # the gate's miss of a "now"
    }
    (paths.metrics / "recent_fit.json").write_text(json.dumps(recent))
    shown = ReportInputs(paths).shifts
    assert shown["shift_pts"].tolist() == [-1.0, 2.0]
    assert shown["now_outside"].tolist() == [False, True]  # marked for the share tables
    backtest = {
        "model_coverage_90": 0.9,
        "model_coverage_90_n": 100,
        "fits": [],
        "gate_weeks": 13,
        "coverage_90_range": [0.85, 0.95],
        "coverage_90_in_target": True,
    }
    rows = trust_rows({}, backtest, {"verdict": "v"}, recent=recent, names={"de": "Germany"})
    assert any("2 of 3 shown; left out: Germany: Pop share" == r.result for r in rows)
    # the pages say what they leave out, and why; another market's page says nothing
    inputs = ReportInputs(paths)
    assert inputs.withheld == [("de", "genre:Pop")]
    from musicmarkets import report

    note = report.withheld_note(inputs.withheld, {"de": "Germany"}, "de")
    assert note.startswith("Not shown above: Pop share. For this the model's")
    assert report.withheld_note(inputs.withheld, {"de": "Germany"}, "gb") == ""
    assert report.withheld_note(inputs.withheld, {"de": "Germany"}).startswith(
        "Not shown above: Germany: Pop share."
    )
    assert report.withheld_note([], {}) == ""
    # markets without a genre mix are named, in the pages' order
    genres = pd.DataFrame({"market": ["de", "gb"]})
    assert report.genre_left_out(genres, ["in", "de", "gb", "xx"], {"in": "India"}) == (
        "Left out, genre labels cover too little of their streams: India, XX."
    )
    assert report.genre_left_out(genres, ["de", "gb"], {}) == ""


def test_the_shared_loader_is_reused_until_an_output_changes(tmp_path):
    """Pages rendered one after another in one kernel share one loader (and what it derived);
    a pipeline output written meanwhile gives a fresh loader that reads it."""
    paths, _ = _project(tmp_path)
    first = ReportInputs.shared(paths)
    assert ReportInputs.shared(paths) is first
    assert first.names == {"de": "Germany", "gb": "United Kingdom"}
    pd.DataFrame({"market": ["de"], "country": ["Deutschland"]}).to_parquet(
        paths.interim / "covariates.parquet"
    )
    fresh = ReportInputs.shared(paths)
    assert fresh is not first and fresh.names == {"de": "Deutschland"}
    (paths.metrics / "loo.json").write_text("{}")  # a new file counts too
    assert ReportInputs.shared(paths) is not fresh


def test_derived_inputs_are_computed_once_per_argument(tmp_path, monkeypatch):
    paths, _ = _project(tmp_path)
    inputs = ReportInputs(paths)
    calls = []

    def bands(tree, interval):
        calls.append(interval)
        return pd.DataFrame({"interval": [interval]})

    monkeypatch.setattr("musicmarkets.insights.trend_bands", bands)
    monkeypatch.setattr(ReportInputs, "tree", None)
    for interval in (0.9, 0.9, 0.5):
        assert inputs.trend_bands(interval)["interval"].item() == interval
    assert calls == [0.9, 0.5]


def test_each_market_size_is_its_last_52_weeks_of_chart_streams(tmp_path):
    """The size beside every growth figure: a market's last 52 consecutive weeks summed, NaN
    without them; the Global chart is named for the charts that draw it."""
    paths, _ = _project(tmp_path)
    inputs = ReportInputs(paths)
    weeks = pd.date_range("2019-01-04", periods=60, freq="7D")
    inputs.__dict__["history"] = pd.concat(
        [
            pd.DataFrame({"key": "de", "week_start": weeks, "streams": 2.0}),
            pd.DataFrame({"key": "gb", "week_start": weeks[:30], "streams": 1.0}),
        ]
    )
    sizes = inputs.last_year_streams(["de", "gb"])
    assert sizes["de"] == 104.0 and np.isnan(sizes["gb"])
    assert inputs.chart_names == {"de": "Germany", "gb": "United Kingdom", "global": "Global chart"}


def test_a_market_whose_charts_stop_early_is_named_with_its_last_week(tmp_path):
    """Each market's last week comes from the fit's own weeks; the pages name a market whose
    charts stop before the latest week, and say nothing when every market reaches it."""
    import xarray as xr

    from musicmarkets import report

    paths, _ = _project(tmp_path)
    inputs = ReportInputs(paths)
    weeks = pd.to_datetime(["2020-06-26", "2020-07-03", "2020-07-10", "2020-07-17", "2020-07-24"])
    inputs.__dict__["posterior"] = xr.Dataset(coords={"market": ["de", "gb"]})
    inputs.__dict__["constant"] = xr.Dataset(
        {
            "market_idx": ("obs", np.array([0, 0, 0, 1, 1, 1, 1, 1])),
            "week_start": ("obs", np.r_[weeks[:3], weeks].astype("datetime64[ns]")),
        }
    )
    last = inputs.last_weeks
    assert last.to_dict() == {"de": weeks[2], "gb": weeks[4]}
    names = {"de": "Germany", "gb": "United Kingdom"}
    note = report.early_stop_note(last, names)
    assert note.startswith("Germany's charts stop at the week of 10–16 Jul 2020, 2 weeks before")
    assert "Its forecast starts from its own last charted week" in note
    assert report.early_stop_note(last, names, "gb") == ""
    assert report.early_stop_note(last, names, "de") == note
    assert report.early_stop_note(last[last.index == "gb"], names) == ""
