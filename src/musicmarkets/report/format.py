"""Numbers and technical tables for people: three significant figures, signed percents and points, intervals, probability words, readable column names."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

UNITS = {"bn": 1e9, "M": 1e6, "k": 1e3, "": 1.0}


def unit_of(value: float) -> str:
    """The suffix ``human_number`` gives ``value``: 'bn', 'M', 'k' or ''."""
    v = abs(float(f"{float(value):.3g}"))
    return next((u for u, scale in UNITS.items() if v >= scale and u), "")


def in_unit(value: float, unit: str) -> str:
    """``value`` in ``unit`` ('bn', 'M', 'k' or ''), three significant figures, thousands
    separated, without the suffix: in_unit(1.01e9, 'M') -> '1,010'."""
    x = float(f"{float(value) / UNITS[unit]:.3g}")
    if x == 0:
        return "0"
    return f"{x:,.{max(0, 2 - int(np.floor(np.log10(abs(x)))))}f}"


def human_number(value: float, unit: str = "") -> str:
    """1234567 -> '1.23 M', 3.4e9 -> '3.40 bn', 7.917e8 -> '792 M': three significant figures
    (with an optional unit after it)."""
    v = float(f"{float(value):.3g}")  # round first: 999.6 M is 1.00 bn
    for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            scaled = v / limit
            # three significant figures: 3.04 bn, 26.5 bn, 792 M
            text = f"{scaled:.{max(0, 2 - int(np.floor(np.log10(abs(scaled)))))}f} {suffix}"
            break
    else:
        text = f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"
    return f"{text} {unit}".strip()


def signed_percent(value: float, decimals: int = 0) -> str:
    """0.213 -> '+21%'; uses a real minus sign for negatives."""
    pct = value * 100
    if decimals == 0 and 0 < abs(pct) < 1:
        decimals = 1  # '+0.4%', never a '+0%' that hides the sign of a small change
    text = f"{pct:+.{decimals}f}%"
    if float(text[:-1]) == 0:
        return "0%"
    return text.replace("-", "\u2212")


def share_percent(value: float) -> str:
    """A share for reading, to one decimal: 0.213 -> '21.3%', 0.042 -> '4.2%', 0.0042 ->
    '0.4%', 0.0004 -> 'under 0.1%' (never a '0%' for a share that is there). One decimal,
    so that a share's interval shows what the checks see: Spain's Other at 34.2% against
    31.7% to 33.5% must not read '34%' against '32% to 34%'."""
    pct = 100 * float(value)
    if pct == 0:
        return "0%"
    return f"{pct:.1f}%" if pct >= 0.1 else "under 0.1%"


def percent_interval(low: float, high: float, decimals: int = 0) -> str:
    return f"{signed_percent(low, decimals)} to {signed_percent(high, decimals)}"


# country names read with "the" in English ("the UK's charts", not "UK's charts")
_WITH_THE = re.compile(
    r"^(US|UK|UAE|USA|United .+|Netherlands|Philippines|Czech Republic|Dominican Republic)$"
)


def with_article(name: str) -> str:
    """'Germany', 'the UK': a country's name as a sentence says it."""
    return f"the {name}" if _WITH_THE.match(name) else name


def possessive(name: str) -> str:
    """'Germany's', 'the UK's', 'the United States\''."""
    return f"{with_article(name)}'" + ("" if name.endswith("s") else "s")


def share_interval(value: float, low: float, high: float) -> str:
    """'21.3% (20.1% to 22.4%)'; a small share whose interval would read '0.2% (0.2% to
    0.2%)' at one decimal gets the decimals that tell its ends apart ('0.21% (0.18% to
    0.24%)'), up to three."""
    for decimals in (1, 2, 3):
        ends = [f"{100 * v:.{decimals}f}%" for v in (low, high)]
        if ends[0] != ends[1] or low == high:
            break
    if decimals == 1:
        return f"{share_percent(value)} ({share_percent(low)} to {share_percent(high)})"
    return f"{100 * value:.{decimals}f}% ({ends[0]} to {ends[1]})"


def signed_points(value: float, decimals: int = 1) -> str:
    """3.44 -> '+3.4 pts' (share points); a real minus sign for negatives; a change that
    rounds to zero reads 'about 0 pts' (never '+0.0 pts' or '+0.01 pts', a sign that says
    nothing)."""
    if round(abs(value), decimals) == 0:
        return "about 0 pts"
    return f"{value:+.{decimals}f} pts".replace("-", "\u2212")


def points_interval(value: float, low: float, high: float, decimals: int = 1) -> str:
    """'+3.4 pts (+1.2 to +5.6 pts)'; a change whose whole interval rounds to zero reads
    'about 0 pts (within 0.1 pts either way)', never three 'about 0 pts'."""
    if all(round(abs(v), decimals) == 0 for v in (value, low, high)):
        return f"about 0 pts (within {10**-decimals:.{decimals}f} pts either way)"
    if any(round(abs(v), decimals) == 0 for v in (low, high)) and decimals < 2:
        # an end that would read 'about 0 pts' beside one that does not: one more decimal
        return points_interval(value, low, high, decimals + 1)
    return f"{signed_points(value, decimals)} ({signed_points(low, decimals)} to {signed_points(high, decimals)})"


def chance(p: float) -> str:
    """A probability as a percentage that never claims certainty a sample cannot show:
    0.003 -> 'under 1%', 0.996 -> 'over 99%', 0.42 -> '42%'."""
    if p < 0.005:
        return "under 1%"
    if p > 0.995:
        return "over 99%"
    return f"{p:.0%}"


def streams_interval(median: float, low: float, high: float, unit: str | None = None) -> str:
    """'877 M (758 to 1,010 M)': the interval in one unit, the median's unless ``unit`` is
    given (a table's)."""
    u = unit_of(median) if unit is None else unit
    suffix = f" {u}" if u else ""
    return f"{in_unit(median, u)}{suffix} ({in_unit(low, u)} to {in_unit(high, u)}{suffix})"


def probability_words(p: float) -> str:
    """A plain-words reading of a probability (IPCC-style calibrated language)."""
    if p >= 0.99:
        return "virtually certain"
    if p >= 0.9:
        return "very likely"
    if p >= 0.66:
        return "likely"
    if p > 0.33:
        return "about as likely as not"
    if p > 0.1:
        return "unlikely"
    return "very unlikely"


def chart_week(week_start: pd.Timestamp) -> str:
    """A chart week as the days it covers (Friday to Thursday): '24–30 Jul 2020',
    '28 Feb–5 Mar 2020', '29 Dec 2017–4 Jan 2018', so that every page writes a week
    one way."""
    first = pd.Timestamp(week_start)
    last = first + pd.Timedelta(days=6)
    if first.year != last.year:
        return f"{first.day} {first:%b %Y}–{last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b}–{last.day} {last:%b %Y}"
    return f"{first.day}–{last.day} {last:%b %Y}"


def significant(value: float, digits: int = 3) -> str:
    """``digits`` significant figures without an exponent, trailing zeros kept so that every
    number of a table shows the same precision: 2084.3 -> '2,084' (never '2.08e+03'),
    0.01234 -> '0.0123', 0.07 -> '0.0700' (beside 0.0687, never '0.07'), 0.000405 ->
    '0.000405' (never '4.05e-04'), -1.5 -> '\u22121.50' (a real minus), 0 -> '0'."""
    v = float(f"{float(value):.{digits - 1}e}")  # rounded first: 99.96 -> 100, not 100.0
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):
        text = f"{float(value):,.0f}"
    else:
        text = f"{v:.{digits - 1 - math.floor(math.log10(abs(v)))}f}"
    return text.replace("-", "\u2212")  # a real minus, as on every page


METHOD_NAMES = {
    "model": "Bayesian model (this report)",
    "random_walk": "Last value (random walk)",
    "drift": "Last value plus average trend (drift)",
    "seasonal_naive": "Same week last year (seasonal naive)",
    "ets": "Exponential smoothing (ETS)",
    "arima": "ARIMA",
    "gbm": "Gradient boosting (machine learning)",
}
VARIANT_NAMES = {
    "hierarchical": "Production model",
    "pooled": "All markets share one growth path",
    "unpooled": "Each market on its own",
    "no_covariates": "Without GDP, internet and population",
    "normal": "Without allowance for unusual weeks (normal errors)",
}
# columns whose values are keys, and the names people read for them
VALUE_NAMES = {"model": VARIANT_NAMES, "method": METHOD_NAMES, "best_baseline": METHOD_NAMES}

# column names of the technical tables, for people
READABLE = {
    "model": "Model",
    "elpd_loo": "ELPD-LOO",
    "elpd_loo_se": "SE",
    "elpd_lfo": "ELPD-LFO",
    "elpd_lfo_se": "SE",
    "blocks": "Market-blocks scored",
    "refits_failed": "Refits that failed their gates",
    "elpd_diff": "Difference to the best",
    "diff_se": "SE of the difference",
    "pareto_k_bad": "Pareto k > 0.7",
    "gates_passed": "Checks passed",
    "ppc_coverage_50": "Inside 50% interval",
    "ppc_coverage_90": "Inside 90% interval",
    "method": "Method",
    "horizon": "Weeks ahead",
    "crps": "CRPS",
    "best_baseline": "Best baseline",
    "baseline_crps": "Baseline CRPS",
    "model_crps": "Model CRPS",
    "diff_mean": "Model minus baseline",
    "diff_low": "Interval low",
    "diff_high": "Interval high",
    "model_no_worse": "Model no worse",
    "origins": "Origins",
}


def readable_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A technical table for reading: named columns, names for keys (model variants,
    forecasting methods), yes/no for booleans, shares as percent,
    the same number of significant digits in every number column, integers as integers."""
    out = table.copy()
    for col in out.columns:
        values = out[col]
        if col in VALUE_NAMES:
            out[col] = values.map(lambda v, names=VALUE_NAMES[col]: names.get(v, v))
        elif values.dtype == bool or set(values.dropna().unique()) <= {True, False}:
            out[col] = values.map({True: "yes", False: "no"}).fillna("")
        elif col.startswith(("ppc_coverage", "coverage", "inside")) or col in (
            "inside 50%",
            "inside 90%",
        ):
            out[col] = values.map(lambda v: f"{v:.0%}" if pd.notna(v) else "")
        elif pd.api.types.is_integer_dtype(values):
            out[col] = values.map(lambda v: f"{v:,}")
        elif pd.api.types.is_float_dtype(values):
            out[col] = values.map(lambda v: significant(v, digits) if pd.notna(v) else "")
    return out.rename(columns=lambda c: READABLE.get(c, c[:1].upper() + c[1:]))


# the consumption model's parameters in words; ``{}`` takes the element (market, region, ...)
PARAMETER_WORDS = {
    "level_mu": "Mean level, log streams per person",
    "level_sigma": "Spread of the market levels",
    "level_market": "Level, {}",
    "beta": "Level per standard deviation of {}",
    "trend_mu": "Mean momentum (trend slope per year)",
    "trend_sigma": "Spread of momentum between markets",
    "trend_region": "Momentum, {}",
    "trend_market": "Momentum, {}",
    "holiday_mu": "Mean year-end effect, {}",
    "shock_mu": "Mean lockdown effect",
    "phi": "Week-to-week persistence, {}",
    "nu": "Heaviness of the weekly noise's tails (degrees of freedom; lower is heavier)",
}
COVARIATE_WORDS = {
    "log_gdp_per_capita": "GDP per person (log)",
    "internet_share": "internet use (share)",
    "log_population": "population (log)",
}


def parameter_words(label: str, names: dict[str, str] | None = None) -> str:
    """'trend_market[us]' -> 'Momentum, US · trend_market[us]': the parameter in words, its
    symbol kept for researchers; a parameter not listed keeps its symbol alone."""
    name, _, element = label.partition("[")
    element = element.rstrip("]")
    words = PARAMETER_WORDS.get(name)
    if words is None:
        return label
    if "{}" in words:
        if not element:
            words = words.replace(", {}", "").replace(" of {}", "")
        else:
            shown = COVARIATE_WORDS.get(element) or (names or {}).get(element, element)
            shown = shown.upper() if shown == element and len(element) == 2 else shown
            words = words.format(shown)
    return f"{words} · {label}"


def readable_summary(
    summary: pd.DataFrame,
    interval: float,
    names: dict[str, str] | None = None,
    order: list[str] | None = None,
) -> pd.DataFrame:
    """ArviZ's posterior summary with named columns and consistent precision; each parameter
    in words beside its symbol (``parameter_words``; ``names``: market code -> name); within
    a parameter, its markets in ``order`` (the pages' one market order) where given."""
    width = f"{interval:.0%}"
    columns = {"mean": "Mean", "sd": "SD", "ess_bulk": "ESS bulk", "ess_tail": "ESS tail"}
    columns |= {
        "r_hat": "R-hat",
        "mcse_mean": "MC error (mean)",
        "mcse_sd": "MC error (SD)",
    }
    if order:
        position = {m: i for i, m in enumerate(order)}
        label = pd.Series(summary.index.astype(str), index=summary.index)
        param = label.str.replace(r"\[.*$", "", regex=True)
        first = {p: i for i, p in reversed(list(enumerate(param)))}  # each parameter's first row
        coord = label.str.extract(r"\[([^\],]+)\]$", expand=False)
        rank = coord.map(lambda c: position.get(c, len(order)) if isinstance(c, str) else 0)
        key = pd.DataFrame({"p": param.map(first), "m": rank, "i": range(len(label))})
        summary = summary.iloc[key.sort_values(["p", "m", "i"]).index.map(label.index.get_loc)]
    out = pd.DataFrame(index=summary.index)
    for col in summary.columns:
        v = summary[col]
        if col.endswith("_lb"):
            label = f"{width} interval low"
        elif col.endswith("_ub"):
            label = f"{width} interval high"
        else:
            label = columns.get(col, col)
        if col.startswith("ess"):
            out[label] = v.map(lambda x: f"{x:,.0f}")
        elif col == "r_hat":
            out[label] = v.map(lambda x: f"{x:.3f}")
        else:
            out[label] = v.map(lambda x: significant(x, 3))
    out.index = [parameter_words(str(k), names) for k in summary.index]
    out.index.name = "Parameter"
    return out
