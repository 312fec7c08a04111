"""The report pages' one loader: reads on first use, derives the shared things once."""

from __future__ import annotations

import json

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


def test_names_and_ranks_come_ready_for_the_pages(tmp_path):
    paths, _ = _project(tmp_path)
    inputs = ReportInputs(paths)
    assert inputs.names == {"de": "Germany", "gb": "United Kingdom"}
    ranks = inputs.ranks
    assert list(ranks.index) == ["de", "gb"] and list(ranks.columns) == [1, 2]
    assert ranks.loc["gb", 2] == 0.7
    assert inputs.why is None  # no attribution run in this copy
