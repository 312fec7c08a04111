"""How the JAX backend lays its chains onto devices."""

import pytest

from musicmarkets.sampling import SamplerConfig, jax_chain_method


@pytest.mark.parametrize(
    ("backend", "devices", "chains", "expected"),
    [
        ("gpu", 1, 4, "vectorized"),  # one GPU: all chains in one program
        ("gpu", 4, 4, "parallel"),  # a device per chain
        ("cuda", 2, 4, "vectorized"),
        ("cpu", 1, 4, "parallel"),  # CPU: JAX's own fallback (sequential)
    ],
)
def test_chain_method_follows_devices(backend, devices, chains, expected):
    assert jax_chain_method(backend, devices, chains) == expected


def test_unknown_sampler_is_refused():
    with pytest.raises(ValueError, match="nuts_sampler"):
        SamplerConfig.from_params(nuts_sampler="stan").validate()


def test_chains_use_every_usable_core(monkeypatch):
    import os

    from musicmarkets import sampling

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert sampling.usable_cores() == 2  # PyMC's own guess on such a machine is 1


def test_fit_checked_judges_the_fit_it_returns():
    """One fit-and-judge step: the metrics are the fit's own, and a gate it misses is named."""
    import numpy as np
    import pymc as pm

    from musicmarkets import diagnostics, sampling

    y = np.random.default_rng(1).normal(2.0, 1.0, size=50)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 10.0)
        pm.Normal("y", mu, 1.0, observed=y)
    config = SamplerConfig.from_params(draws=500, tune=500, chains=2, nuts_sampler="pymc")
    lenient = diagnostics.Gates.from_params(ess_min=10, r_hat_max=1.05)
    tree, metrics, failed = sampling.fit_checked(model, config, 3, lenient)
    assert failed == [] and metrics["gates_passed"] and metrics["gates_failed"] == []
    assert metrics["draws"] == 500 and metrics["chains"] == 2 and metrics["wall_seconds"] > 0
    assert abs(float(tree["posterior"]["mu"].mean()) - y.mean()) < 0.3
    strict = diagnostics.Gates.from_params(ess_min=1e9, r_hat_max=1.05)
    _, metrics, failed = sampling.fit_checked(model, config, 3, strict)
    assert len(failed) == 2 and not metrics["gates_passed"]  # bulk and tail ESS named
    assert all("ESS" in f for f in metrics["gates_failed"])
