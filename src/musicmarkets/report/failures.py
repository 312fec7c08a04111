"""The pages' words for what failed and what they leave out: failed gates in plain words
(one phrase each, or a brief name for the first screen's one line), the share shifts withheld,
the model comparison's verdict, and the measures as people name them."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from musicmarkets.report.format import VARIANT_NAMES, possessive

MEASURE_WORDS = {
    "streams_per_capita": "streams per person",
    "local_share": "local-repertoire share",
    "top10_share": "top-10 share (hit concentration)",
}


# the share models as ``gates_failed`` names them, and as people do
SHARE_MODELS = {
    "local share": "local-repertoire",
    "top10 share": "hit-concentration",
    "genre mix": "genre-mix",
}


def _measure_words(measure: str) -> str:
    if measure == "genre:Other":
        return "share of all other genres ('Other')"
    if measure.startswith("genre:"):
        return f"{measure.split(':', 1)[1]} share"
    return MEASURE_WORDS.get(measure, measure.replace("_", " "))


def _measure_value(measure: str, value: float) -> str:
    """A recent-fit figure as people read it: a share in percent, streams per person as they
    are (3 significant figures)."""
    if measure == "streams_per_capita":
        return f"{value:.3g}"
    return f"{value:.1%}"


def withheld_shifts(
    keys: list[tuple[str, str]] | list[list[str]],
    names: dict[str, str] | None = None,
    market: str | None = None,
) -> str:
    """The share shifts the pages leave out (``shifts_withheld_keys`` of the recent-fit
    metrics: market and measure), named per market: "Spain: top-10 share (hit concentration)
    and Hip-Hop/Rap share; UK: ...". Only ``market``'s, without its name, where given;
    '' when none."""
    names = names or {}
    by: dict[str, list[str]] = {}
    for m, measure in keys:
        if market is None or m == market:
            by.setdefault(m, []).append(_measure_words(measure))
    if market is not None:
        return " and ".join(by.get(market, []))
    return "; ".join(f"{names.get(m, m.upper())}: {' and '.join(w)}" for m, w in by.items())


def genre_left_out(genres: pd.DataFrame, order: list[str], names: dict[str, str]) -> str:
    """'Left out, genre labels cover too little of their streams: India.' for the markets in
    ``order`` without a genre-mix row in ``genres`` (the share shifts of the genre mix), or ''."""
    shown = set(genres["market"])
    out = [names.get(m, m.upper()) for m in order if m not in shown]
    return (
        f"Left out, genre labels cover too little of their streams: {', '.join(out)}."
        if out
        else ""
    )


def genre_families_note(families: dict[str, list[str]] | None, shown: list[str]) -> str:
    """'Latin counts Urbano latino, Latino, Pop Latino and 5 more chart labels together; ...'
    for the families among the genres ``shown`` (``shares.json``'s ``genre_mix.families``),
    or '' when none is."""
    parts = []
    for family, labels in (families or {}).items():
        if family not in shown:
            continue
        named = [x for x in labels if x != family][:3]
        rest = len([x for x in labels if x != family]) - len(named)
        more = f" and {rest} more" if rest else ""
        parts.append(f"{family} counts {', '.join(named)}{more}")
    if not parts:
        return ""
    return (
        "Where the charts give one kind of music several labels, they are counted as one genre: "
        + "; ".join(parts)
        + "."
    )


def withheld_note(
    keys: list[tuple[str, str]] | list[list[str]],
    names: dict[str, str] | None = None,
    market: str | None = None,
) -> str:
    """A line under a page's share tables naming what they leave out and why, or '' when
    nothing is left out (``withheld_shifts``)."""
    what = withheld_shifts(keys, names, market)
    if not what:
        return ""
    one = len(keys if market is None else [k for k in keys if k[0] == market]) == 1
    return (
        f"Not shown above: {what}. For {'this' if one else 'these'} the model's share over the "
        "first 8 weeks outside December does not match the charts' own, so the shift since then "
        "is not reliable."
    )


def _day(value: str) -> str:
    try:
        return f"{pd.Timestamp(value):%-d %b %Y}"
    except ValueError:
        return value


def _measure_brief(measure: str) -> str:
    """A measure in two or three words, for the first screen's one line."""
    if measure == "genre:Other":
        return "'Other' genre share"
    return _measure_words(measure).replace(" (hit concentration)", "")


def plain_failures(
    failed: list[str],
    names: dict[str, str] | None = None,
    page_market: str | None = None,
    brief: bool = False,
) -> list[str]:
    """The failed gates (``gates_failed``) in plain words, one phrase per thing that failed:
    a market's latest weeks (with the measures that missed), a model's convergence, the
    backtest's coverage or a refit. On a market's own page (``page_market``) a miss in another
    market says so: the models are fitted to all markets together, so it holds every page back.
    A gate string of a form not known here is kept as it is, never dropped. ``brief``: each
    thing that failed named in a few words, without figures (the first screen's one line)."""
    names = names or {}

    def name(code: str) -> str:
        return names.get(code, code.upper())

    words = _measure_brief if brief else _measure_words
    recent: dict[str, list[tuple[str, str]]] = {}
    refits: list[str] = []
    out: list[str] = []
    convergence = False
    for gate in failed:
        if m := re.match(
            r"recent fit: (\w+) (.+?): observed ([\d.]+) outside ([\d.]+) to ([\d.]+)", gate
        ):
            figures = [_measure_value(m.group(2), float(v)) for v in m.group(3, 4, 5)]
            recent.setdefault(m.group(1), []).append(
                (words(m.group(2)), f"{figures[0]} (model {figures[1]} to {figures[2]})")
            )
        elif m := re.match(r"recent fit: (\w+) (.+?): observed", gate):
            recent.setdefault(m.group(1), []).append((words(m.group(2)), ""))
        elif m := re.match(r"backtest: refit at ([\d-]+): ", gate):
            if _day(m.group(1)) not in refits:
                refits.append(_day(m.group(1)))
        elif m := re.match(
            r"backtest: 90% intervals held (\d+%) of held-out weeks 1-(\d+) ahead"
            r" \(needs (.+)\)",
            gate,
        ):
            out.append(
                "past forecasts' 90% ranges"
                if brief
                else "forecasts made from earlier data caught too few of the weeks that followed "
                f"in their 90% ranges: {m.group(1)} of weeks 1-{m.group(2)} ahead (needs "
                f"{m.group(3)})"
            )
        elif m := re.match(r"(\w+): 90% predictive intervals held (\d+%)", gate):
            out.append(
                f"{possessive(name(m.group(1)))} 90% ranges on past weeks"
                if brief
                else f"{name(m.group(1))}: the 90% ranges held {m.group(2)} of past weeks"
            )
        elif m := re.match(r"([a-z0-9 ]+) model: ", gate):
            what = SHARE_MODELS.get(m.group(1), m.group(1))
            phrase = f"the {what} model's sampling" + ("" if brief else " did not settle")
            if phrase not in out:
                out.append(phrase)
        elif re.match(r"(R-hat|bulk ESS|tail ESS|E-BFMI|\d+ divergent)", gate):
            convergence = True
        else:
            out.append(gate)
    settle = "" if brief else " did not settle"
    lead = [f"the main model's sampling{settle}"] if convergence else []
    for m, what in recent.items():
        measures = " and ".join(dict.fromkeys(w for w, _ in what))
        if brief:
            n = len(dict.fromkeys(w for w, _ in what))
            lead.append(f"{possessive(name(m))} latest {measures if n == 1 else f'{n} shares'}")
            continue
        elsewhere = (
            " (another market; the models are fitted to all markets together)"
            if page_market is not None and m != page_market
            else ""
        )
        figures = ", ".join(f"{w} {f}" if len(what) > 1 else f for w, f in what if f)
        lead.append(
            f"{possessive(name(m))} latest weeks fall outside the model's range for the {measures}"
            f"{elsewhere}" + (f": {figures}" if figures else "")
        )
    if refits and brief:
        lead.append(f"{len(refits)} forecast test refit{'s' if len(refits) > 1 else ''}")
    elif refits:
        lead.append(f"the forecast test's refit on the weeks up to {' and '.join(refits)}{settle}")
    return lead + out


def draft_words(
    failed: list[str],
    names: dict[str, str] | None = None,
    short: bool = False,
    page_market: str | None = None,
    brief: bool = False,
) -> str:
    """'DRAFT. N checks failed: (1) ...; (2) ...' in plain words (the exact figures are on the technical
    report), or '' when every gate passed. ``short``: each failure by its name only, without
    its figures (the first screen's one line; the trust panel gives them). ``page_market``:
    the market whose page this is (``plain_failures``). ``brief``: one line, 'DRAFT: 2 checks
    failed (Spain's latest 'Other' genre share; past forecasts' 90% ranges).'"""
    if not failed:
        return ""
    if brief:  # two named at most, so that it stays one line
        named = plain_failures(failed, names, page_market, brief=True)
        n = len(named)
        shown = "; ".join(named[:2]) + (f"; and {n - 2} more" if n > 2 else "")
        return f"DRAFT: {n} check{'s' if n != 1 else ''} failed ({shown})."
    phrases = plain_failures(failed, names, page_market)
    if short:
        phrases = [_named(p) for p in phrases]
    n = len(phrases)
    listed = "; ".join(f"({i}) {p}" for i, p in enumerate(phrases, 1)) if n > 1 else phrases[0]
    return f"DRAFT. {n} check{'s' if n != 1 else ''} failed: {listed}."


def _named(phrase: str) -> str:
    """A failure's name without its figures: the words before the first colon, where they say
    what failed ("Spain's latest weeks fall outside the model's range"), else the phrase."""
    lead = phrase.split(": ", 1)[0]
    return lead if ": " in phrase and len(lead.split()) > 2 else phrase


def named_variants(text: str) -> str:
    """``text`` with each model variant's key ('no_covariates') replaced by its name for people
    ('the variant without GDP, internet and population')."""
    for key, name in VARIANT_NAMES.items():
        if key != "hierarchical":
            text = re.sub(rf"\b{key}\b", f"the variant '{name[0].lower() + name[1:]}'", text)
    return text


def _edge_names(edges: list[str], names: dict[str, str] | None) -> str:
    """'US streams per person, Spain Pop share' from ``recent_fit_edges`` lines
    ('us streams_per_capita: observed ...')."""
    out = []
    for line in edges:
        m = re.match(r"(\w+) (.+?): ", line)  # a genre measure holds a colon, not ": "
        if m:
            out.append(
                f"{(names or {}).get(m.group(1), m.group(1).upper())} {_measure_words(m.group(2))}"
            )
        else:
            out.append(line)
    return "; ".join(out)


def loo_words(loo: dict[str, Any]) -> str:
    """The LOO comparison's verdict (``loo.json``) for people: variants by name, and the
    variants whose fit missed its convergence gates named as such, since their scores are not
    to be relied on."""
    text = named_variants(loo["verdict"])
    unsettled = [m["model"] for m in loo.get("models", []) if m.get("gates_passed") is False]
    if unsettled:
        listed = (
            ", ".join(unsettled[:-1]) + " and " + unsettled[-1]
            if len(unsettled) > 1
            else unsettled[0]
        )
        who = named_variants(listed)
        one = len(unsettled) == 1
        text += (
            f"; {who} did not pass {'its' if one else 'their'} convergence checks, so "
            f"{'its score is' if one else 'their scores are'} not to be relied on"
        )
    return text


def failed_refits_words(refits: list[dict[str, Any]]) -> str:
    """The refits (``lfo.json``'s ``refits``) that missed their convergence gates, each with its
    R-hat, bulk ESS and divergent transitions, variants by name; empty when every one passed."""
    unsettled = [r for r in refits if not r["gates_passed"]]
    if not unsettled:
        return ""
    listed = "; ".join(
        f"{r['variant']} at {r['origin']} (R-hat {r['r_hat_max']:.3f}, bulk ESS "
        f"{r['ess_bulk_min']:.0f}, {r['divergences']} divergent transition"
        + ("s)" if r["divergences"] != 1 else ")")
        for r in unsettled
    )
    return "Refits that failed their convergence gates: " + named_variants(listed) + "."
