import arviz as az
import numpy as np
import pytest

from musicmarkets import diagnostics


def fake_fit(shift: float = 0.0, divergent: int = 0, seed: int = 0):
    """Draws from a known normal; ``shift`` moves one chain away (non-converged chains)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 1000))
    x[0] += shift
    div = np.zeros((4, 1000), dtype=bool)
    div.flat[:divergent] = True
    energy = rng.normal(size=(4, 1000)).cumsum(axis=1) * 0.05 + rng.normal(size=(4, 1000))
    return az.from_dict(
        {"posterior": {"a": x}, "sample_stats": {"diverging": div, "energy": energy}}
    )


def test_converged_draws_pass_every_gate():
    m = diagnostics.convergence(fake_fit())
    assert m["r_hat_max"] < 1.01 and m["ess_bulk_min"] > 400 and m["divergences"] == 0
    assert diagnostics.check_gates(m, diagnostics.Gates.from_params()) == []


def test_stuck_chain_and_divergences_fail_loudly():
    m = diagnostics.convergence(fake_fit(shift=3.0, divergent=7))
    failed = diagnostics.check_gates(m, diagnostics.Gates.from_params())
    assert any(f.startswith("R-hat") for f in failed)
    assert "7 divergent transitions" in failed


def test_gate_thresholds_come_from_params():
    g = diagnostics.Gates.from_params(ess_min=10_000)
    m = diagnostics.convergence(fake_fit())
    assert any("bulk ESS" in f for f in diagnostics.check_gates(m, g))
    with pytest.raises(ValueError, match="unknown gate keys"):
        diagnostics.Gates.from_params(rhat=1.1)
