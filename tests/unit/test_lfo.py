"""Leave-future-out block scores: the exact M-step-ahead log predictive density of a block of
weeks after a fit's latest week, on data simulated from the consumption model's own equations."""

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import special, stats

from musicmarkets import lfo
from musicmarkets.models import consumption as cm
from tests.unit.test_consumption_model import simulated_panel


def fitted_prior(n_weeks: int = 90, draws: int = 40, seed: int = 3):
    """A 'fit' whose posterior is a set of prior draws of the model on the first weeks of a
    simulated panel (what matters here is the scoring, not the sampling), and the panel."""
    panel = simulated_panel(3, n_weeks + 20, seed=seed)
    origin = panel["week_start"].sort_values().unique()[n_weeks - 1]
    train = panel[panel["week_start"] <= origin]
    data = cm.prepare(
        train, ["m0", "m1", "m2"], cm.Structure.from_params(fourier_order=2, changepoint_weeks=26)
    )
    model = cm.build_model(data, cm.Priors.from_params())
    prior = pm.sample_prior_predictive(draws=draws, model=model, random_seed=seed)
    tree = cm.annotate(prior, data)
    tree["posterior"] = prior["prior"]
    return tree, panel.assign(y=np.log(panel["streams_per_capita"])), pd.Timestamp(origin)


def conditional_logdensity(tree, market: int, future: pd.DataFrame) -> np.ndarray:
    """(draw, week) log p(y_j | y_{j-1}, theta), written out week by week."""
    post = tree["posterior"].to_dataset()
    const = tree["constant_data"].to_dataset()
    idx, t, y = (const[k].to_numpy() for k in ("market_idx", "t", "y_log"))
    weeks = pd.to_datetime(const["week_start"].to_numpy())
    origin = weeks.max()
    last = np.flatnonzero(idx == market)[-1]
    dates = pd.DatetimeIndex([weeks[last], *future["week_start"]])
    tt = np.r_[t[last], (dates[1:] - origin).days / 365.25]
    mu = cm.mean_at(
        post,
        np.full(len(dates), market),
        tt,
        cm.fourier_terms(dates, 2),
        const["changepoint_t"].to_numpy(),
        cm.holiday_weeks(dates),
        np.zeros(len(dates)),
        const["launch_t"].to_numpy(),
    )
    obs = np.r_[y[last], future["y"].to_numpy()]
    flat = lambda k: post[k].to_numpy().reshape(post.sizes["draw"], -1)  # noqa: E731
    phi, sigma, nu = flat("phi")[:, market], flat("sigma_market")[:, market], flat("nu")[:, 0]
    out = np.empty((len(sigma), len(future)))
    for s in range(len(sigma)):
        for j in range(1, len(dates)):
            linked = dates[j] - dates[j - 1] == pd.Timedelta(weeks=1)
            loc = mu[s, j] + linked * phi[s] * (obs[j - 1] - mu[s, j - 1])
            out[s, j - 1] = stats.t.logpdf(obs[j], nu[s], loc=loc, scale=sigma[s])
    return out


def test_a_block_scores_the_joint_density_of_its_weeks_averaged_over_draws():
    tree, panel, origin = fitted_prior()
    future = lfo.future_block(panel, ["m0", "m1", "m2"], origin, 13)
    future = future.drop(index=future.index[(future["market"] == "m2")][[4, 5]])  # two gaps
    scored = lfo.block_log_density(tree, future).set_index("market")
    assert scored["weeks"].tolist() == [13, 13, 11]
    for m, market in enumerate(["m0", "m1", "m2"]):
        ll = conditional_logdensity(tree, m, future[future["market"] == market])
        # the joint density of the block per draw, then averaged over draws: not the sum of
        # the weeks' separate predictive densities
        expected = special.logsumexp(ll.sum(axis=1)) - np.log(ll.shape[0])
        assert scored.loc[market, "lpd"] == pytest.approx(expected, rel=1e-10)
        separate = (special.logsumexp(ll, axis=0) - np.log(ll.shape[0])).sum()
        assert scored.loc[market, "lpd"] != pytest.approx(separate, rel=1e-3)


def test_the_parameters_that_made_the_weeks_score_higher_than_shifted_ones():
    tree, _, origin = fitted_prior(draws=1)
    post = tree["posterior"].to_dataset()
    rng = np.random.default_rng(11)
    # weeks after the origin simulated from the draw's own equations
    future = []
    for m, market in enumerate(["m0", "m1", "m2"]):
        dates = pd.date_range(origin + pd.Timedelta(weeks=1), periods=13, freq="7D")
        ll_free = pd.DataFrame({"market": market, "week_start": dates, "y": 0.0})
        mu = cm.mean_at(
            post,
            np.full(13, m),
            np.asarray((dates - origin).days / 365.25),
            cm.fourier_terms(dates, 2),
            tree["constant_data"]["changepoint_t"].to_numpy(),
            cm.holiday_weeks(dates),
            np.zeros(13),
            None,
        )[0]
        const = tree["constant_data"].to_dataset()
        last = np.flatnonzero(const["market_idx"].to_numpy() == m)[-1]
        resid = const["y_log"].to_numpy()[last] - cm.structural_mean(post, const)[0, last]
        phi = float(post["phi"].to_numpy()[0, 0, m])
        sigma = float(post["sigma_market"].to_numpy()[0, 0, m])
        nu = float(post["nu"].to_numpy()[0, 0])
        ys = []
        for j in range(13):
            resid = phi * resid + sigma * rng.standard_t(nu)
            ys.append(mu[j] + resid)
        future.append(ll_free.assign(y=ys))
    future = pd.concat(future, ignore_index=True)
    true = lfo.block_log_density(tree, future)["lpd"].sum()
    shifted = tree.copy()
    level = tree["posterior"]["level_market"]
    shifted["posterior"] = tree["posterior"].to_dataset().assign(level_market=level + 0.3)
    assert lfo.block_log_density(shifted, future)["lpd"].sum() < true - 5


def test_future_weeks_must_follow_the_fit_and_markets_must_be_in_it():
    tree, panel, origin = fitted_prior(draws=2)
    seen = panel[(panel["week_start"] == origin) & (panel["market"] == "m0")]
    with pytest.raises(ValueError, match="after the fit's latest week"):
        lfo.block_log_density(tree, seen[["market", "week_start", "y"]])
    other = lfo.future_block(panel, ["m0"], origin, 2).assign(market="xx")
    with pytest.raises(ValueError, match="xx"):
        lfo.block_log_density(tree, other)


def test_models_are_ranked_on_the_same_blocks():
    blocks = pd.DataFrame({"origin": ["a", "a", "b"], "market": ["x", "y", "x"]})
    a = blocks.assign(lpd=[-1.0, -2.0, -3.0])
    b = blocks.assign(lpd=[-1.5, -2.0, -4.0])
    table = lfo.compare({"a": a, "b": b})
    assert table["model"].tolist() == ["a", "b"]
    assert table["elpd_lfo"].tolist() == [-6.0, -7.5]
    assert table.loc[1, "elpd_diff"] == pytest.approx(1.5) and table["blocks"].tolist() == [3, 3]
    with pytest.raises(ValueError, match="other observations"):
        lfo.compare({"a": a, "b": b.iloc[:2]})
    with pytest.raises(ValueError, match="before the latest week"):
        lfo.origins(pd.Timestamp("2020-07-24"), [13, 0])
    assert lfo.origins(pd.Timestamp("2020-07-24"), [13, 39])[0] == pd.Timestamp("2019-10-25")
