"""The backtest's simple forecasters and its one scoring rule, on series simulated from stated
models (random walk, linear trend, yearly cycle)."""

import numpy as np
import pandas as pd
import pytest

from musicmarkets import backtest as bt
from musicmarkets import baselines, validation

WEEKS = pd.date_range("2017-01-06", periods=160, freq="7D")
LEVELS = baselines.LEVELS
MED, LO, HI = (list(np.round(LEVELS, 2)).index(x) for x in (0.5, 0.05, 0.95))


def frame(y: np.ndarray, market: str = "a", weeks=WEEKS) -> pd.DataFrame:
    return pd.DataFrame({"market": market, "week_start": weeks[: len(y)], "y": y})


def split(f: pd.DataFrame, at: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    weeks = sorted(f["week_start"].unique())
    hist = f[f["week_start"] < weeks[at]]
    return hist, f[f["week_start"] >= weeks[at]].reset_index(drop=True)


def test_random_walk_centres_on_the_last_value_and_widens_with_the_weeks_ahead():
    rng = np.random.default_rng(1)
    y = np.cumsum(rng.normal(0.01, 0.05, 160))  # a random walk with a small drift
    hist, target = split(frame(y), 120)
    q = baselines.random_walk(hist, target)
    width = q[HI] - q[LO]
    assert np.all(np.abs(q[MED] - hist["y"].iloc[-1]) < 0.1 * width)  # no drift carried
    np.testing.assert_allclose(width / width[0], np.sqrt(np.arange(1, 41)), rtol=1e-6)


def test_drift_extends_the_average_change():
    rng = np.random.default_rng(2)
    y = 0.02 * np.arange(160) + rng.normal(0, 0.01, 160)
    hist, target = split(frame(y), 120)
    q = baselines.drift(hist, target)
    np.testing.assert_allclose(q[MED], target["y"], atol=0.05)
    assert abs(baselines.random_walk(hist, target)[MED][-1] - target["y"].iloc[-1]) > 0.5


def test_seasonal_naive_repeats_last_years_week_without_carrying_growth():
    cycle = np.sin(2 * np.pi * np.arange(160) / 52)
    y = cycle + 0.3 * np.arange(160) / 52  # +0.3 a year
    hist, target = split(frame(y), 120)
    q = baselines.seasonal_naive(hist, target)
    year_before = (
        frame(y).set_index("week_start")["y"].reindex(target["week_start"] - pd.Timedelta(weeks=52))
    )
    # the median is last year's value: the growth of the year between is not carried forward
    np.testing.assert_allclose(q[MED], year_before.to_numpy(), atol=1e-9)


@pytest.mark.parametrize("method", [baselines.ets, baselines.arima])
def test_state_space_baselines_forecast_a_random_walk_with_calibrated_spread(method):
    rng = np.random.default_rng(3)
    hits, total = 0, 0
    for m in range(6):
        y = np.cumsum(rng.normal(0.0, 0.05, 140))
        hist, target = split(frame(y, f"m{m}"), 127)
        q = method(hist, target)
        assert np.isfinite(q).all() and np.all(np.diff(q, axis=0) >= 0)
        hits += ((target["y"] >= q[LO]) & (target["y"] <= q[HI])).sum()
        total += len(target)
    assert 0.6 <= hits / total <= 1.0


def test_gbm_uses_the_last_value_of_each_market():
    rng = np.random.default_rng(4)
    f = pd.concat(
        [
            frame(lvl + 0.1 * np.sin(2 * np.pi * np.arange(150) / 52) + rng.normal(0, 0.02, 150), m)
            for m, lvl in (("a", 0.0), ("b", 1.0))
        ],
        ignore_index=True,
    )
    hist, target = split(f, 130)
    q = baselines.gbm(hist, target, ["a", "b"], seed=0)
    assert np.all(np.diff(q, axis=0) >= 0)
    assert np.abs(q[MED] - target["y"]).mean() < 0.1


def test_gbm_runs_on_a_history_shorter_than_a_year():
    f = frame(np.linspace(0, 1, 30))
    hist, target = split(f, 25)
    q = baselines.gbm(hist, target, ["a"], 0)
    assert q.shape == (len(LEVELS), 5) and np.isfinite(q).all()


def targets_of(f: pd.DataFrame, origin) -> pd.DataFrame:
    return f.assign(origin=origin, weeks_ahead=np.arange(1, len(f) + 1))


def test_one_rule_scores_every_method_and_matches_the_sample_crps():
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, 400)
    t = targets_of(frame(y, weeks=pd.date_range("2017-01-06", periods=400, freq="7D")), WEEKS[0])
    samples = rng.normal(0, 1, (4000, 400))
    scored = bt.score(t, "model", bt.sample_quantiles(samples))
    exact = validation.crps_samples(samples, y)
    assert scored["crps"].mean() == pytest.approx(exact.mean(), rel=0.05)
    assert 0.85 <= scored["in90"].mean() <= 0.95 and 0.43 <= scored["in50"].mean() <= 0.57
    with pytest.raises(ValueError, match="model: forecasts hold missing values"):
        bt.score(t, "model", np.full((len(LEVELS), 400), np.nan))


def test_paired_difference_to_the_best_baseline_over_origins():
    rows = []
    for k, origin in enumerate(pd.date_range("2019-01-04", periods=8, freq="56D")):
        for method, crps in (("model", 0.10), ("random_walk", 0.15), ("ets", 0.12)):
            rows.append(
                {
                    "origin": origin,
                    "market": "a",
                    "weeks_ahead": 13,
                    "method": method,
                    "crps": crps + 0.01 * (k % 2),
                    "in50": True,
                    "in90": True,
                }
            )
    paired = bt.against_best_baseline(pd.DataFrame(rows), horizons=(13,), interval=0.9)
    r = paired.iloc[0]
    assert r["best_baseline"] == "ets" and r["diff_mean"] == pytest.approx(-0.02)
    assert r["diff_low"] < -0.02 < r["diff_high"] or r["diff_low"] == pytest.approx(-0.02)
    assert "better than ets" in bt.verdict(paired)


def test_the_backtest_summary_gates_every_refit_and_the_coverage_of_weeks_1_to_13():
    """``bt.summarise``: a refit that missed its gates and 90% intervals that held 80% of the
    weeks 1-13 ahead (4 of 5) are both named; weeks past 13 do not
    count towards the coverage."""
    origin = pd.Timestamp("2019-01-04")
    rows = [
        {
            "origin": origin,
            "market": "a",
            "weeks_ahead": w,
            "method": m,
            "crps": c,
            "in50": True,
            "in90": inside,
        }
        for w, inside in ((1, True), (4, True), (8, True), (13, False), (13, True), (26, False))
        for m, c in (("model", 0.1), ("ets", 0.2))
    ]
    fits = [
        {"origin": "2019-01-04", "gates_failed": []},
        {"origin": "2019-03-01", "gates_failed": ["R-hat 1.020 > 1.01"]},
    ]
    out = bt.summarise(
        pd.DataFrame(rows), fits, [origin], 52, [1, 13], 13, (0.85, 0.95), 0.9, ["model", "ets"]
    )
    m = out.metrics
    assert m["model_coverage_90"] == pytest.approx(0.8) and m["model_coverage_90_n"] == 5
    assert m["gates_failed"] == [
        "refit at 2019-03-01: R-hat 1.020 > 1.01",
        "90% intervals held 80% of held-out weeks 1-13 ahead (needs 85% to 95%)",
    ]
    assert not m["coverage_90_in_target"] and m["origins"] == ["2019-01-04"]
    assert list(out.by_horizon["horizon"].unique()) == [1, 13]
    passing = bt.summarise(
        pd.DataFrame(rows), fits[:1], [origin], 52, [13], 13, (0.75, 0.95), 0.9, ["model", "ets"]
    )
    assert passing.metrics["gates_failed"] == [] and passing.metrics["coverage_90_in_target"]


def test_origins_leave_the_whole_horizon_observed():
    cut = bt.origins(pd.Timestamp("2020-07-24"), 8, 8, 52)
    assert len(cut) == 8 and cut[-1] == pd.Timestamp("2019-07-26")
    assert (np.diff(cut) == pd.Timedelta(weeks=8)).all()


def test_refit_setup_is_built_once_from_the_stage_parameters():
    """Every refit reads one frozen setup built from params.yaml's blocks; a bad sampler setting
    stops the stage before the first refit, not after hours of sampling."""
    import yaml

    from musicmarkets.config import paths

    params = yaml.safe_load((paths().root / "params.yaml").read_text())
    fit, backtest = params["fit"], params["backtest"]
    covariates = pd.DataFrame(
        {"market": ["us", "de"], "sub_region": ["Northern America", "Western Europe"]}
    )
    kwargs = dict(
        model=fit["model"],
        priors=fit["priors"],
        parameterization=backtest["parameterization"],
        sampler=backtest["sampler"],
        gates=fit["gates"],
        covariates=covariates,
    )
    setup = bt.RefitSetup.from_params(**kwargs)
    assert setup.regions == {"us": "Northern America", "de": "Western Europe"}
    assert setup.settings.draws == backtest["sampler"]["draws"]
    assert setup.priors.trend_sigma == fit["priors"]["trend_sigma"]
    assert setup.gates.r_hat_max == fit["gates"]["r_hat_max"]
    with pytest.raises(AttributeError):
        setup.sampler = {}  # frozen: no refit can change what the next one uses
    with pytest.raises(ValueError, match="nuts_sampler"):
        bt.RefitSetup.from_params(
            **(kwargs | {"sampler": backtest["sampler"] | {"nuts_sampler": "x"}})
        )


def test_refits_train_on_the_weeks_up_to_the_origin_of_markets_with_enough_of_them():
    """The backtest and leave-future-out refits share one selection: weeks up to the origin,
    markets with at least ``min_weeks`` weeks by then, in the modelled order; weeks without
    streams and markets not modelled never reach a refit."""
    rng = np.random.default_rng(3)
    rows = []
    for market, first in (("late", 100), ("a", 0), ("b", 0), ("skipped", 0)):
        for w in WEEKS[first:]:
            rows.append({"market": market, "week_start": w, "streams_per_capita": rng.gamma(5)})
    market_week = pd.DataFrame(rows)
    market_week.loc[
        (market_week["market"] == "b") & (market_week.index % 10 == 0), "streams_per_capita"
    ] = 0.0
    panel = bt.log_panel(market_week, ["b", "late", "a"])
    assert set(panel["market"]) == {"a", "b", "late"}
    assert panel["streams_per_capita"].gt(0).all()
    np.testing.assert_allclose(panel["y"], np.log(panel["streams_per_capita"]))
    origin = WEEKS[120]
    train, present = bt.training_weeks(panel, ["b", "late", "a"], origin, min_weeks=26)
    assert present == ["b", "a"]  # "late" has 21 weeks by the origin
    assert train["week_start"].max() == origin
    assert set(train["market"]) == {"a", "b"}
    _, with_late = bt.training_weeks(panel, ["b", "late", "a"], origin, min_weeks=21)
    assert with_late == ["b", "late", "a"]
