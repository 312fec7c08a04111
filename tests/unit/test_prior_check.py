"""The prior predictive check: simulated from the priors alone, summarised per week and market,
and a market whose data the priors all but rule out is flagged."""

import dataclasses

import numpy as np
import pytest

from musicmarkets.models import consumption as cm
from musicmarkets.models import prior_check
from tests.unit.test_consumption_model import simulated_panel


@pytest.fixture(scope="module")
def setup():
    panel = simulated_panel(3, 60)
    structure = cm.Structure.from_params(changepoint_weeks=13, covariates=(), launches={})
    data = cm.prepare(panel, ["m0", "m1", "m2"], structure, {"m0": "a", "m1": "a", "m2": "b"})
    model = cm.build_model(data, cm.Priors.from_params(), "non_centred", structure)
    return data, model, structure


def test_nothing_observed_enters_the_simulation(setup):
    data, model, structure = setup
    moved = dataclasses.replace(data, y=data.y + 10.0)
    a = prior_check.simulate(data, model, 20, 3, structure.likelihood)
    b = prior_check.simulate(moved, model, 20, 3, structure.likelihood)
    assert a.shape == (20, data.n_obs)
    np.testing.assert_array_equal(a, b)


def test_bands_and_percentiles_per_market(setup):
    data, model, structure = setup
    sims = prior_check.simulate(data, model, 200, 4, structure.likelihood)
    weekly, markets = prior_check.summarise(sims, data, 0.9)
    assert len(weekly) == data.n_obs and markets["market"].tolist() == data.markets
    assert (weekly["prior_low"] <= weekly["prior_median"]).all()
    assert (weekly["prior_median"] <= weekly["prior_high"]).all()
    assert np.allclose(weekly["observed"], np.exp(data.y))
    # the panel's levels are drawn near the prior's centre: no conflict
    assert not markets["conflict"].any() and markets["percentile"].between(0, 100).all()
    # the same weeks times e^30 (10^13 streams per person a week): the priors rule them out
    far = dataclasses.replace(data, y=data.y + 30.0)
    _, flagged = prior_check.summarise(sims, far, 0.9)
    assert flagged["conflict"].all() and (flagged["percentile"] > 99).all()


def test_simulations_must_match_the_observed_weeks(setup):
    data, _, _ = setup
    with pytest.raises(ValueError, match="simulated weeks"):
        prior_check.summarise(np.zeros((5, data.n_obs - 1)), data, 0.9)


def test_the_report_states_the_check_and_names_a_conflict(setup):
    from musicmarkets import report

    data, model, structure = setup
    sims = prior_check.simulate(data, model, 200, 5, structure.likelihood)
    _, fine = prior_check.summarise(sims, data, 0.9)
    check = prior_check.metrics(fine, 200, 0.9)
    assert check["conflicts"] == [] and set(check["markets"]) == set(data.markets)
    assert report.prior_check_title(check).endswith("every market's data fall inside")
    assert "No market's data sit in the far tails" in report.prior_check_text(check, {})
    _, far = prior_check.summarise(sims, dataclasses.replace(data, y=data.y + 30.0), 0.9)
    conflict = prior_check.metrics(far, 200, 0.9)
    assert conflict["conflicts"] == data.markets
    assert "rule out M0, M1, M2's data" in report.prior_check_title(conflict)
    assert "Market zero" in report.prior_check_text(conflict, {"m0": "Market zero"})
