# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["remove-cell"]
# # 60 · Executive report
# Rendered to `reports/index.html` without code. Every number and sentence below is computed from
# the fitted model and the metrics files; nothing is typed by hand.

# %% tags=["parameters"]
seed = 20170106
level_mu_mean = 0.0  # fit.priors: what the opportunity check needs of them
level_mu_sd = 2.0
beta_sd = 0.5
gates = {  # fit.gates: the thresholds the trust panel states
    "r_hat_max": 1.01,
    "ess_min": 400,
    "divergences_max": 0,
    "bfmi_min": 0.3,
    "coverage_90_min": 0.8,
    "coverage_90_max": 0.97,
}
interval = 0.9
partner_markets = ["br", "de", "es", "fr", "gb", "in", "it", "us"]

# %% tags=["remove-cell"]
from IPython.display import HTML, Markdown, display

from musicmarkets import dvcplots, insights, plots, report, summary
from musicmarkets.report.inputs import ReportInputs

plots.set_style()
inputs = ReportInputs.shared()
paths = inputs.paths
level_priors = {"level_mu_mean": level_mu_mean, "level_mu_sd": level_mu_sd, "beta_sd": beta_sd}
fit, backtest, loo = inputs.fit, inputs.backtest, inputs.loo
failed, names = inputs.failed, inputs.names
tree, const, market_week = inputs.tree, inputs.constant, inputs.market_week
shifts, weekly, totals, table = inputs.shifts, inputs.weekly, inputs.totals, inputs.table
ranks, coverage = inputs.ranks, inputs.coverage

# %% tags=["remove-cell"]
# the key series as small CSV files for `dvc plots show` / `dvc plots diff` (aggregates only)
dvcplots.write_report_plots(paths.root, market_week, weekly, table, interval)

# %% tags=["remove-cell"]
order = inputs.order  # the one market order of every chart, table and link on every page
regions_of_two = sorted(totals.loc[totals["level"] == "region", "key"].unique())  # 2+ markets
growth = insights.in_market_order(insights.growth_table(inputs.posterior, names, interval), order)
bands = inputs.trend_bands(interval)
region_of, history = inputs.region_of, inputs.history
# each market's size beside its growth: Top 200 chart streams in its last 52 weeks
streams = inputs.last_year_streams(list(growth["market"]))
labels = names | {r: r for r in set(region_of.values())} | {"all": "All markets"}
opportunity_check = inputs.opportunity_check(level_priors, interval, seed)

# %%
yoy = inputs.yoy
first_forecast_week = weekly["week_start"].min()
display(
    HTML(
        summary.first_screen(
            "Music markets: who grows, how fast, and how sure we are",
            market_week,
            history,
            totals,
            yoy,
            shifts,
            report.local_share_readable(shifts),
            names,
            failed,
            interval,
            first_forecast_week,
            summary.report_date(paths.root, market_week["week_start"].max()),
        )
    )
)

# %%
display(Markdown(report.page_links(inputs.in_order(partner_markets), names)))

# %% [markdown]
# ## Key findings

# %%
display(Markdown(report.growth_headlines(growth, failed, interval, yoy, names, streams)))
display(
    Markdown(
        report.insight_headlines(
            table, totals, shifts, names, interval, insights.last_weeks_total(history, "all", 52)
        )
    )
)

# %%
display(Markdown(report.plain_words(interval, inputs.lockdown_left)))

# %% [markdown]
# ## How far the numbers can be trusted
# Every check the models went through, with what it means in plain words.

# %%
display(HTML(inputs.trust_section(gates, growth["market"])))

# %% [markdown]
# ## Momentum ranking
# Momentum is the growth rate of each market's current trend, per year (the headline growth
# above compares the latest 13 weeks with the same weeks a year earlier; the two answer
# different questions and can differ).

# %%
ax = plots.growth_intervals(
    growth, interval=interval, title=report.growth_title(growth), order=order
)
display(HTML(report.figure_html(ax.figure, report.growth_alt_text(growth, interval))))

# %%
league = report.league_table(growth, interval, streams)
faster = table.set_index("market")["p_faster_than_all"].reindex(growth["market"])
league["Chance it grows faster than all markets together"] = [f"{p:.0%}" for p in faster]
display(HTML(league.to_html(index=False, border=0)))

# %% [markdown]
# Ranks are uncertain too: each row shows the chance of each rank, so a market whose chances
# spread over several ranks has no settled place in the league.

# %%
ax = plots.rank_heatmap(ranks, names, title=report.rank_title(ranks, names), order=order)
median_rank = (ranks.cumsum(axis=1) >= 0.5).idxmax(axis=1)
alt = "Chance of each momentum rank per market: " + "; ".join(
    f"{names.get(m, m.upper())} median rank {r}" for m, r in median_rank.items()
)
display(HTML(report.figure_html(ax.figure, alt)))

# %% [markdown]
# ### How each market's trend bent
# Momentum is the growth rate of a market's trend, in % per year, week by week: it changes
# only where the model lets the trend bend (once a year), and the band is its interval.
# Below the zero line the trend is falling.

# %%
momentum_title = report.momentum_title(table, names)  # trend_change_table's columns
fig = plots.momentum_grid(
    insights.momentum_path(tree, interval), names, interval=interval, order=order
)
display(Markdown(momentum_title + "."))
display(HTML(report.figure_html(fig, "Momentum per market over the weeks: " + momentum_title)))

# %% [markdown]
# ## What the next quarters look like
# Top 200 streams in the next 13 and 52 weeks, with intervals, beside the last 52 weeks as
# charted (the charts below draw every week in between). Regional and
# all-market totals are added up within each simulated future of the markets, so they agree
# with the markets and carry their own uncertainty. A region groups the markets of one UN
# sub-region (its markets in brackets); a region of one market is shown as that market. The forecasts carry on the 2020 lockdown's
# estimated recovery where it was still under way at the latest week, let each market's latest
# growth rate fade over the coming months (a damped trend: a rate learned from the past is not
# taken to last for ever), and let the trend bend again in the future as often as it did in
# the past (about once a year, on dates nobody knows in advance).

# %%
display(
    HTML(
        summary.dated_forecast_table(
            report.with_region_members(
                insights.in_market_order(totals, ["all", *regions_of_two, *order], "key"),
                region_of,
                names,
                order,
            ),
            first_forecast_week,
            interval,
            history,
            horizons=(13, 52),
        ).to_html(index=False, border=0)
    )
)
stopped = report.early_stop_note(inputs.last_weeks, names)
if stopped:
    display(Markdown(stopped))
untested = report.recovery_untested_note(
    [f["origin"] for f in inputs.backtest["fits"]], inputs.lockdown_onset, inputs.lockdown_left
)
if untested:
    display(Markdown(untested))

# %%
keys = ["all", *regions_of_two, *[m for m in order if m in region_of]]
fig = plots.forecast_grid(
    history,
    weekly,
    keys,
    labels,
    interval=interval,
    title=summary.forecast_chart_title("All markets", totals, history),
)
alt = "Forecast fan charts: " + "; ".join(
    f"{r['name']} next {int(r['horizon_weeks'])} weeks {report.human_number(r['streams_median'])} streams"
    for _, r in totals[totals["horizon_weeks"] == totals["horizon_weeks"].max()].iterrows()
)
display(HTML(report.figure_html(fig, alt)))

# %% [markdown]
# ### What we said vs what happened
# Forecasts from earlier runs, scored against the weeks that have arrived since.

# %%
display(Markdown(report.ledger_text(inputs.ledger_scores, names, market_week["week_start"].max())))

# %% [markdown]
# ## Where consumption is shifting
# Shares of each market's Top 200 streams, as modelled: the mean of its first 8 chart weeks
# outside December (holiday music would distort the start) against the mean of its latest 8
# weeks, each checked against the observed weeks. A *share point* is one percentage point of all streams (a share moving from 40% to
# 43% is +3 points). *Local repertoire* is the share of streams on tracks that are not on the
# Global chart that week; *hit concentration* is the share of the ten biggest tracks. Where a
# market's own hits make up the Global chart (more than half of its streams on Global-chart
# tracks: the US and the UK here), the local measure cannot separate domestic from
# international repertoire, and no local-repertoire figure is given for it.

# %% [markdown]
# ### Local repertoire (streams on tracks outside that week's Global chart)

# %%
readable = report.local_share_readable(shifts)
local = shifts[
    (shifts["measure"] == "local_share") & shifts["market"].map(readable).fillna(False)
].assign(label=lambda d: d["market"].map(lambda m: names.get(m, m.upper())))
ax = plots.shift_intervals(
    local,
    "label",
    report.shift_title(local, "label", "Local repertoire"),
    interval=interval,
    order=order,
)
alt = "Change in local-repertoire share per market, points: " + "; ".join(
    f"{r.label} {report.signed_points(r.shift_pts)}" for r in local.itertuples()
)
display(HTML(report.figure_html(ax.figure, alt)))
display(
    HTML(
        report.share_table(
            shifts[shifts["market"].map(readable).fillna(True)],
            "local_share",
            names,
            interval,
            order,
        ).to_html(index=False, border=0)
    )
)

# %% [markdown]
# ### Hit concentration (share of the top 10 tracks)

# %%
display(
    HTML(
        report.share_table(shifts, "top10_share", names, interval, order).to_html(
            index=False, border=0
        )
    )
)

# %% [markdown]
# ### Genre mix
# The most-streamed genres and the rest ("Other"), where genre labels cover at least half of a
# market-week's streams.

# %%
genres = shifts[shifts["measure"] == "genre_mix"].assign(
    label=lambda d: d["market"].map(lambda m: names.get(m, m.upper())) + " · " + d["genre"]
)
biggest = genres.loc[genres["shift_pts"].abs().sort_values(ascending=False).index[:12]]
ax = plots.shift_intervals(
    biggest,
    "label",
    report.shift_title(biggest, "label", "Genre mix"),
    interval=interval,
    order=order,
)
alt = "Largest genre-share shifts: " + "; ".join(
    f"{r.label} {report.signed_points(r.shift_pts)}" for r in biggest.itertuples()
)
display(HTML(report.figure_html(ax.figure, alt)))
if grouped := report.genre_families_note(inputs.genre_families, list(genres["genre"].unique())):
    display(Markdown(grouped))
if left_out := report.genre_left_out(genres, order, names):
    display(Markdown(left_out))
if note := report.withheld_note(inputs.withheld, names):
    display(Markdown(note))

# %% [markdown]
# ## Opportunity markets
# A market that streams less per person than its GDP per person, internet use and population
# predict (from how the other markets relate to them) may have room to grow. A gap is named
# here only when it holds up: each market, left out in turn, must fall inside the interval
# that the other markets and these three figures predict for it, and the gap must keep its sign
# under a narrower and a wider prior.

# %%
if opportunity_check["holds"]:
    display(Markdown(report.opportunity_text(table, names, interval)))
    ax = plots.opportunity_intervals(table, names, interval=interval, order=order)
    alt = "Streams per person against prediction: " + "; ".join(
        f"{names.get(r.market, r.market.upper())} {report.signed_percent(r.opportunity_gap)}"
        for r in table.dropna(subset=["opportunity_gap"]).itertuples()
    )
    display(HTML(report.figure_html(ax.figure, alt)))
else:
    display(
        Markdown(
            "No market is named an opportunity: the check did not hold "
            f"({opportunity_check['reason']}). The gaps are in the technical report, as a "
            "description only."
        )
    )

# %% [markdown]
# ## Each market's trend against the data
# Dots are observed weekly streams per person; the line and band are the model's trend with
# seasonality and its interval. Weeks far outside the band (holidays, big releases) are what
# the model treats as unusual weeks rather than changes of trend.

# %%
fig = plots.trend_grid(
    bands, names, interval=interval, order=order, title=report.trend_title(bands, names)
)
alt = f"Weekly streams per person per market with the model trend and its {interval:.0%} band, one panel per market."
display(HTML(report.figure_html(fig, alt)))

# %% [markdown]
# ## Data coverage and quality
# Weeks of chart data per market. Missing weeks are shown, never filled in.

# %%
gaps = inputs.gaps
display(Markdown(report.quality_text(inputs.ingest, inputs.quarantine, gaps)))

# %%
ax = plots.coverage_timeline(market_week, gaps, order=order, names=inputs.chart_names)
alt = f"Weeks with chart data per market; missing weeks ({len(gaps)}) marked with a cross."
display(HTML(report.figure_html(ax.figure, alt)))
display(HTML(report.coverage_table(coverage, names, order).to_html(index=False, border=0)))

# %% [markdown]
# ## Beyond the eight markets
# Two lighter sources reach more markets. The weekly #1 track's streams per million people is a
# rough gauge of how intensely a market streams its biggest hit (2020, 62 regions); the daily
# Top 50 playlists show how fast each market's hits turn over (2023-2024).

# %%
display(HTML(report.breadth_tables(inputs.no1_scale, inputs.top50_summary, names)))

# %% [markdown]
# ### What each source can and cannot measure

# %%
display(HTML(report.sources_table().to_html(index=False, border=0)))

# %% [markdown]
# ## Appendix: how well the models are checked
# **Backtest.** The model was refitted at eight earlier dates and asked to forecast the year
# that followed, next to simple methods: the last value, the last value plus the average trend,
# the same week last year, exponential smoothing, ARIMA and a machine-learning model (gradient
# boosting). CRPS measures the whole forecast's error, its spread included (lower is better);
# every method is scored the same way. Some of the model's design was chosen while looking at
# earlier backtests, which flatters its scores.

# %%
display(Markdown(report.backtest_text(backtest)))
display(HTML(report.backtest_table(backtest).to_html(index=False, border=0)))

# %% [markdown]
# **Model comparison.** The production model against simpler or different versions of it, by
# how well each predicts a week it did not see (ELPD-LOO; higher is better).

# %%
display(HTML(report.loo_table(loo).to_html(index=False, border=0)))
display(Markdown(report.calibration_text(fit)))

# %% [markdown]
# ## Methods and data, in brief

# %%
display(Markdown(report.methods_text(coverage, names)))

# %% tags=["remove-cell"]
# %load_ext watermark
# %watermark -v -p musicmarkets,pymc,arviz
