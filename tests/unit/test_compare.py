"""Posterior comparison: Monte Carlo noise agrees, a real shift is reported in sd units."""

import numpy as np
import xarray as xr

from musicmarkets import compare


def posterior(mean_trend, seed, draws=1000):
    rng = np.random.default_rng(seed)
    trend = rng.normal(mean_trend, 0.1, size=(4, draws, len(mean_trend)))
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(
                {
                    "trend_market": (("chain", "draw", "market"), trend),
                    "phi": (("chain", "draw"), rng.normal(0.6, 0.05, size=(4, draws))),
                },
                coords={"market": ["de", "gb", "it"]},
            )
        }
    )


def test_two_draws_of_the_same_posterior_agree():
    a = compare.summary(posterior([0.1, 0.2, 0.3], seed=1))
    b = compare.summary(posterior([0.1, 0.2, 0.3], seed=2))
    result = compare.compare_summaries(a, b)
    assert result.agree and len(result.table) == 4
    assert "AGREE" in result.text()


def test_a_moved_quantity_is_listed_in_posterior_sd():
    a = compare.summary(posterior([0.1, 0.2, 0.3], seed=1))
    b = compare.summary(posterior([0.1, 0.25, 0.3], seed=2))  # gb moved by half an sd
    result = compare.compare_summaries(a, b)
    assert not result.agree
    moved = result.moved.set_index("quantity")
    assert list(moved.index) == ["trend_market[gb]"]
    assert abs(moved.loc["trend_market[gb]", "shift_sd"] - 0.5) < 0.05
    assert "DIFFER" in result.text() and "trend_market[gb]" in result.text()


def _commit_run(root, growth, ess, fit_passed, backtest_failed, fit_code):
    """One pipeline run as git keeps it: the metrics files and dvc.lock's record of the fit stage."""
    import json
    import subprocess

    metrics = root / "reports" / "metrics"
    metrics.mkdir(parents=True, exist_ok=True)
    fit = {"growth": growth, "ess_bulk_min": ess, "gates_passed": fit_passed, "gates_failed": []}
    (metrics / "fit.json").write_text(json.dumps(fit))
    (metrics / "backtest.json").write_text(json.dumps({"gates_failed": backtest_failed}))
    lock = {
        "schema": "2.0",
        "stages": {
            "fit": {
                "cmd": "musicmarkets run fit",
                "deps": [{"path": "src/fit.py", "md5": fit_code}],
                "params": {"params.yaml": {"fit.seed": 1}},
            }
        },
    }
    import yaml

    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "run"], cwd=root, check=True)
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    return out.stdout.strip()


def test_metrics_of_two_runs_agree_within_monte_carlo_error_and_gate_verdicts(tmp_path):
    """``compare --metrics`` reads what git keeps of two runs: growth within Monte Carlo error
    (sd / sqrt of the smallest bulk ESS), each gate's verdict, and whether the fit stage ran the
    same code, params and data at both."""
    rng = np.random.default_rng(4)
    sd, ess = 0.08, 1000.0
    mcse = sd / np.sqrt(ess)
    truth = {m: float(rng.normal(0.05, 0.05)) for m in ("de", "es", "us")}

    def growth(shift=0.0):  # a run's posterior means scatter by their Monte Carlo error
        return {m: {"mean": g + shift + rng.normal(0, mcse), "sd": sd} for m, g in truth.items()}

    a = _commit_run(tmp_path, growth(), ess, True, ["coverage"], "abc")
    b = _commit_run(tmp_path, growth(), ess, True, ["coverage"], "abc")
    same = compare.compare_metrics(a, b, tmp_path, names=("fit", "backtest"))
    assert same.agree and same.same_inputs == {"fit": True}
    assert same.verdicts == {"fit": (True, True), "backtest": (False, False)}
    assert "AGREE" in same.text()
    moved = _commit_run(tmp_path, growth(shift=10 * mcse), ess, True, ["coverage"], "abc")
    shifted = compare.compare_metrics(a, moved, tmp_path, names=("fit", "backtest"))
    assert not shifted.agree and not shifted.agree_where_inputs_match
    # no model file at hand (no DVC here): ``musicmarkets compare`` compares the metrics, and says so
    fallback = compare.compare_revisions(a, moved, tmp_path)
    assert not fallback.agree and "not at hand" in fallback.text()
    flipped = _commit_run(tmp_path, growth(), ess, True, [], "def")
    result = compare.compare_metrics(a, flipped, tmp_path, names=("fit", "backtest"))
    assert not result.agree and result.verdicts["backtest"] == (False, True)
    assert result.same_inputs == {"fit": False}
    assert result.agree_where_inputs_match  # the fit's inputs differ: its growth may move
    assert "VERDICTS DIFFER" in result.text() and "inputs differ" in result.text()
