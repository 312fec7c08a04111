"""One way to fit every model: sampler choice, seeds, timing, an ArviZ DataTree out."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import pymc as pm
import pytensor

from musicmarkets import diagnostics
from musicmarkets.params import ParamsBlock

log = logging.getLogger(__name__)

# Same seed, same bytes, whatever PyTensor's compile cache holds. With numba's fast-math flags
# LLVM may reassociate floating-point sums, and a log density compiled in this process rounds
# differently from the same one loaded from the cache: the production fit's posterior differed
# between a cold and a warm cache (same seed, same machine), and was identical with fast-math
# off. The cache keys carry the flag, so no fast-math entry is reused. Sampling costs about a
# quarter more time (docs/benchmarks.md).
pytensor.config.numba__fastmath = False

SAMPLERS = ("nutpie", "pymc", "numpyro")


@dataclass(frozen=True)
class SamplerConfig(ParamsBlock):
    """Sampler settings (``fit.sampler`` in params.yaml), kept apart from the priors."""

    draws: int
    tune: int
    chains: int
    target_accept: float
    nuts_sampler: str
    block = "sampler"
    path = "fit.sampler"

    def validate(self) -> None:
        if self.nuts_sampler not in SAMPLERS:
            raise ValueError(f"nuts_sampler must be one of {SAMPLERS}, got {self.nuts_sampler!r}")
        if min(self.draws, self.tune, self.chains) < 1 or not 0 < self.target_accept < 1:
            raise ValueError(f"invalid sampler settings: {self}")


def jax_chain_method(backend: str, devices: int, chains: int) -> str:
    """How the JAX backend runs its chains: one per device where there are enough ("parallel");
    on an accelerator with fewer devices than chains, all chains in one vectorized program
    (run one after another they would leave the GPU mostly idle); on a CPU as JAX does anyway."""
    if backend != "cpu" and devices < chains:
        return "vectorized"
    return "parallel"


def usable_cores() -> int:
    """CPU cores this process may run on. PyMC's own guess halves the CPU count (it takes half
    to be hyper-threads), which on a 2-core machine leaves nutpie's chains on one core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fit(model: pm.Model, config: SamplerConfig, seed: int) -> tuple[Any, dict[str, float]]:
    """Sample ``model`` with NUTS; return the DataTree and timings (wall incl. compile)."""
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if config.nuts_sampler == "numpyro":
        import jax

        method = jax_chain_method(jax.default_backend(), jax.local_device_count(), config.chains)
        extra["nuts"] = {"chain_method": method}
    with model:
        idata = pm.sample(
            draws=config.draws,
            tune=config.tune,
            chains=config.chains,
            cores=min(config.chains, usable_cores()),
            target_accept=config.target_accept,
            nuts_sampler=config.nuts_sampler,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
            **extra,
        )
    wall = time.perf_counter() - start
    attrs = idata["posterior"].attrs
    sampling = float(attrs.get("sampling_time", wall))
    log.info("sampled with %s in %.1f s (wall %.1f s)", config.nuts_sampler, sampling, wall)
    return idata, {"wall_seconds": wall, "sampling_seconds": sampling}


def fit_checked(
    model: pm.Model,
    config: SamplerConfig,
    seed: int,
    gates: diagnostics.Gates,
    var_names: list[str] | None = None,
) -> tuple[Any, dict[str, Any], list[str]]:
    """Fit and judge in one step, as every fitting stage does: the DataTree, its convergence
    metrics with the timings and the verdict (``gates_passed``, ``gates_failed``), and the list
    of failed convergence gates (empty when the fit may be published)."""
    tree, timing = fit(model, config, seed)
    metrics = diagnostics.convergence(tree, var_names=var_names)
    failed = diagnostics.check_gates(metrics, gates)
    return tree, metrics | timing | {"gates_passed": not failed, "gates_failed": failed}, failed
