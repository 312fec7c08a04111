import numpy as np
import pandas as pd
import pymc as pm
import pytest

from musicmarkets.models import consumption as cm


def simulated_panel(n_markets: int = 3, n_weeks: int = 60, seed: int = 0) -> pd.DataFrame:
    """Panel simulated from the model's own structure (level + trend + AR(1) noise)."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2018-01-05", periods=n_weeks, freq="7D")
    rows = []
    for m in range(n_markets):
        level, trend = rng.normal(0, 1), rng.normal(0.2, 0.1)
        t = (weeks - weeks[0]).days / 365.25
        noise = np.zeros(n_weeks)
        for i in range(1, n_weeks):
            noise[i] = 0.8 * noise[i - 1] + rng.normal(0, 0.03)
        y = level + trend * t + noise
        rows.append(
            pd.DataFrame({"market": f"m{m}", "week_start": weeks, "streams_per_capita": np.exp(y)})
        )
    return pd.concat(rows, ignore_index=True)


def test_prepare_links_only_consecutive_weeks_of_the_same_market():
    panel = simulated_panel(2, 5)
    panel = panel.drop(index=2)  # m0 misses its third week
    data = cm.prepare(panel, ["m0", "m1"], fourier_order=2)
    assert data.n_obs == 9 and data.fourier.shape == (9, 4)
    # m0: weeks 0,1,3,4 -> links 0<-1 only and 3<-4; m1 starts fresh
    assert data.prev_idx.tolist() == [-1, 0, -1, 2, -1, 4, 5, 6, 7]


def test_prepare_rejects_unknown_markets():
    with pytest.raises(ValueError, match=r"\['xx'\]"):
        cm.prepare(simulated_panel(), ["m0", "xx"], 1)


@pytest.mark.parametrize(
    "form",
    [
        "centred",
        "non_centred",
        {"level": "centred", "trend": "non_centred", "season": "non_centred"},
    ],
)
def test_model_structure_dims_and_names(form):
    data = cm.prepare(simulated_panel(), ["m0", "m1", "m2"], fourier_order=2)
    model = cm.build_model(data, cm.Priors(), form)
    assert list(model.coords["market"]) == ["m0", "m1", "m2"]
    assert len(model.coords["fourier"]) == 4
    for name in ("level_market", "trend_market", "season_market", "phi", "nu", "y"):
        assert name in model.named_vars
    assert model.named_vars_to_dims["season_market"] == ("market", "fourier")
    prior = pm.sample_prior_predictive(draws=20, model=model, random_seed=1)
    assert prior["prior_predictive"]["y"].shape == (1, 20, data.n_obs)


def test_structural_mean_matches_the_equation():
    data = cm.prepare(simulated_panel(), ["m0", "m1", "m2"], fourier_order=1)
    model = cm.build_model(data, cm.Priors())
    prior = pm.sample_prior_predictive(draws=5, model=model, random_seed=2)
    post = prior["prior"].to_dataset()
    consts = {
        "market_idx": data.market_idx,
        "t": data.t,
        "fourier_x": data.fourier,
    }
    import xarray as xr

    ds = xr.Dataset(
        {k: (("obs",) if v.ndim == 1 else ("obs", "fourier"), v) for k, v in consts.items()}
    )
    mu = cm.structural_mean(post, ds)
    lvl = post["level_market"].to_numpy()[0, 3]
    tr = post["trend_market"].to_numpy()[0, 3]
    se = post["season_market"].to_numpy()[0, 3]
    i = 7
    expected = (
        lvl[data.market_idx[i]]
        + tr[data.market_idx[i]] * data.t[i]
        + se[data.market_idx[i]] @ data.fourier[i]
    )
    assert mu[3, i] == pytest.approx(expected)


def test_priors_are_validated():
    assert cm.Priors.from_dict({"trend_sigma": 0.2}).trend_sigma == 0.2
    with pytest.raises(ValueError, match="unknown prior keys"):
        cm.Priors.from_dict({"trend_sd": 1})
    with pytest.raises(ValueError, match="must be > 0"):
        cm.Priors.from_dict({"noise_sigma": 0})


def test_parameterization_is_validated():
    with pytest.raises(ValueError, match="exactly"):
        cm.parameterization_of({"level": "centred"})
    with pytest.raises(ValueError, match="must be one of"):
        cm.parameterization_of("sideways")
