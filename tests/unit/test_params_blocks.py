"""params.yaml is the one source of the model specification's values: the blocks that hold
them (priors, structure, sampler, gates) carry no defaults of their own."""

from __future__ import annotations

import dataclasses

import pytest

from musicmarkets import config, diagnostics, sampling
from musicmarkets.models import consumption, shares

BLOCKS = [
    consumption.Priors,
    consumption.Structure,
    shares.SharePriors,
    sampling.SamplerConfig,
    diagnostics.Gates,
]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.__name__)
def test_a_block_has_no_default_and_reads_params_yaml(block, repo):
    for f in dataclasses.fields(block):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, (
            f"{block.__name__}.{f.name} has a default: it belongs in params.yaml"
        )
    params = config.load_params(repo)
    node = params
    for key in block.path.split("."):
        node = node[key]
    built = block.from_params(params)
    assert {f.name for f in dataclasses.fields(block)} == set(node)
    for name, value in node.items():
        got = getattr(built, name)
        assert (list(got) if isinstance(got, tuple) else got) == value, name


def test_overrides_replace_one_value_and_unknown_keys_are_named(repo):
    params = config.load_params(repo)
    priors = consumption.Priors.from_params(params, trend_sigma=0.25)
    assert priors.trend_sigma == 0.25
    assert priors.level_sigma == params["fit"]["priors"]["level_sigma"]
    with pytest.raises(ValueError, match="unknown prior keys \\['trend_sigmaa'\\]"):
        consumption.Priors.from_params(params, trend_sigmaa=0.25)
