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
