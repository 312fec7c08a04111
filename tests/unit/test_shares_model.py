"""The share models' published "now" and shifts, on data simulated from the share model's own
generative story with known parameters (one market starts later; December weeks included)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from musicmarkets import validation
from musicmarkets.models import share_summary, shares

WEEKS = pd.date_range("2017-11-03", periods=120, freq="7D")  # Fridays, two Decembers


def simulate(seed: int, shift_recent: float = 0.0) -> tuple[pd.DataFrame, dict]:
    """Local-repertoire shares of two markets from the model: logit mean a + b t + h december,
    AR(1) residuals (phi 0.6), sigma 0.05. ``shift_recent`` moves the last 8 weeks of the
    first market by that much on the logit scale (the model then misses them)."""
    rng = np.random.default_rng(seed)
    truth = {"a": [0.8, -0.4], "b": [0.3, -0.2], "h": [-0.4, -0.2], "phi": 0.6, "sigma": 0.05}
    end = WEEKS[-1]
    rows = []
    for m, (market, start) in enumerate((("br", 0), ("fr", 30))):
        weeks = WEEKS[start:]
        t = ((weeks - end).days / 365.25).to_numpy()
        mean = truth["a"][m] + truth["b"][m] * t + truth["h"][m] * (weeks.month == 12)
        e = np.zeros(len(t))
        for i in range(len(t)):
            e[i] = (truth["phi"] * e[i - 1] if i else 0.0) + rng.normal(0, truth["sigma"])
        z = mean + e
        if m == 0 and shift_recent:
            z[-8:] += shift_recent
        rows.append(
            pd.DataFrame(
                {"market": market, "week_start": weeks, "local_share": 1 / (1 + np.exp(-z))}
            )
        )
    return pd.concat(rows, ignore_index=True), truth


def posterior_at(truth: dict, data: shares.ShareData, draws: int = 400) -> xr.Dataset:
    """A posterior holding the true parameters in every draw (what a well-fitted model is near)."""
    n_m, n_k = len(data.markets), len(data.changepoints)
    rep = lambda v: np.broadcast_to(np.asarray(v, float), (1, draws, *np.shape(v)))  # noqa: E731
    return xr.Dataset(
        {
            "a": (("chain", "draw", "market"), rep(truth["a"])),
            "b": (("chain", "draw", "market"), rep(truth["b"])),
            "h": (("chain", "draw", "market"), rep(truth["h"])),
            "delta": (("chain", "draw", "market", "changepoint"), rep(np.zeros((n_m, n_k)))),
            "phi": (("chain", "draw"), rep(truth["phi"])),
            "sigma": (("chain", "draw", "market"), rep([truth["sigma"]] * n_m)),
        }
    )


def test_baseline_weeks_skip_december_and_recent_weeks_are_the_last():
    panel, _ = simulate(1)
    d = shares.prepare_share(panel, "local_share", ["br", "fr"], 0.002, 26)
    base = share_summary.baseline_rows(d, 0, 8)
    assert len(base) == 8
    assert not (pd.DatetimeIndex(d.week_start[base]).month == 12).any()
    assert pd.Timestamp(d.week_start[base[0]]) == pd.Timestamp("2017-11-03")
    recent = share_summary.recent_rows(d, 1, 8)
    assert pd.Timestamp(d.week_start[recent[-1]]) == WEEKS[-1]
    assert (d.market_idx[recent] == 1).all() and len(recent) == 8


def test_changepoints_reach_the_last_weeks():
    panel, _ = simulate(1)
    d = shares.prepare_share(panel, "local_share", ["br", "fr"], 0.002, changepoint_weeks=26)
    assert d.changepoints.max() > d.t.min() + 0.8 * (d.t.max() - d.t.min())
    assert d.changepoints.max() <= d.t.max() - 8 * 7 / 365.25
    assert np.diff(d.changepoints) == pytest.approx(26 * 7 / 365.25)


def test_now_from_the_true_model_holds_the_data_and_a_moved_market_fails_the_gate():
    panel, truth = simulate(2)
    d = shares.prepare_share(panel, "local_share", ["br", "fr"], 0.002, 26)
    shifts = share_summary.share_shift(posterior_at(truth, d), d, 0.9, 8, seed=3).assign(
        measure="local_share"
    )
    now = share_summary.now_rows(shifts)
    assert list(now.columns) == validation.NOW_COLUMNS
    assert validation.recent_fit_failures(now) == []
    # the shift is measured against the non-December start, in points
    br = shifts.set_index("market").loc["br"]
    assert br["observed_recent"] == pytest.approx(
        panel[panel.market == "br"]["local_share"].iloc[-8:].mean()
    )
    assert (
        br["shift_low"]
        <= 100 * (br["observed_recent"] - br["observed_baseline"])
        <= br["shift_high"]
    )

    moved, _ = simulate(2, shift_recent=0.5)
    dm = shares.prepare_share(moved, "local_share", ["br", "fr"], 0.002, 26)
    now_moved = share_summary.now_rows(
        share_summary.share_shift(posterior_at(truth, dm), dm, 0.9, 8, seed=3).assign(
            measure="local_share"
        )
    )
    failed = validation.recent_fit_failures(now_moved)
    assert len(failed) == 1 and failed[0].startswith("br local_share")


def test_genre_now_rows_name_each_genre():
    shifts = pd.DataFrame(
        {
            "market": ["de", "de"],
            "genre": ["Pop", "Other"],
            "measure": "genre_mix",
            "observed_recent": [0.3, 0.7],
            "end_mean": [0.31, 0.69],
            "end_low": [0.28, 0.66],
            "end_high": [0.34, 0.72],
            "end_mcse": [0.001, 0.001],
        }
    )
    assert share_summary.now_rows(shifts)["measure"].tolist() == ["genre:Pop", "genre:Other"]


def test_interval_bounds_carry_their_monte_carlo_error():
    """For independent normal draws the error of the 95% quantile is sqrt(p(1-p)/N)/density."""
    rng = np.random.default_rng(11)
    draws = rng.standard_normal(4000)
    expected = np.sqrt(0.05 * 0.95 / 4000) / (np.exp(-(1.645**2) / 2) / np.sqrt(2 * np.pi))
    assert validation.interval_mcse(draws, 0.9, chains=4) == pytest.approx(expected, rel=0.25)
    assert validation.interval_mcse(draws[:400], 0.9, chains=4) > 2 * expected


def test_recent_fit_counts_a_miss_only_beyond_monte_carlo_error():
    now = pd.DataFrame(
        {
            "market": ["a", "b", "c"],
            "measure": "streams_per_capita",
            "observed_recent": [1.0001, 1.05, 0.8985],
            "now_mean": 0.95,
            "now_low": 0.9,
            "now_high": 1.0,
            "now_mcse": 0.002,
        }
    )[validation.NOW_COLUMNS]
    failed = validation.recent_fit_failures(now)
    assert failed == ["b streams_per_capita: observed 1.05 outside 0.9 to 1"]
    edges = validation.recent_fit_edges(now)
    assert len(edges) == 2 and edges[0].startswith("a ") and edges[1].startswith("c ")
    # without the Monte Carlo margin the edge case counts as a miss
    assert len(validation.recent_fit_failures(now, margin=0.0)) == 3


def test_recent_window_of_a_stated_model_and_per_market_coverage_gate():
    rng = np.random.default_rng(7)
    labels = pd.DataFrame(
        {
            "market": np.repeat(["a", "b"], 30),
            "week_start": np.tile(pd.date_range("2019-01-04", periods=30, freq="7D"), 2),
        }
    )
    mu = np.where(labels["market"] == "a", 1.0, 2.0)
    y = mu + rng.normal(0, 0.1, len(mu))
    rep = mu[None, :] + rng.normal(0, 0.1, (2000, len(mu)))
    now = validation.recent_window(rep, y, labels, "streams_per_capita", weeks=8, interval=0.9)
    assert now["observed_recent"].tolist() == pytest.approx([y[22:30].mean(), y[52:60].mean()])
    assert validation.recent_fit_failures(now) == []
    y_off = y.copy()
    y_off[52:60] += 0.3  # market b's last 8 weeks jump: outside its interval
    failed = validation.recent_fit_failures(
        validation.recent_window(rep, y_off, labels, "streams_per_capita", 8, interval=0.9)
    )
    assert len(failed) == 1 and failed[0].startswith("b streams_per_capita")
    assert validation.coverage_failures({"a": 0.9, "b": 0.7}, 0.8, 0.97) == [
        "b: 90% predictive intervals held 70% of its weeks (needs 80% to 97%)"
    ]


def test_both_share_models_build_and_simulate():
    """The models the shares stage fits: one share and the genre mix, each from its prepared
    data; the prior predictive has the observations' shape."""
    import pymc as pm

    panel, _ = simulate(4)
    d = shares.prepare_share(panel, "local_share", ["br", "fr"], 0.002, 26)
    model = shares.build_share_model(d, shares.SharePriors.from_params())
    prior = pm.sample_prior_predictive(draws=5, model=model, random_seed=1)
    assert prior["prior_predictive"]["y"].shape == (1, 5, len(d.y))
    # the AR(1) coefficient's prior bound comes from params (shares.priors.phi_max)
    narrow = shares.SharePriors.from_params(phi_max=0.3)
    phi = pm.draw(shares.build_share_model(d, narrow)["phi"], draws=2000, random_seed=2)
    assert -0.3 <= phi.min() < -0.25 and 0.25 < phi.max() <= 0.3
    with pytest.raises(ValueError, match="phi_max"):
        shares.SharePriors.from_params(phi_max=1.0)
    rng = np.random.default_rng(0)
    genres = pd.DataFrame(
        [
            {"market": m, "week_start": w, "genre": g, "share": s}
            for m in ("br", "fr")
            for w in WEEKS[:60]
            for g, s in zip(("Pop", "Rock", "Jazz"), rng.dirichlet([5, 3, 2]), strict=True)
        ]
    )
    dg = shares.prepare_genres(genres, ["br", "fr"], top=2, floor=0.002, changepoint_weeks=26)
    gm = shares.build_genre_model(dg, shares.SharePriors.from_params())
    prior = pm.sample_prior_predictive(draws=5, model=gm, random_seed=1)
    assert prior["prior_predictive"]["y"].shape == (1, 5, len(dg.y), len(dg.categories))


def test_genre_families_sum_their_labels_and_leave_other_labels_alone():
    """Labels of one family count as one genre (their shares summed per market-week); a label
    in no family keeps its name; a label in two families is refused, naming it."""
    week = WEEKS[:2]
    frame = pd.DataFrame(
        {
            "market": ["es"] * 8,
            "week_start": np.repeat(week, 4),
            "genre": ["Urbano latino", "Latino", "Pop", "Rock"] * 2,
            "share": [0.5, 0.1, 0.3, 0.1, 0.4, 0.25, 0.2, 0.15],
        }
    )
    families = {"Latin": ["Urbano latino", "Latino", "Pop Latino"]}
    out = shares.group_genres(frame, families)
    wide = out.pivot_table(index="week_start", columns="genre", values="share")
    assert sorted(wide.columns) == ["Latin", "Pop", "Rock"]
    np.testing.assert_allclose(wide["Latin"], [0.6, 0.65])
    np.testing.assert_allclose(wide["Pop"], [0.3, 0.2])
    np.testing.assert_allclose(wide.sum(axis=1), 1.0)
    d = shares.prepare_genres(frame, ["es"], 1, 0.002, 26, families=families)
    assert d.categories == ["Latin"]
    np.testing.assert_allclose(share_summary.observed_shares(d)[:, 0], [0.6, 0.65])
    with pytest.raises(ValueError, match="'Latino' is in both 'Latin' and 'Tropical'"):
        shares.group_genres(frame, {**families, "Tropical": ["Latino"]})


def test_genre_noise_density_is_the_multivariate_student_t_it_states():
    """Log-ratio noise e[g] - e[Other], one Student-t factor per week: the density equals
    scipy's multivariate t with scale matrix diag(sigma^2) + sigma_other^2 (and the normal as
    nu grows), and its draws have covariance nu / (nu - 2) times that matrix."""
    from scipy import stats

    rng = np.random.default_rng(5)
    mu, sigma, s_o = rng.normal(size=4), np.array([0.1, 0.2, 0.3, 0.15]), 0.25
    x = rng.normal(size=4)
    cov = np.diag(sigma**2) + s_o**2
    for nu in (2.5, 7.0):
        got = shares._ratio_logp(x, mu, sigma, np.float64(s_o), np.float64(nu)).eval()
        assert got == pytest.approx(stats.multivariate_t(mu, cov, df=nu).logpdf(x))
    got = shares._ratio_logp(x, mu, sigma, np.float64(s_o), np.float64(1e8)).eval()
    assert got == pytest.approx(stats.multivariate_normal(mu, cov).logpdf(x), rel=1e-5)
    n, nu = 200_000, 6.0
    draws = shares._ratio_random(
        np.broadcast_to(mu, (n, 4)), sigma, np.full(n, s_o), np.float64(nu), rng=rng
    )
    assert np.cov(draws.T) == pytest.approx(nu / (nu - 2) * cov, abs=0.006)
    # the week's factor is shared: a heavy week is heavy in every log-ratio at once
    big = np.abs(draws - mu).max(axis=1) > 4 * sigma.max()
    assert (np.abs(draws - mu)[big] > 2 * sigma).mean() > 0.5


@pytest.mark.parametrize("tiny", [1e-3, 1e-6, 1e-9])
def test_genre_noise_density_keeps_its_gradient_where_a_genre_noise_nears_zero(tiny):
    """Where one genre's noise scale nears 0 (Other's noise can take its place, so the
    likelihood is flat that way) the density and its gradient in the Other scale still match
    the multivariate t density's (4 degrees of freedom), by central differences of scipy's log
    density. The Woodbury form
    failed this from 1e-6 (a gradient of -8.4 in the vanishing scale, -4.6e9 at 1e-9) and left
    a chain stuck there."""
    import pytensor
    import pytensor.tensor as pt
    from scipy import stats

    rng = np.random.default_rng(11)
    x = rng.normal(size=5) * 0.3
    sigma = np.array([tiny, 0.2, 0.3, 0.4, 0.5])
    s_o = 20.0

    def reference(s_other: float, s0: float) -> float:
        cov = np.diag(np.r_[s0, sigma[1:]] ** 2) + s_other**2
        return stats.multivariate_t(np.zeros(5), cov, df=4.0).logpdf(x)

    sig, so = pt.dvector("sigma"), pt.dscalar("sigma_other")
    logp = shares._ratio_logp(pt.as_tensor(x), pt.zeros(5), sig, so, pt.constant(4.0))
    f = pytensor.function([sig, so], [logp, *pytensor.grad(logp, [sig, so])])
    value, d_sigma, d_other = f(sigma, s_o)
    h = 1e-4
    assert value == pytest.approx(reference(s_o, tiny), abs=1e-8)
    # 1e-5 relative: scipy's density of a nearly singular covariance (a scale of 1e-9) carries
    # about 1e-7 of rounding into the central difference, which differs between CPUs (an
    # Intel Xeon gave -0.04999999 against a difference of -0.05000007 at 1e-6 relative)
    fd_other = (reference(s_o + h, tiny) - reference(s_o - h, tiny)) / (2 * h)
    assert d_other == pytest.approx(fd_other, rel=1e-5)
    if tiny >= 1e-3:
        step = tiny * 1e-3
        fd = (reference(s_o, tiny + step) - reference(s_o, tiny - step)) / (2 * step)
        assert d_sigma[0] == pytest.approx(fd, rel=1e-4)
    else:  # the flat direction: the density hardly moves with the vanishing scale
        assert abs(d_sigma[0]) < 1e-3


def simulate_genres(seed: int) -> tuple[pd.DataFrame, dict]:
    """Genre shares of two markets from the genre model's story: log-ratios to Other with a
    trend that bends at each changepoint (large slope changes, so an error in the slope-change
    term shows), AR(1) noise per genre, no December shift."""
    rng = np.random.default_rng(seed)
    genres = ["Pop", "Rap"]
    end = WEEKS[-1]
    t = ((WEEKS - end).days / 365.25).to_numpy()
    cps = shares.share_changepoints(t, 26)
    hinge = np.minimum(t[:, None] - cps[None, :], 0.0)
    truth = {
        "a": rng.normal(0, 0.5, (2, 2)),
        "b": rng.normal(0, 0.3, (2, 2)),
        "h": np.zeros((2, 2)),
        "delta": rng.normal(0, 1.5, (2, 2, len(cps))),
        "phi": np.array([0.5, 0.5]),
        "sigma": np.full((2, 2), 0.03),
    }
    rows = []
    for m, market in enumerate(("de", "us")):
        mean = truth["a"][m] + truth["b"][m] * t[:, None] + hinge @ truth["delta"][m].T
        z = mean + rng.normal(0, 0.03, mean.shape)
        full = np.exp(np.concatenate([z, np.zeros((len(t), 1))], axis=1))
        comp = full / full.sum(axis=1, keepdims=True)
        for g, genre in enumerate([*genres, "Indie"]):  # Indie: not modelled, becomes Other
            rows.append(
                pd.DataFrame(
                    {"market": market, "week_start": WEEKS, "genre": genre, "share": comp[:, g]}
                )
            )
    return pd.concat(rows, ignore_index=True), truth


def test_genre_baseline_and_now_follow_the_observed_weeks_where_the_trend_bends():
    """The published genre shares at the baseline (early weeks, where every slope change still
    acts) and now match the observed means of the same weeks, when the posterior holds the
    parameters the data came from; and the structural mean of many rows equals that of each row
    alone (the slope changes are each row's own)."""
    frame, truth = simulate_genres(5)
    d = shares.prepare_genres(frame, ["de", "us"], 2, 0.002, 26)
    assert sorted(d.categories) == ["Pop", "Rap"] and len(d.changepoints) >= 3
    order = [["Pop", "Rap"].index(g) for g in d.categories]  # the model's genre order
    truth = {k: (v[..., order, :] if k == "delta" else v[..., order]) for k, v in truth.items()}
    draws = 200
    rep = lambda v: np.broadcast_to(np.asarray(v, float), (1, draws, *np.shape(v)))  # noqa: E731
    mg = ("chain", "draw", "market", "genre")
    post = xr.Dataset(
        {
            "a": (mg, rep(truth["a"])),
            "b": (mg, rep(truth["b"])),
            "h": (mg, rep(truth["h"])),
            "delta": ((*mg, "changepoint"), rep(truth["delta"])),
            "phi": (("chain", "draw", "genre"), rep(truth["phi"])),
            "sigma": (mg, rep(truth["sigma"])),
            "sigma_other": (("chain", "draw", "market"), rep([1e-6, 1e-6])),
            "nu": (("chain", "draw"), rep(1e9)),
        }
    )
    rows = np.arange(0, len(d.y), 7)
    together = share_summary.structural(post, d, rows)
    alone = np.concatenate(
        [share_summary.structural(post, d, rows[i : i + 1]) for i in range(len(rows))], axis=1
    )
    np.testing.assert_allclose(together, alone)
    shifts = share_summary.genre_shift(post, d, 0.9, 8, seed=1)
    for col_obs, col_model in (
        ("observed_baseline", "share_start"),
        ("observed_recent", "share_end"),
    ):
        gap = (shifts[col_model] - shifts[col_obs]).abs()
        assert gap.max() < 0.02, shifts[["market", "genre", col_obs, col_model]]
    shift_obs = 100 * (shifts["observed_recent"] - shifts["observed_baseline"])
    assert (shifts["shift_pts"] - shift_obs).abs().max() < 2.0
