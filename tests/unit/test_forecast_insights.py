"""Forecast simulation and insight quantities on posteriors with known structure."""

import dataclasses

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

from musicmarkets import insights
from musicmarkets.models import consumption as cm
from musicmarkets.models import forecast

from .test_consumption_model import simulated_panel


def fake_fit(n_markets=3, n_weeks=80, draws=50, seed=0, early_end=0, **overrides):
    """A DataTree shaped like a fitted model: prior draws stand in for the posterior; any
    variable in ``overrides`` is replaced by the given per-market values in every draw.
    ``early_end``: the last market's data stop that many weeks before the others'."""
    panel = simulated_panel(n_markets, n_weeks, seed)
    if early_end:
        end = panel["week_start"].max() - pd.Timedelta(weeks=early_end)
        panel = panel[~((panel["market"] == f"m{n_markets - 1}") & (panel["week_start"] > end))]
    panel["population"] = 1e6 * (np.arange(len(panel)) % n_markets + 1)
    structure = cm.Structure.from_params(covariates=())
    data = cm.prepare(panel, [f"m{i}" for i in range(n_markets)], structure)
    model = cm.build_model(data, cm.Priors.from_params(), "non_centred")
    idata = pm.sample_prior_predictive(draws=draws, model=model, random_seed=seed)
    post = idata["prior"].to_dataset()
    for name, value in overrides.items():
        arr = np.broadcast_to(np.asarray(value, dtype=float), post[name].shape).copy()
        post[name] = (post[name].dims, arr)
    tree = xr.DataTree.from_dict(
        {
            "posterior": post,
            "constant_data": idata["constant_data"].to_dataset(),
        }
    )
    return cm.annotate(tree, data, structure, cm.Priors.from_params()), data


def test_forecast_equals_structural_mean_without_noise():
    n = 3
    tree, data = fake_fit(
        n, sigma_market=np.full(n, 1e-9), phi=0.0, nu=1e6, trend_market=[0.1, 0.0, -0.1]
    )
    f = forecast.simulate(
        tree, horizon=10, changepoint_weeks=1000, changepoint_sigma=0.1, seed=1, random_phase=False
    )
    post = tree["posterior"].to_dataset()
    t = np.arange(1, 11) * forecast.WEEK
    idx = np.repeat(np.arange(n), 10)
    mu = cm.mean_at(
        post,
        idx,
        np.tile(t, n),
        cm.fourier_terms(pd.DatetimeIndex(np.tile(f.weeks, n)), 3),
        data.changepoints,
        cm.holiday_weeks(pd.DatetimeIndex(np.tile(f.weeks, n))),
        np.zeros(n * 10),
    )
    expected = np.exp(mu).reshape(-1, n, 10) * data.population[None, :, None]
    np.testing.assert_allclose(f.streams, expected, rtol=1e-6)
    assert f.weeks[0] == pd.Timestamp(data.week_start.max()) + pd.Timedelta(days=7)


def test_totals_are_sums_of_market_draws_and_bands_nest():
    tree, _ = fake_fit(3)
    f = forecast.simulate(tree, horizon=20, changepoint_weeks=8, changepoint_sigma=0.1, seed=2)
    np.testing.assert_allclose(f.total(), f.streams.sum(axis=1))
    s = forecast.series(f, {"m0": "Zero"}, 0.9)
    assert set(s["level"]) == {"market", "region", "all"}
    assert (s["low"] <= s["low50"]).all() and (s["low50"] <= s["median"]).all()
    assert (s["median"] <= s["high50"]).all() and (s["high50"] <= s["high"]).all()
    # the all-market median is not the sum of market medians, but lies near it
    all_med = s.query("level == 'all'")["median"].to_numpy()
    sum_med = s.query("level == 'market'").groupby("week_start")["median"].sum().to_numpy()
    assert np.all(all_med > 0.5 * sum_med) and np.all(all_med < 2 * sum_med)


def test_future_changepoints_widen_the_band():
    # one structure in every draw, no noise: the only spread is the future slope changes
    fixed = {k: 0.0 for k in ("delta", "season_market", "holiday_market", "shock_market")}
    tree, _ = fake_fit(
        2,
        sigma_market=np.full(2, 1e-9),
        phi=0.0,
        nu=1e6,
        level_market=0.0,
        trend_market=0.0,
        **fixed,
    )
    narrow = forecast.simulate(tree, 52, changepoint_weeks=1000, changepoint_sigma=0.3, seed=3)
    wide = forecast.simulate(tree, 52, changepoint_weeks=13, changepoint_sigma=0.3, seed=3)
    spread = lambda f: np.subtract(*np.quantile(np.log(f.total()[:, -1]), [0.95, 0.05]))  # noqa: E731
    assert spread(wide) > spread(narrow)


def test_future_slope_changes_share_a_part_across_markets():
    """Noise-free draws with one structure: a future slope change's shared part moves every
    market alike (same date, same size), a market's own part moves it alone; so at the same
    spread per market, the all-market total is wider with shared changes."""
    fixed = {k: 0.0 for k in ("delta", "season_market", "holiday_market", "shock_market")}
    tree, data = fake_fit(
        2,
        draws=400,
        sigma_market=np.full(2, 1e-9),
        phi=0.0,
        nu=1e6,
        level_market=0.0,
        trend_market=0.0,
        **fixed,
    )
    kw = {"changepoint_weeks": 26, "seed": 6}
    shared = forecast.simulate(tree, 52, changepoint_sd=0.3, changepoint_sigma=0.0, **kw)
    own = forecast.simulate(tree, 52, changepoint_sd=0.0, changepoint_sigma=0.3, **kw)
    per_capita = lambda f: np.log(f.streams[:, :, -1] / data.population[None, :])  # noqa: E731
    a, b = per_capita(shared).T
    np.testing.assert_allclose(a, b, atol=1e-6)  # the same change in both markets
    assert a.std() > 0.05  # ... and it does change them
    x, y = per_capita(own).T
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.2  # 400 draws: the sd of r is about 0.05
    assert abs(x.std() / a.std() - 1) < 0.2  # the same spread per market either way
    spread = lambda f: np.log(f.total()[:, -1]).std()  # noqa: E731
    assert spread(shared) > 1.2 * spread(own)


def test_the_forecast_reads_its_changepoint_settings_from_the_model_file():
    """No scale given: the fit's own spacing and changepoint priors are used, as given."""
    tree, _ = fake_fit(2, draws=50)
    structure, priors = cm.spec(tree)
    own = forecast.simulate(tree, 20, seed=7)
    given = forecast.simulate(
        tree,
        20,
        seed=7,
        changepoint_weeks=structure.changepoint_weeks,
        changepoint_sd=priors.changepoint_sd,
        changepoint_sigma=priors.changepoint_sigma,
    )
    np.testing.assert_array_equal(own.streams, given.streams)
    other = forecast.simulate(tree, 20, seed=7, changepoint_weeks=4, changepoint_sd=0.5)
    assert not np.allclose(own.streams, other.streams)


def test_each_market_keeps_its_own_persistence():
    """Every draw has the same structural mean, so the spread of the forecast is the AR(1)
    noise alone: after h weeks its sd is sigma * sqrt(sum_k<h phi^2k), with each market's phi."""
    phi, sigma, h = np.array([0.95, 0.0]), 0.05, 13
    fixed = {k: 0.0 for k in ("delta", "season_market", "holiday_market", "shock_market")}
    tree, _ = fake_fit(
        2,
        draws=500,
        phi=phi,
        sigma_market=np.full(2, sigma),
        nu=1e6,
        level_market=0.0,
        trend_market=0.0,
        **fixed,
    )
    f = forecast.simulate(
        tree,
        h,
        changepoint_weeks=1000,
        changepoint_sd=0.0,
        changepoint_sigma=0.0,
        seed=4,
        random_phase=False,
    )
    sd = np.log(f.streams[:, :, -1]).std(axis=0)
    expected = sigma * np.sqrt((phi[:, None] ** (2 * np.arange(h))).sum(axis=1))
    # 500 draws: the sd's relative standard error is about 3%
    np.testing.assert_allclose(sd, expected, rtol=0.12)
    assert sd[0] > 2.5 * sd[1]


def test_next_slope_change_falls_uniformly_within_one_spacing():
    """Noise-free draws: a path leaves the structural mean only after its first slope change,
    which falls within `spacing` weeks of the origin, uniformly: within 13 of 52 weeks for about
    a quarter of the draws; with a fixed phase, never."""
    tree, _ = fake_fit(2, draws=400, sigma_market=np.full(2, 1e-9), phi=0.0, nu=1e6)
    kw = {"changepoint_weeks": 52, "changepoint_sigma": 0.3, "seed": 5}
    fixed = forecast.simulate(tree, 13, **kw, random_phase=False)
    moved = forecast.simulate(tree, 13, **kw, random_phase=True)
    share = np.mean(~np.isclose(moved.streams[..., -1], fixed.streams[..., -1], rtol=1e-6))
    # 800 market-draws, p = 12/52 of a change before the last week: 3 sd is about 0.045
    assert abs(share - 12 / 52) < 0.05, share


def test_lockdown_recovery_carries_on_over_the_horizon():
    """An origin inside the lockdown: the forecast carries each draw's estimated recovery
    forward (size x curve at the future weeks), not a step that stays on or stops."""
    # weekly from 2018-01-05: the 122nd week (1 May 2020) lies after the lockdown's onset
    tree, data = fake_fit(2, n_weeks=122, sigma_market=np.full(2, 1e-9), phi=0.0, nu=1e6)
    assert data.shock[-1] == 1 and "shock_recovery" in tree["posterior"]
    kw = {
        "changepoint_weeks": 1000,
        "changepoint_sd": 0.0,
        "changepoint_sigma": 0.0,
        "seed": 1,
        "random_phase": False,
    }
    with_shock = forecast.simulate(tree, 5, **kw)
    without = tree.copy(deep=True)
    post = without["posterior"].to_dataset()
    post["shock_market"] = post["shock_market"] * 0.0
    without["posterior"] = post
    no_shock = forecast.simulate(without, 5, **kw)
    stack = lambda k: tree["posterior"][k].stack(s=("chain", "draw")).transpose("s", ...).to_numpy()  # noqa: E731
    t_future = np.arange(1, 6) * forecast.WEEK
    curve = cm.lockdown_curve(
        t_future[None, :], stack("shock_onset")[:, None], stack("shock_recovery")[:, None]
    )
    expected = stack("shock_market")[:, :, None] * curve[:, None, :]
    np.testing.assert_allclose(np.log(with_shock.streams / no_shock.streams), expected, atol=1e-9)
    assert (np.abs(expected[..., -1]) < np.abs(expected[..., 0]) + 1e-12).all()  # it fades


def test_faster_than_all_and_ranks():
    tree, _ = fake_fit(3, draws=200, trend_market=[0.5, 0.0, -0.5], level_market=[0.0, 0.0, 0.0])
    post, const = tree["posterior"].to_dataset(), tree["constant_data"].to_dataset()
    table = insights.faster_than_all(post, const, 0.9)
    assert table["p_faster_than_all"].tolist() == [1.0, pytest.approx(table.iloc[1, 1]), 0.0]
    ranks = insights.rank_distribution(post)
    np.testing.assert_allclose(ranks.sum(axis=1), 1.0)
    assert ranks.loc["m0", 1] == 1.0 and ranks.loc["m2", 3] == 1.0
    # all-market growth is the stream-weighted mean of slopes: weights are populations here
    pop = const["population"].to_numpy()
    w = pop / pop.sum()
    assert table["all_growth_median"].iloc[0] == pytest.approx(np.expm1(w @ [0.5, 0.0, -0.5]))


def test_trend_change_flag_follows_the_changepoint_deltas():
    tree, data = fake_fit(2, n_weeks=150, draws=100)
    post = tree["posterior"].to_dataset()
    k = len(data.changepoints)
    assert k >= 1
    delta = np.zeros((1, 100, 2, k))
    delta[..., 0, -1] = -0.4  # market 0: slope before the last changepoint was 0.4 lower
    post["delta"] = (post["delta"].dims, delta)
    post["trend_market"] = (post["trend_market"].dims, np.zeros((1, 100, 2)))
    table = insights.trend_change_table(post, tree["constant_data"].to_dataset(), 0.95)
    assert table.set_index("market").loc["m0", "flag"] == "accelerated"
    assert table.set_index("market").loc["m1", "flag"] == ""


def test_opportunity_is_latest_level_minus_covariate_prediction():
    post = xr.Dataset(
        {
            "level_latest": (("chain", "draw", "market"), np.array([[[0.0, 1.0]] * 10])),
            # the level carried to the panel's end is not what the covariates predict
            "level_market": (("chain", "draw", "market"), np.array([[[3.0, -3.0]] * 10])),
            "level_expected": (("chain", "draw", "market"), np.array([[[0.5, 0.5]] * 10])),
        },
        coords={"market": ["aa", "bb"]},
    )
    table = insights.opportunity_table(post, 0.9).set_index("market")
    assert table.loc["aa", "gap_median"] == pytest.approx(np.expm1(-0.5))
    assert table.loc["aa", "p_below"] == 1.0 and table.loc["bb", "p_below"] == 0.0


def test_ledger_keeps_each_run_once_and_scores_arrived_weeks():
    tree, _ = fake_fit(2)
    f = forecast.simulate(tree, 8, changepoint_weeks=1000, changepoint_sigma=0.1, seed=4)
    first = forecast.ledger_entries(f, "run1")
    ledger = forecast.update_ledger(None, first)
    ledger = forecast.update_ledger(ledger, first)  # the same run again: not doubled
    assert len(ledger) == 2 * 8
    other = first.assign(run_id="run2", q50=first["q50"] * 1.01)  # same data, newer model
    assert set(forecast.update_ledger(ledger, other)["run_id"]) == {"run2"}
    # the weeks arrive: observed streams at the forecast median for m0, far above q95 for m1
    obs = first[["market", "week_start"]].copy()
    obs["streams"] = np.where(obs["market"] == "m0", first["q50"], first["q95"] * 10)
    later = f.weeks[-1] + pd.Timedelta(days=7)
    scores = forecast.score_ledger(ledger, obs.iloc[:-2], later).set_index("market")
    assert scores.loc["m0", "weeks"] == 8 and scores.loc["m1", "weeks"] == 6
    assert scores.loc["m0", "coverage_90"] == 1.0 and scores.loc["m1", "coverage_90"] == 0.0
    assert scores.loc["m0", "crps"] < scores.loc["m1", "crps"]
    # a forecast is never scored by the run that made it
    same_origin = forecast.score_ledger(ledger, obs, first["origin"].iloc[0])
    assert same_origin.empty


def test_a_region_of_one_market_is_not_repeated_as_a_region():
    tree, _ = fake_fit(3)
    f = forecast.simulate(tree, horizon=4, changepoint_weeks=8, changepoint_sigma=0.1, seed=2)
    f = dataclasses.replace(f, regions=["North", "North", "South"])
    groups = {key: members for _, key, _, members in forecast.forecast_groups(f, {})}
    assert groups["North"] == ["m0", "m1"] and "South" not in groups
    assert groups["all"] == ["m0", "m1", "m2"] and groups["m2"] == ["m2"]


def test_momentum_path_steps_at_the_changepoints_and_titles_count_the_flags():
    """Each week's momentum is exp(slope that week) - 1: the latest weeks carry today's slope,
    weeks before the latest changepoint the slope before it; the title counts the flags."""
    from musicmarkets import report

    tree, data = fake_fit(2, draws=40)
    path = insights.momentum_path(tree, 0.9)
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    assert len(path) == data.n_obs
    assert (path["momentum_low"] <= path["momentum_median"]).all()
    assert (path["momentum_median"] <= path["momentum_high"]).all()
    m0 = path[path["market"] == "m0"].sort_values("week_start")
    today = np.median(np.expm1(insights.slope_at(post, const, 0.0))[:, 0])
    assert np.isclose(m0["momentum_median"].iloc[-1], today)
    cp = float(const["changepoint_t"].to_numpy().max())
    before = np.median(np.expm1(insights.slope_at(post, const, cp - 1e-9))[:, 0])
    t0 = m0["week_start"].iloc[-1] + pd.Timedelta(days=cp * 365.25)
    assert np.isclose(
        m0.loc[m0["week_start"] < t0 - pd.Timedelta(days=7), "momentum_median"].iloc[-1], before
    )
    flags = pd.DataFrame({"market": ["aa", "bb", "cc"], "flag": ["slowed", "", "accelerated"]})
    title = report.momentum_title(flags, {"aa": "Aland"})
    assert title.startswith("At the latest trend change, momentum slowed in 1 market (Aland)")
    assert "rose in 1 (CC)" in title and title.endswith("1 steady")
    steady = report.momentum_title(flags.assign(flag=""), {})
    assert steady == "No market's momentum changed clearly at its most recent bend"
    # the whole history: how momentum now compares with each market's first stretch
    whole = flags.assign(
        flag="",
        growth_first=[0.35, 0.10, 0.02],
        growth_now=[0.06, 0.09, 0.20],
        flag_first=["slowed", "", "picked up"],
    )
    text = report.momentum_title(whole, {"aa": "Aland"})
    assert text == (
        "Since their first year of charts, momentum has clearly slowed in 1 of 3 markets (Aland"
        " from +35% a year to +6%) and picked up in 1 of 3 markets (CC from +2% a year to +20%);"
        " in the other 1 the change is not clear, and none changed clearly at its most recent"
        " bend"
    )
    assert "." not in text.replace("+", "")  # one sentence, as the chart's caption
    both = report.momentum_title(whole.assign(flag=["slowed", "", ""]), {"aa": "Aland"})
    assert both.endswith(
        "; at the latest trend change, momentum slowed in 1 market (Aland); 2 steady"
    )
    calm = report.momentum_title(whole.assign(flag_first=""), {})
    assert calm.startswith("No market's momentum now differs clearly from its first year")


def test_trend_change_table_compares_today_with_the_first_stretch():
    """``p_below_first``: today's slope against the slope before the first changepoint."""
    tree, data = fake_fit(2, n_weeks=150, draws=100)
    post = tree["posterior"].to_dataset()
    k = len(data.changepoints)
    delta = np.zeros((1, 100, 2, k))
    delta[..., 0, :] = 0.2  # market 0: every earlier segment 0.2 steeper per changepoint
    post["delta"] = (post["delta"].dims, delta)
    post["trend_market"] = (post["trend_market"].dims, np.zeros((1, 100, 2)))
    table = insights.trend_change_table(post, tree["constant_data"].to_dataset(), 0.95)
    table = table.set_index("market")
    assert table.loc["m0", "p_below_first"] == 1.0 and table.loc["m0", "p_above_first"] == 0.0
    # no bend: neither lower nor higher
    assert table.loc["m1", "p_below_first"] == table.loc["m1", "p_above_first"] == 0.0
    assert table.loc["m0", "flag_first"] == "slowed" and table.loc["m1", "flag_first"] == ""
    assert table.loc["m0", "growth_first"] == pytest.approx(np.expm1(0.2 * k))
    assert table.loc["m1", "growth_first"] == pytest.approx(0.0)


def test_a_market_whose_data_stop_early_carries_the_weeks_it_missed_into_its_interval():
    """The last market's data stop 10 weeks early: its residual runs on over those weeks with
    fresh weekly noise, so one week past the panel's end its noise variance is that of 11 AR(1)
    steps, sigma^2 (1 - phi^22) / (1 - phi^2), about 4.6 sigma^2 at phi 0.9, against sigma^2 for
    a market observed to the end. (Decaying the last residual alone gave both sigma^2.)"""
    kw = dict(n_markets=2, draws=400, early_end=10, phi=0.9, nu=1e6)
    noisy, _ = fake_fit(sigma_market=0.1, **kw)
    quiet, _ = fake_fit(sigma_market=1e-9, **kw)
    args = dict(horizon=1, changepoint_weeks=1000, changepoint_sigma=0.0, random_phase=False)
    a = forecast.simulate(noisy, seed=3, **args)
    b = forecast.simulate(quiet, seed=3, **args)
    noise = np.log(a.streams[:, :, 0]) - np.log(b.streams[:, :, 0])  # (sample, market)
    ratio = noise[:, 1].var() / noise[:, 0].var()
    expected = (1 - 0.9**22) / (1 - 0.9**2)
    assert 0.75 * expected < ratio < 1.3 * expected


def test_a_damped_trend_fades_the_latest_slope_over_the_horizon():
    """With ``damping_years`` T the forecast's trend adds slope * T (1 - exp(-t/T)) instead of
    slope * t: the log forecast differs from the undamped one by exactly the slope times the
    difference, growing with the horizon, and not at all for a flat market."""
    n = 3
    slopes = [0.3, 0.0, -0.2]
    tree, _ = fake_fit(n, sigma_market=np.full(n, 1e-9), phi=0.0, nu=1e6, trend_market=slopes)
    args = dict(horizon=52, changepoint_weeks=1000, changepoint_sigma=0.0, random_phase=False)
    plain = forecast.simulate(tree, seed=1, **args)
    damped = forecast.simulate(tree, seed=1, damping_years=0.5, **args)
    t = np.arange(1, 53) * forecast.WEEK
    lost = t - 0.5 * (1 - np.exp(-t / 0.5))
    diff = np.log(damped.streams) - np.log(plain.streams)  # (sample, market, week)
    expected = -np.asarray(slopes)[None, :, None] * lost[None, None, :]
    assert np.allclose(diff, expected, atol=1e-6)
    assert abs(diff[:, 0, -1].mean()) > 0.05  # a year on, the fading is material
