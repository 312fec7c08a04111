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
# # 62 · Partner report for one market
# One page per market, rendered to `reports/markets/<market>.html` without code (the `partner`
# stage renders every market of `report.partner_markets` in one kernel, so the imports and the
# inputs are loaded once). Every number comes from the fitted models and the metrics files.

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
market = "de"
partner_markets = ["br", "de", "es", "fr", "gb", "in", "it", "us"]

# %% tags=["remove-cell"]
import pandas as pd
from IPython.display import HTML, Markdown, display

from musicmarkets import plots, report, summary
from musicmarkets.report.inputs import ReportInputs

plots.set_style()
inputs = ReportInputs.shared()
paths = inputs.paths
level_priors = {"level_mu_mean": level_mu_mean, "level_mu_sd": level_mu_sd, "beta_sd": beta_sd}
failed, names = inputs.failed, inputs.names
tree, const, market_week = inputs.tree, inputs.constant, inputs.market_week
shifts, weekly, totals, table = inputs.shifts, inputs.weekly, inputs.totals, inputs.table
ranks, coverage = inputs.ranks, inputs.coverage
name = names.get(market, market.upper())
if market not in set(table["market"]):
    raise ValueError(f"market {market!r} is not in the fitted model; add its chart files first")
row = table.set_index("market").loc[market]
bands = inputs.trend_bands(interval)
region_of, history = inputs.region_of, inputs.history
opportunity_check = inputs.opportunity_check(level_priors, interval, seed)

# %%
display(Markdown(f"# {name}: chart consumption, growth and outlook"))
first_forecast_week = weekly["week_start"].min()
display(
    HTML(
        summary.market_header(
            market,
            name,
            market_week,
            history,
            totals,
            interval,
            first_forecast_week,
            summary.report_date(paths.root, market_week["week_start"].max()),
        )
    )
)
display(HTML(summary.trust_line(failed, names, market)))
display(Markdown(report.partner_links(inputs.in_order(partner_markets), names, market)))

# %% [markdown]
# ## In brief

# %%
display(
    Markdown(
        report.market_brief(
            row,
            ranks.loc[market],
            totals,
            shifts,
            market,
            name,
            interval,
            inputs.yoy.set_index("market").loc[market],
            opportunity_ok=opportunity_check["holds"],
            size=inputs.last_year_streams([market]).get(market),
        )
    )
)
display(Markdown(report.plain_words(interval, inputs.lockdown_left)))

# %% [markdown]
# ## Momentum rank among the markets
# Momentum: the growth rate of each market's current trend, per year.

# %%
ax = plots.rank_heatmap(
    ranks,
    names,
    highlight=market,
    title=report.rank_title(ranks, names, focus=market),
    order=inputs.order,  # the executive report's order
)
alt = f"Chance of each momentum rank; {name}: " + ", ".join(
    f"rank {k} {p:.0%}" for k, p in ranks.loc[market].items() if p >= 0.01
)
display(HTML(report.figure_html(ax.figure, alt)))

# %% [markdown]
# ## The next quarters

# %%
display(
    HTML(
        summary.dated_forecast_table(
            totals[totals["key"] == market],
            first_forecast_week,
            interval,
            history,
            horizons=(13, 52),
        )
        .rename(columns={"Market or region": "Market"})
        .to_html(index=False, border=0)
    )
)
stopped = report.early_stop_note(inputs.last_weeks, names, market)
if stopped:
    display(Markdown(stopped))
ax = plots.forecast_fan(
    history,
    weekly,
    market,
    title=summary.forecast_chart_title(name, totals, history, market),
    interval=interval,
)
alt = f"{name}: weekly Top 200 streams, observed and forecast with 50% and {interval:.0%} bands."
display(HTML(report.figure_html(ax.figure, alt)))

# %% [markdown]
# ## Trend against the data
# Dots are observed weekly streams per person; the band is the model's trend with seasonality.

# %%
ax = plots.trend_band(
    bands, market, title=report.trend_title(bands, names, market), interval=interval
)
alt = f"{name}: weekly streams per person with the model trend and its {interval:.0%} band."
display(HTML(report.figure_html(ax.figure, alt)))

# %% [markdown]
# ## Where consumption is shifting
# Change in share of streams from the mean of the first 8 chart weeks outside December to the
# mean of the latest 8 weeks, in share points.

# %%
mine = shifts[shifts["market"] == market]
parts = []
local_ok = bool(report.local_share_readable(shifts).get(market, False))
if local_ok:
    display(Markdown(f"*Local repertoire*: {report.LOCAL_MEASURE}."))
measures = [("local_share", "Local repertoire")] if local_ok else []
for measure, label in [*measures, ("top10_share", "Top 10 tracks")]:
    t = report.share_table(mine, measure, names, interval)
    if len(t):
        parts.append(t.assign(Measure=label))
if parts:
    display(
        HTML(
            pd.concat(parts)[
                ["Measure", "Share now", "Shift since first weeks", "Chance it rose"]
            ].to_html(index=False, border=0)
        )
    )
genres = report.share_table(mine, "genre_mix", names, interval)
if len(genres):
    display(HTML(genres.drop(columns="Market").to_html(index=False, border=0)))
    shown = list(mine.loc[mine["measure"] == "genre_mix", "genre"].unique())
    if grouped := report.genre_families_note(inputs.genre_families, shown):
        display(Markdown(grouped))
else:
    display(Markdown(f"No genre labels cover enough of {name}'s streams to model its genre mix."))
if note := report.withheld_note(inputs.withheld, names, market):
    display(Markdown(note))

# %% [markdown]
# ## Data behind this page

# %%
display(
    HTML(
        report.coverage_table(coverage[coverage["market"] == market], names).to_html(
            index=False, border=0
        )
    )
)
display(
    Markdown(
        "Chart streams count only the 200 most-streamed tracks each week: they measure consumption of hits, not a market's total streaming. The chart data are Spotify's; this page shows aggregates only."
    )
)

# %% [markdown]
# ## How far the numbers can be trusted
# Every check the models went through, with what it means in plain words.

# %%
display(HTML(inputs.trust_section(gates, [market], page_market=market)))
