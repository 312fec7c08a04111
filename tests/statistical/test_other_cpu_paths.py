"""A posterior computed along another CPU's code paths agrees with this machine's.

Two machines can give posteriors that differ in the bits (their BLAS kernels and vector
instructions round differently); ``musicmarkets compare`` must then say AGREE, and the gates give
the same verdict. The other machine is emulated here, each fit in its own process with empty
compile caches: OpenBLAS's Haswell kernels (those AMD Zen processors run) and numba code generated
for Zen 2, against this machine's own. The production model at reduced size (3 markets x 104
weeks, every term of the default fit) is fitted to data simulated from its priors.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import xarray as xr

from musicmarkets import compare

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

FIT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pymc as pm
    from musicmarkets import io, sampling
    from musicmarkets.models import consumption as cm
    from tests.statistical.test_recovery_and_sbc import design

    structure = cm.Structure.from_params(
        fourier_order=1, changepoint_weeks=26, changepoint_last_weeks=13,
        shock_start="2018-07-06", launches={"m2": "2017-05-05"}, covariates=(),
    )
    data = design(3, 104, 5, structure)
    form = {"level": "centred", "trend": "non_centred", "season": "centred"}
    likelihood = cm.Structure.from_params(likelihood="student_t")
    model = cm.build_model(data, cm.Priors.from_params(), form, likelihood)
    prior = pm.sample_prior_predictive(draws=1, model=model, random_seed=3)["prior"]
    y = cm.simulate_observations(
        prior.to_dataset(), data, np.random.default_rng(3), likelihood="student_t"
    )
    from dataclasses import replace
    model = cm.build_model(replace(data, y=y), cm.Priors.from_params(), form, likelihood)
    config = sampling.SamplerConfig(
        draws=1000, tune=1000, chains=2, target_accept=0.95, nuts_sampler="nutpie"
    )
    tree, _ = sampling.fit(model, config, 11)
    io.write_netcdf(tree, sys.argv[1])
    """
)


CPU_OVERRIDES = ("OPENBLAS_CORETYPE", "NUMBA_CPU_NAME")


def fit_in_a_process(out: Path, caches: Path, cpu: dict[str, str]) -> xr.DataTree:
    """Fit in a fresh process with empty compile caches, along the code paths ``cpu`` names
    (empty: this machine's own)."""
    caches.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in CPU_OVERRIDES} | {
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "PYTENSOR_FLAGS": f"base_compiledir={caches / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(caches / "numba"),
        **cpu,
    }
    subprocess.run([sys.executable, "-c", FIT, str(out)], env=env, check=True)
    return xr.open_datatree(out)


def test_a_posterior_from_another_cpus_code_paths_agrees(tmp_path):
    here = fit_in_a_process(tmp_path / "here.nc", tmp_path / "here", {})
    zen = {"OPENBLAS_CORETYPE": "Haswell", "NUMBA_CPU_NAME": "znver2"}
    other = fit_in_a_process(tmp_path / "other.nc", tmp_path / "other", zen)
    result = compare.compare_summaries(compare.summary(here), compare.summary(other))
    assert len(result.table) >= 20, "too few quantities compared to say anything"
    assert result.agree, result.text()
