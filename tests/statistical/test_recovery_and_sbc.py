"""Parameter recovery of the production model and simulation-based calibration (SBC) of a
small version of it. Both simulate data from the model's own generative story
(``consumption.simulate_observations``), with parameters drawn from its priors."""

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from musicmarkets import sampling, validation
from musicmarkets.models import consumption as cm

pytestmark = pytest.mark.slow

REGIONS = {"m0": "north", "m1": "north", "m2": "south", "m3": "south", "m4": "east", "m5": "east"}


def design(n_markets: int, n_weeks: int, seed: int, structure: cm.Structure) -> cm.ModelData:
    """Real chart weeks (Fridays from 2017) and covariates drawn once; y is a placeholder."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2017-01-06", periods=n_weeks, freq="7D")
    rows = []
    for m in range(n_markets):
        rows.append(
            pd.DataFrame(
                {
                    "market": f"m{m}",
                    "week_start": weeks,
                    "streams_per_capita": 1.0,
                    "gdp_per_capita": np.exp(rng.normal(10, 0.7)),
                    "internet_users_pct": rng.uniform(40, 95),
                    "population": np.exp(rng.normal(17, 1.0)),
                }
            )
        )
    panel = pd.concat(rows, ignore_index=True)
    return cm.prepare(panel, [f"m{m}" for m in range(n_markets)], structure, REGIONS)


def with_y(data: cm.ModelData, y: np.ndarray) -> cm.ModelData:
    from dataclasses import replace

    return replace(data, y=y)


FORM = "centred"  # the production parameterization (params.yaml fit.parameterization)
TRACKED = [
    "level_market",
    "trend_market",
    "beta",
    "holiday_market",
    "shock_market",
    "season_market",
    "phi",
    "sigma_market",
]


@pytest.mark.parametrize("seed", [11, 12])
def test_production_model_recovers_known_parameters(seed):
    structure = cm.Structure.from_params(shock_start="2019-03-01")
    data = design(6, 156, seed, structure)
    priors = cm.Priors.from_params()
    prior = pm.sample_prior_predictive(
        draws=1, model=cm.build_model(data, priors, FORM), random_seed=seed
    )["prior"].to_dataset()
    y = cm.simulate_observations(prior, data, np.random.default_rng(seed))
    sim = with_y(data, y)
    settings = sampling.SamplerConfig.from_params(draws=500, tune=700, chains=4, target_accept=0.9)
    idata, _ = sampling.fit(cm.build_model(sim, priors, FORM), settings, seed)
    post = idata["posterior"]
    inside = []
    for name in TRACKED:
        draws = post[name].stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy()
        truth = prior[name].to_numpy().reshape(draws.shape[1:])
        lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
        inside.extend(((truth >= lo) & (truth <= hi)).ravel().tolist())
    rate = float(np.mean(inside))
    # ~70 quantities: a calibrated 90% interval covers 80-98% of them with high probability
    assert 0.80 <= rate <= 0.99, f"90% intervals covered {rate:.0%} of {len(inside)} true values"


def test_simulation_based_calibration_of_a_small_model():
    structure = cm.Structure.from_params(
        fourier_order=1,
        changepoint_weeks=1000,
        holidays=False,
        shock_start=None,
        covariates=(),
        ar1=False,
    )
    data = design(3, 40, 5, structure)
    priors = cm.Priors.from_params()
    model = cm.build_model(
        data, priors, "non_centred", cm.Structure.from_params(ar1=False, likelihood="normal")
    )
    import nutpie

    compiled = nutpie.compile_pymc_model(model)
    tracked = {
        "level_mu": None,
        "trend_mu": None,
        "level_market": 0,
        "trend_market": 1,
        "sigma_market": 2,
    }
    n_sims, n_draws, thin = 100, 400, 4
    ranks = {k: [] for k in tracked}
    rng = np.random.default_rng(2024)
    prior = pm.sample_prior_predictive(draws=n_sims, model=model, random_seed=7)["prior"]
    for s in range(n_sims):
        one = prior.isel(draw=[s]).to_dataset()
        y = cm.simulate_observations(one, data, rng, likelihood="normal")
        trace = nutpie.sample(
            compiled.with_data(y_log=y),
            draws=n_draws,
            tune=300,
            chains=2,
            seed=s,
            progress_bar=False,
        )
        post = (
            trace["posterior"] if "posterior" in getattr(trace, "children", {}) else trace.posterior
        )
        for name, index in tracked.items():
            draws = post[name].to_numpy().reshape(-1, *post[name].shape[2:])[::thin]
            truth = one[name].to_numpy().reshape(-1)
            if index is None:
                ranks[name].append(validation.rank_statistic(draws.ravel(), float(truth[0])))
            else:
                ranks[name].append(validation.rank_statistic(draws[:, index], float(truth[index])))
    kept = 2 * n_draws // thin
    for name, r in ranks.items():
        p = validation.chi2_uniform_pvalue(np.array(r), kept, bins=10)
        assert p > 0.001 / len(ranks), f"SBC ranks of {name} are not uniform (p = {p:.2g})"


def test_simulation_based_calibration_of_the_production_model_at_reduced_size():
    """SBC (Talts et al. 2018) of the production model with every term it fits on the default
    data: AR(1) residuals, Student-t noise, changepoints up to the latest weeks, a launch market
    closing its gap, the lockdown intervention with estimated onset, size and recovery, the
    year-end weeks, in the production parameterization; 3 markets x 104 weeks, 100 simulations
    drawn from the priors of params.yaml. The posterior rank of each true value must be uniform."""
    structure = cm.Structure.from_params(
        fourier_order=1,
        changepoint_weeks=26,
        changepoint_last_weeks=13,
        shock_start="2018-07-06",  # week 79 of 104: the intervention and its recovery in the data
        launches={"m2": "2017-05-05"},  # m2 launches in week 18: its first weeks close a gap
        covariates=(),  # 3 markets cannot inform three covariates
    )
    data = design(3, 104, 5, structure)
    form = {"level": "centred", "trend": "non_centred", "season": "centred"}
    model = cm.build_model(
        data, cm.Priors.from_params(), form, cm.Structure.from_params(likelihood="student_t")
    )
    import nutpie

    compiled = nutpie.compile_pymc_model(model)
    tracked = {
        "level_market": 0,
        "trend_market": 1,
        "delta_mu": -1,  # the latest slope change, shared by the markets
        "shock_market": 0,
        "shock_recovery": None,
        "launch_gap": 0,
        "phi": 2,
        "sigma_market": 1,
        "nu": None,
    }
    n_sims, n_draws, thin = 100, 400, 4
    ranks = {k: [] for k in tracked}
    rng = np.random.default_rng(2025)
    prior = pm.sample_prior_predictive(draws=n_sims, model=model, random_seed=8)["prior"]
    for s in range(n_sims):
        one = prior.isel(draw=[s]).to_dataset()
        y = cm.simulate_observations(one, data, rng, likelihood="student_t")
        trace = nutpie.sample(
            compiled.with_data(y_log=y),
            draws=n_draws,
            tune=400,
            chains=2,
            seed=s,
            target_accept=0.95,
            progress_bar=False,
        )
        post = (
            trace["posterior"] if "posterior" in getattr(trace, "children", {}) else trace.posterior
        )
        for name, index in tracked.items():
            draws = post[name].to_numpy().reshape(-1, *post[name].shape[2:])[::thin]
            truth = one[name].to_numpy().reshape(-1)
            if index is None:
                ranks[name].append(validation.rank_statistic(draws.ravel(), float(truth[0])))
            else:
                ranks[name].append(validation.rank_statistic(draws[:, index], float(truth[index])))
    kept = 2 * n_draws // thin
    for name, r in ranks.items():
        p = validation.chi2_uniform_pvalue(np.array(r), kept, bins=10)
        assert p > 0.001 / len(ranks), f"SBC ranks of {name} are not uniform (p = {p:.2g})"
