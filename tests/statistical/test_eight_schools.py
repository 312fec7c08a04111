"""The sampling setup against a published reference posterior.

posteriordb's ``eight_schools-eight_schools_noncentered`` reference (10,000 draws): mu 4.41 (sd
3.31), tau 3.60 (3.20), theta[1] 6.15 (5.62). The stat_comp_benchmarks rule: each posterior mean
and sd must lie within 0.25 reference sd of the reference.
"""

import numpy as np
import pymc as pm
import pytest

from musicmarkets import diagnostics, sampling

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
REFERENCE = {"mu": (4.41, 3.31), "tau": (3.60, 3.20), "theta_1": (6.15, 5.62)}


def eight_schools() -> pm.Model:
    with pm.Model(coords={"school": range(8)}) as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", 5.0)
        theta_tilde = pm.Normal("theta_tilde", 0.0, 1.0, dims="school")
        pm.Deterministic("theta", mu + tau * theta_tilde, dims="school")
        pm.Normal("y", mu + tau * theta_tilde, SIGMA, observed=Y, dims="school")
    return model


@pytest.mark.parametrize("nuts_sampler", ["nutpie", "pymc"])
def test_matches_the_posteriordb_reference(nuts_sampler):
    settings = sampling.SamplerConfig.from_params(
        draws=5000, tune=1000, chains=4, target_accept=0.9, nuts_sampler=nuts_sampler
    )
    idata, _ = sampling.fit(eight_schools(), settings, seed=8)
    conv = diagnostics.convergence(idata, var_names=["mu", "tau", "theta_tilde"])
    assert conv["r_hat_max"] <= 1.01 and conv["ess_bulk_min"] >= 400
    post = idata["posterior"]
    draws = {
        "mu": post["mu"].to_numpy().ravel(),
        "tau": post["tau"].to_numpy().ravel(),
        "theta_1": post["theta"].sel(school=0).to_numpy().ravel(),
    }
    for name, (ref_mean, ref_sd) in REFERENCE.items():
        assert abs(draws[name].mean() - ref_mean) <= 0.25 * ref_sd, name
        assert abs(draws[name].std() - ref_sd) <= 0.25 * ref_sd, name


def test_a_wrong_prior_is_caught_by_the_same_rule():
    # a tau prior 10x tighter moves the posterior away from the reference: the check must fail
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", 0.5)
        z = pm.Normal("theta_tilde", 0.0, 1.0, shape=8)
        pm.Normal("y", mu + tau * z, SIGMA, observed=Y)
    settings = sampling.SamplerConfig.from_params(
        draws=2000, tune=1000, chains=2, nuts_sampler="nutpie"
    )
    idata, _ = sampling.fit(model, settings, seed=8)
    tau = idata["posterior"]["tau"].to_numpy().ravel()
    assert abs(tau.mean() - REFERENCE["tau"][0]) > 0.25 * REFERENCE["tau"][1]
