"""Hierarchical model of weekly chart consumption per capita across markets.

Time ``t`` is in years and is 0 at the panel's latest week, so that ``level`` is today's
consumption and ``slope`` today's growth rate. For market m in region r(m)::

    y[m, t]   = log(top-200 streams per capita)
    mu[m, t]  = level[m] + trend[m](t) + season[m, :] @ fourier(t)
                + holiday[m, :] @ holiday_weeks(t) + shock[m] * lockdown(t) - launch[m](t)
    trend[m](t) = slope[m] * t + sum_j delta[m, j] * min(t - s_j, 0)        (changepoints s_j < 0)
    lockdown(t) = sigmoid((t - onset) / half_week) * exp(-max(t - onset, 0) / recovery)
    launch[m](t) = gap[m] * exp(-(t - launched[m]) / settle)     (markets launched in the data)
    y[m, t]   ~ StudentT(nu, mu[m, t] + phi[m] * (y[m, t-1] - mu[m, t-1]), sigma[m])

so the slope before changepoint ``s_j`` is ``slope[m] + delta[m, j] + ...`` (the deltas of every
later changepoint). Changepoints are counted back from the latest week (the last one
``changepoint_last_weeks`` before it), so today's slope rests on the latest weeks, not on a
stretch frozen years earlier; their deltas are shrunk towards zero. The 2020 lockdown is an
intervention whose onset (prior: ``shock_start``), size per market and recovery time are
estimated; it enters a fit only when the data reach its prior onset (a backtest refit before it
knows nothing of it). A market that launched inside the data (``launches``) starts below its
trend by ``gap[m]`` and closes the gap with time constant ``settle``; weeks that start before its
launch date are partial and are left out of the fit. Pooling (the ``hierarchical`` variant):
``latest[m] = level_mu + beta @ x[m] + e[m]`` with ``x[m]`` the market's standardised covariates
(log GDP per person, internet use, log population) and ``latest[m]`` the level at the market's own
latest week ``T[m]`` (``level[m] = latest[m] - slope[m] * T[m]``; ``T[m] = 0`` for a market whose
data reach the panel's latest week, so that a market whose data stop years earlier is pooled on
what its weeks show, not on a level extrapolated to the panel's end); ``slope[m]`` is pooled within
its region and regions within the world (the region layer sits on growth, where neighbours share a
market's stage of adoption; on the level the covariates already do that job and a region layer made
the 8-market posterior a funnel); changepoint deltas, seasonality, holiday and lockdown effects are
pooled across markets.
Regions are UN M49 sub-regions (or regions) from the country-codes file. A changepoint outside a
market's own weeks is switched off for it (its data cannot inform it).

Variants, compared by ELPD-LOO (`compare` stage): ``pooled`` (every market shares slope,
changepoints, seasonality, holiday and shock; each keeps its own level), ``unpooled`` (every
market on its own, fixed-scale priors, no covariates), ``no_covariates`` and ``normal``
(Gaussian likelihood). The AR(1) term is used only where the previous week of the same market
was observed; the Student-t likelihood keeps release-week spikes from dragging the trend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from musicmarkets.models.design import (  # noqa: F401  (the model's public names, in one place)
    HOLIDAYS,
    WEEK,
    ModelData,
    WeekGrid,
    changepoint_grid,
    fourier_terms,
    hinge,
    holiday_weeks,
    launch_curve,
    lockdown_curve,
    market_covariates,
    markets_to_model,
    prepare,
    week_grid,
)
from musicmarkets.models.modelfile import annotate, sampler_settings, spec  # noqa: F401
from musicmarkets.models.specification import (  # noqa: F401
    COVARIATES,
    LIKELIHOODS,
    PARAMETERIZATIONS,
    VARIANTS,
    Priors,
    Structure,
)

if TYPE_CHECKING:
    import pandas as pd
    import pymc as pm


COMPONENTS = ("level", "trend", "season")


def parameterization_of(value: str | dict[str, str]) -> dict[str, str]:
    """One form for every pooled component, or a dict naming the form of each."""
    form = dict.fromkeys(COMPONENTS, value) if isinstance(value, str) else dict(value)
    if set(form) != set(COMPONENTS):
        raise ValueError(f"parameterization needs exactly {COMPONENTS}, got {sorted(form)}")
    bad = {k: v for k, v in form.items() if v not in PARAMETERIZATIONS}
    if bad:
        raise ValueError(f"parameterization must be one of {PARAMETERIZATIONS}, got {bad}")
    return form


def _pooled(name: str, mu: Any, sigma: Any, dims: tuple[str, ...], form: str) -> Any:
    """A partially pooled vector: centred ``Normal(mu, sigma)`` or non-centred ``mu + sigma * z``."""
    import pymc as pm

    if form == "centred":
        return pm.Normal(name, mu, sigma, dims=dims)
    z = pm.Normal(f"z_{name}", 0.0, 1.0, dims=dims)
    return pm.Deterministic(name, mu + sigma * z, dims=dims)


def _shared(name: str, mu: Any, n_markets: int, dims: tuple[str, ...]) -> Any:
    """Every market takes the population value (the ``pooled`` variant)."""
    import pymc as pm
    import pytensor.tensor as pt

    value = pt.broadcast_to(mu, (n_markets, *pt.as_tensor(mu).shape))
    return pm.Deterministic(name, value, dims=dims)


def build_model(
    data: ModelData,
    priors: Priors,
    parameterization: str | dict[str, str] = "centred",
    structure: Structure | None = None,
    variant: str = "hierarchical",
) -> pm.Model:
    """The consumption model (see the module docstring) for one of ``VARIANTS``.

    ``parameterization`` is ``"centred"``, ``"non_centred"`` or a dict giving the form of
    ``level``, ``trend`` and ``season`` separately: choose it by diagnostics
    (benchmarks/bench_samplers.py compares them). ``structure`` gives the AR(1) term and the
    likelihood (params.yaml's ``fit.model`` when not given; its other terms shaped ``data``
    in ``prepare``). The ``normal`` variant overrides the likelihood.
    """
    import pymc as pm
    import pytensor.tensor as pt

    structure = structure if structure is not None else Structure.from_params()
    ar1, likelihood = structure.ar1, structure.likelihood
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if variant == "normal":
        likelihood = "normal"
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    form = parameterization_of(parameterization)
    n_m, n_f = len(data.markets), data.fourier.shape[1]
    use_cov = variant in ("hierarchical", "normal", "pooled") and data.x.shape[1] > 0
    coords = {
        "market": data.markets,
        "region": data.regions,
        "covariate": data.covariate_names if use_cov else [],
        "fourier": [f"{fn}{k}" for k in range(1, n_f // 2 + 1) for fn in ("sin", "cos")],
        "holiday": list(HOLIDAYS),
        "changepoint": np.round(data.changepoints, 4),
        "obs": np.arange(data.n_obs),
    }
    if data.launched:
        coords["launch"] = [data.markets[i] for i in data.launched]
    p = priors
    with pm.Model(coords=coords) as model:
        # per observation, for readers of the fit (forecasts, reports)
        market_idx = pm.Data("market_idx", data.market_idx, dims="obs")
        pm.Data("t", data.t, dims="obs")
        pm.Data("fourier_x", data.fourier, dims=("obs", "fourier"))
        pm.Data("hinge_x", hinge(data.t, data.changepoints), dims=("obs", "changepoint"))
        has_prev = pm.Data("has_prev", (data.prev_idx >= 0).astype("float64"), dims="obs")
        prev_idx = pm.Data("prev_idx", np.maximum(data.prev_idx, 0), dims="obs")

        # level at each market's own latest week: covariates + market deviation (a market
        # whose data stop years before the others is pooled on the level its weeks show, not
        # on one extrapolated along its slope to the panel's end, which tied level and slope
        # together (correlation 0.99) and made divergent transitions)
        level_mu = pm.Normal("level_mu", p.level_mu_mean, p.level_mu_sd)
        if variant == "unpooled":
            level = pm.Normal("level_latest", level_mu, p.level_mu_sd, dims="market")
        else:
            base = level_mu + np.zeros(n_m)
            if use_cov:
                beta = pm.Normal("beta", 0.0, p.beta_sd, dims="covariate")
                base = base + pm.math.dot(data.x, beta)
                pm.Deterministic(
                    "level_expected", level_mu + pm.math.dot(data.x, beta), dims="market"
                )
            level_sigma = pm.HalfNormal("level_sigma", p.level_sigma)
            level = _pooled("level_latest", base, level_sigma, ("market",), form["level"])

        # trend: slope pooled region -> market, changepoint deltas pooled across markets
        if variant == "unpooled":
            slope = pm.Normal("trend_market", 0.0, p.trend_mu_sd, dims="market")
            z_delta = pm.Normal("z_delta", 0.0, 1.0, dims=("market", "changepoint"))
            delta = pm.Deterministic(
                "delta",
                p.changepoint_sd * z_delta * data.changepoint_mask,
                dims=("market", "changepoint"),
            )
            season = pm.Normal("season_market", 0.0, p.season_sd, dims=("market", "fourier"))
            holiday = pm.Normal("holiday_market", 0.0, p.holiday_sd, dims=("market", "holiday"))
            shock = pm.Normal("shock_market", 0.0, p.shock_sd, dims="market")
        else:
            trend_mu = pm.Normal("trend_mu", 0.0, p.trend_mu_sd)
            delta_mu = pm.Normal("delta_mu", 0.0, p.changepoint_sd, dims="changepoint")
            season_mu = pm.Normal("season_mu", 0.0, p.season_sd, dims="fourier")
            holiday_mu = pm.Normal("holiday_mu", 0.0, p.holiday_sd, dims="holiday")
            shock_mu = pm.Normal("shock_mu", 0.0, p.shock_sd)
            if variant == "pooled":
                slope = _shared("trend_market", trend_mu, n_m, ("market",))
                delta = pm.Deterministic(
                    "delta", delta_mu * data.changepoint_mask, dims=("market", "changepoint")
                )
                season = _shared("season_market", season_mu, n_m, ("market", "fourier"))
                holiday = _shared("holiday_market", holiday_mu, n_m, ("market", "holiday"))
                shock = _shared("shock_market", shock_mu, n_m, ("market",))
            else:
                trend_sigma = pm.HalfNormal("trend_sigma", p.trend_sigma)
                if len(data.regions) > 1:
                    z_tr = pm.Normal("z_trend_region", 0.0, 1.0, dims="region")
                    trend_region = pm.Deterministic(
                        "trend_region", trend_mu + trend_sigma * z_tr, dims="region"
                    )
                    trend_base = trend_region[data.market_region]
                else:
                    trend_base = trend_mu
                slope = _pooled("trend_market", trend_base, trend_sigma, ("market",), form["trend"])
                # centred with a fixed spread (as Prophet's changepoint scale): the deltas are
                # well informed by half a year of weeks each, and a learned spread made a funnel
                delta_raw = pm.Normal(
                    "delta_raw", delta_mu, p.changepoint_sigma, dims=("market", "changepoint")
                )
                delta = pm.Deterministic(
                    "delta", delta_raw * data.changepoint_mask, dims=("market", "changepoint")
                )
                season_sigma = pm.HalfNormal("season_sigma", p.season_sigma)
                season = _pooled(
                    "season_market", season_mu, season_sigma, ("market", "fourier"), form["season"]
                )
                hol_sigma = pm.HalfNormal("holiday_sigma", p.holiday_sigma)
                holiday = _pooled(
                    "holiday_market", holiday_mu, hol_sigma, ("market", "holiday"), "non_centred"
                )
                shock_sigma = pm.HalfNormal("shock_sigma", p.shock_sigma)
                shock = _pooled("shock_market", shock_mu, shock_sigma, ("market",), "non_centred")
        # the slope before the first changepoint: where each market started
        pm.Deterministic("trend_start", slope + delta.sum(axis=-1), dims="market")
        # the level at the panel's latest week (t = 0), which every reader of the fit uses: a
        # market's changepoints after its own latest week are switched off, so its trend from
        # there to t = 0 is its latest slope (equal to ``level_latest`` when its data reach t = 0)
        level = pm.Deterministic("level_market", level - slope * data.market_last_t, dims="market")

        # the structural mean on the market x week grid: every term is a product of a
        # (market, k) parameter matrix with a (k, week) design, whose gradient is another
        # product; the observations are then read off the grid in one gather (indexing the
        # parameters per observation instead made the gradient a scatter per term, which took
        # half of each gradient evaluation)
        grid = week_grid(data)
        grid_mu = (
            level[:, None]
            + slope[:, None] * grid.t[None, :]
            + pt.dot(delta, grid.hinge.T)
            + pt.dot(season, grid.fourier.T)
        )
        if data.has_holiday:
            pm.Data("holiday_x", data.holiday, dims=("obs", "holiday"))
            grid_mu = grid_mu + pt.dot(holiday, grid.holiday.T)
        if data.has_shock:
            pm.Data("shock_x", data.shock, dims="obs")
            onset = pm.Normal("shock_onset", data.shock_onset_t, p.shock_onset_sd_weeks * WEEK)
            recovery = pm.LogNormal(
                "shock_recovery", np.log(p.shock_recovery_weeks * WEEK), p.shock_recovery_sd
            )
            curve = lockdown_curve(grid.t, onset, recovery, xp=pt)
            grid_mu = grid_mu + shock[:, None] * curve[None, :]
        if data.launched:
            gap = pm.HalfNormal("launch_gap", p.launch_sd, dims="launch")
            settle = pm.LogNormal(
                "launch_settle", np.log(p.launch_settle_weeks * WEEK), p.launch_settle_sd
            )
            launched = data.launch_t[data.launched]
            curves = launch_curve(grid.t[None, :], launched[:, None], settle, xp=pt)
            pick = np.zeros((n_m, len(data.launched)))
            pick[data.launched, np.arange(len(data.launched))] = 1.0
            grid_mu = grid_mu - pt.dot(pick, gap[:, None] * curves)
        flat_mu = grid_mu.reshape((-1,))
        mu = flat_mu[grid.cell]
        sigma = pm.HalfNormal("sigma_market", p.noise_sigma, dims="market")
        y_obs = pm.Data("y_log", data.y, dims="obs")
        if ar1:
            # persistence differs by market (Brazil's residuals keep 0.6 of their value after
            # 4 weeks, Spain's 0.2): one coefficient each, pooled on the atanh scale (prior
            # centre tanh(1) = 0.76). Left free, or pooled loosely (sd 0.25-0.5), India's short
            # series (80 weeks) drifted towards a random walk (phi 0.97-0.98) that absorbed its
            # trend, whose chains then disagreed (R-hat 1.012-1.016); a spread of 0.1 on the
            # atanh scale still lets the coefficients range from 0.57 to 0.96
            phi_mu = pm.Normal("phi_mu", p.phi_mu_mean, p.phi_mu_sd)
            phi_sigma = pm.HalfNormal("phi_sigma", p.phi_sigma)
            # non-centred: a market with few weeks (India at an early backtest origin) is
            # barely informed, and its centred coefficient made a funnel (divergences)
            z_phi = pm.Normal("z_phi", 0.0, 1.0, dims="market")
            phi_raw = phi_mu + phi_sigma * z_phi
            phi = pm.Deterministic("phi", 0.99 * pt.tanh(phi_raw), dims="market")
            mu = mu + phi[market_idx] * has_prev * (y_obs[prev_idx] - flat_mu[grid.prev_cell])
        if likelihood == "student_t":
            nu = pm.Gamma("nu", p.nu_alpha, p.nu_beta)
            pm.StudentT("y", nu=nu, mu=mu, sigma=sigma[market_idx], observed=y_obs, dims="obs")
        else:
            pm.Normal("y", mu=mu, sigma=sigma[market_idx], observed=y_obs, dims="obs")
    return model


def _stack(posterior: Any, name: str) -> np.ndarray:
    """(chain*draw, ...) array of a posterior variable (zero-size dimensions allowed)."""
    da = posterior[name].transpose("chain", "draw", ...)
    arr = da.to_numpy()
    return arr.reshape(arr.shape[0] * arr.shape[1], *arr.shape[2:])


def mean_at(
    posterior: Any,
    market_idx: np.ndarray,
    t: np.ndarray,
    fourier: np.ndarray,
    changepoints: np.ndarray,
    holiday: np.ndarray | None = None,
    shock: np.ndarray | None = None,
    launch_t: np.ndarray | None = None,
) -> np.ndarray:
    """Posterior draws of the structural mean (no AR noise) at any market-times, (sample, n).

    The lockdown and launch curves are evaluated at ``t`` from their estimated onset, recovery
    and settling times (``shock`` is then only read by fits made before these were estimated,
    as a 0/1 window); ``launch_t`` gives each market's launch on the t scale (NaN: none)."""
    s = {
        k: _stack(posterior, k) for k in ("level_market", "trend_market", "delta", "season_market")
    }
    mu = (
        s["level_market"][:, market_idx]
        + s["trend_market"][:, market_idx] * t
        + np.einsum("snk,nk->sn", s["delta"][:, market_idx, :], hinge(t, changepoints))
        + np.einsum("snf,nf->sn", s["season_market"][:, market_idx, :], fourier)
    )
    if holiday is not None and "holiday_market" in posterior:
        hol = _stack(posterior, "holiday_market")[:, market_idx]  # (sample, n, holiday)
        if hol.ndim == 2:  # fits made before the year-end weeks were split: one column
            hol = hol[..., None]
        mu = mu + np.einsum("snk,nk->sn", hol, np.asarray(holiday).reshape(len(market_idx), -1))
    if "shock_onset" in posterior:
        onset = _stack(posterior, "shock_onset")[:, None]
        recovery = _stack(posterior, "shock_recovery")[:, None]
        curve = lockdown_curve(np.asarray(t)[None, :], onset, recovery)
        mu = mu + _stack(posterior, "shock_market")[:, market_idx] * curve
    elif shock is not None and "shock_market" in posterior:
        mu = mu + _stack(posterior, "shock_market")[:, market_idx] * shock
    if "launch_gap" in posterior and launch_t is not None:
        markets = [str(m) for m in posterior["market"].to_numpy()]
        gap = np.zeros((mu.shape[0], len(markets)))
        for j, m in enumerate(str(x) for x in posterior["launch"].to_numpy()):
            gap[:, markets.index(m)] = _stack(posterior, "launch_gap")[:, j]
        start = np.asarray(launch_t, dtype=float)[market_idx]
        has = np.isfinite(start)
        settle = _stack(posterior, "launch_settle")[:, None]
        curve = launch_curve(np.asarray(t)[None, has], start[None, has], settle)
        mu[:, has] = mu[:, has] - gap[:, market_idx[has]] * curve
    return mu


def structural_mean(posterior: Any, constant: Any) -> np.ndarray:
    """Posterior draws of level + trend + season (+ holiday, shock) per observation,
    shape (chain*draw, obs). ``posterior`` and ``constant`` are xarray Datasets of a fitted
    model's posterior and constant_data groups."""
    get = lambda k: constant[k].to_numpy() if k in constant else None  # noqa: E731
    cps = (
        constant["changepoint_t"].to_numpy()
        if "changepoint_t" in constant
        else (np.asarray(posterior["changepoint"].to_numpy(), dtype=float))
    )
    return mean_at(
        posterior,
        constant["market_idx"].to_numpy(),
        constant["t"].to_numpy(),
        constant["fourier_x"].to_numpy(),
        cps,
        get("holiday_x"),
        get("shock_x"),
        get("launch_t"),
    )


def fitted_mean(posterior: Any, constant: Any) -> np.ndarray:
    """Posterior draws of the model's one-step fitted value per observation, (chain*draw, obs):
    the structural mean plus the AR(1) carry-over of the previous week's residual. This is the
    model's smoothed level: the week's own innovation (the noise) is excluded, the persistence the
    model estimated is kept. Without an AR(1) term it is the structural mean."""
    mu = structural_mean(posterior, constant)
    if "phi" not in posterior or "prev_idx" not in constant:
        return mu
    phi = _stack(posterior, "phi")
    phi = phi[:, None] if phi.ndim == 1 else phi[:, constant["market_idx"].to_numpy()]
    prev = constant["prev_idx"].to_numpy().astype(int)
    has = constant["has_prev"].to_numpy()
    y = constant["y_log"].to_numpy()
    return mu + phi * has * (y[prev][None, :] - mu[:, prev])


def simulate_observations(
    params: Any, data: ModelData, rng: np.random.Generator, likelihood: str = "student_t"
) -> np.ndarray:
    """Log streams per capita simulated from the model's generative story for one parameter
    set (``params``: a Dataset shaped like a posterior with one chain and one draw), in the
    observation order of ``data``: the AR(1) residual runs forward week by week per market."""
    mu = mean_at(
        params,
        data.market_idx,
        data.t,
        data.fourier,
        data.changepoints,
        data.holiday,
        data.shock,
        data.launch_t,
    )[0]
    one = lambda k: params[k].to_numpy().reshape(-1) if k in params else None  # noqa: E731
    sigma = one("sigma_market")[data.market_idx]
    phi = (
        np.broadcast_to(one("phi"), (len(data.markets),))[data.market_idx]
        if "phi" in params
        else np.zeros(data.n_obs)
    )
    if likelihood == "student_t":
        noise = rng.standard_t(float(one("nu")[0]), size=data.n_obs) * sigma
    else:
        noise = rng.standard_normal(data.n_obs) * sigma
    y = np.empty(data.n_obs)
    for i in range(data.n_obs):  # observations are sorted by market, then week
        prev = data.prev_idx[i]
        ar = phi[i] * (y[prev] - mu[prev]) if prev >= 0 else 0.0
        y[i] = mu[i] + ar + noise[i]
    return y


def regions_from(covariates: pd.DataFrame, structure: Structure) -> dict[str, str]:
    """Each market's region at the structure's ``region_level``, from the covariates table."""
    level = structure.region_level
    return covariates.drop_duplicates("market").set_index("market")[level].to_dict()


def set_up(
    panel: pd.DataFrame,
    markets: list[str],
    structure: Structure,
    regions: dict[str, str],
    priors: Priors,
    parameterization: str | dict[str, str],
    variant: str = "hierarchical",
) -> tuple[ModelData, pm.Model]:
    """The model's arrays (`prepare`) and its PyMC graph (`build_model`) in one step, as the fit,
    the variants, the sensitivity fit and every backtest refit build them."""
    data = prepare(panel, markets, structure, regions)
    return data, build_model(data, priors, parameterization, structure, variant=variant)
