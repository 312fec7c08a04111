"""Leave-one-market-out check of the opportunity gap, on levels simulated from the model's own
level equation: level_latest = level_mu + x . beta + e, e ~ Normal(0, level_sigma)."""

import numpy as np
import xarray as xr

from musicmarkets import opportunity

PRIORS = {"level_mu_mean": 0.0, "level_mu_sd": 2.0, "beta_sd": 0.5}
MARKETS = ["a", "b", "c", "d", "e", "f", "g", "h"]


def fitted(shift_last: float = 0.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(8, 3)) * [1.0, 10.0, 2.0] + [10.0, 70.0, 16.0]
    x = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    level = -1.0 + x @ np.array([0.4, -0.2, 0.1]) + rng.normal(0, 0.15, 8)
    level[-1] += shift_last
    draws = level + rng.normal(0, 0.02, (2, 200, 8))  # a posterior that pins each level
    post = xr.Dataset(
        {
            "level_latest": (("chain", "draw", "market"), draws),
            "level_sigma": (("chain", "draw"), np.full((2, 200), 0.15)),
        },
        coords={"market": MARKETS},
    )
    # as the model file stores them: the constant data's market axis is a plain index
    const = xr.Dataset(
        {f"covariate_{k}": ("market", raw[:, i]) for i, k in enumerate(["g", "i", "p"])},
        coords={"market": np.arange(8)},
    )
    return post, const


def test_levels_from_the_stated_model_hold_up_when_left_out():
    post, const = fitted()
    lomo = opportunity.leave_one_market_out(post, const, PRIORS, 0.9, seed=2, max_draws=300)
    assert set(lomo["beta_sd_scale"]) == {0.5, 1.0, 2.0} and len(lomo) == 24
    base = lomo[lomo["beta_sd_scale"] == 1.0]
    assert base["inside"].mean() >= 7 / 8  # 90% intervals: at most one miss by chance here
    assert (base["gap_low"] <= base["gap_median"]).all()
    assert (base["gap_median"] <= base["gap_high"]).all()


def test_a_market_far_below_its_prediction_is_named_and_stops_the_headline():
    post, const = fitted(shift_last=-2.0)
    lomo = opportunity.leave_one_market_out(post, const, PRIORS, 0.9, seed=2, max_draws=300)
    h = lomo[(lomo["market"] == "h") & (lomo["beta_sd_scale"] == 1.0)].iloc[0]
    assert not h["inside"] and h["gap_high"] < 0  # streams far less than predicted
    said = opportunity.verdict(lomo)
    assert (
        not said["holds"]
        and "h" in said["outside"]
        and "outside the 90% interval" in said["reason"]
    )


def test_no_covariates_no_check():
    post, const = fitted()
    assert opportunity.verdict(
        opportunity.leave_one_market_out(post, const.drop_vars(list(const.data_vars)), PRIORS, 0.9)
    ) == {"holds": False, "reason": "the model has no covariates", "outside": []}
