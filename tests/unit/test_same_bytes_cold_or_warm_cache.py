"""A fit gives the same draws whether PyTensor compiles its log density afresh or loads it from
the compile cache: the cause of runs that differed on one machine with the same seed."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two fits in fresh processes, about a minute

FIT = """
import sys
import numpy as np
from musicmarkets import sampling
from musicmarkets.models import consumption as cm
from tests.unit.test_consumption_model import simulated_panel

data = cm.prepare(simulated_panel(3, 80, 0), ["m0", "m1", "m2"], cm.Structure.from_params(covariates=()))
model = cm.build_model(data, cm.Priors.from_params(), "non_centred")
config = sampling.SamplerConfig.from_params(draws=150, tune=150, chains=2)
tree, _ = sampling.fit(model, config, 7)
post = tree["posterior"].to_dataset()
np.savez(sys.argv[1], **{v: post[v].to_numpy() for v in post if post[v].size})
"""


def test_a_fit_from_a_cold_cache_equals_one_from_a_warm_cache(tmp_path, repo):
    env = os.environ | {
        "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'compiledir'}",
        "PYTHONPATH": str(repo),
    }
    draws = []
    for run in ("cold", "warm"):  # the first run fills the empty cache, the second reads it
        out = tmp_path / f"{run}.npz"
        subprocess.run([sys.executable, "-c", FIT, str(out)], cwd=repo, env=env, check=True)
        draws.append(np.load(out))
    cold, warm = draws
    assert sorted(cold.files) == sorted(warm.files)
    differ = {k: float(np.abs(cold[k] - warm[k]).max()) for k in cold.files}
    assert not any(differ.values()), f"cold and warm cache gave other draws: {differ}"
