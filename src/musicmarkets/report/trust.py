"""The trust panel: which gates failed, its rows, and provenance (commit, params, panel and
model digests, one run identifier). The words for what failed are in ``failures``."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from musicmarkets.report.failures import (
    _edge_names,
    draft_words,
    loo_words,
    plain_failures,
    withheld_shifts,
)
from musicmarkets.report.format import chart_week
from musicmarkets.report.templating import render


def gates_failed(
    fit: dict[str, Any],
    shares: dict[str, Any] | None = None,
    backtest: dict[str, Any] | None = None,
    recent: dict[str, Any] | None = None,
) -> list[str]:
    """Every failed gate of the models a report draws on, named for people: what each stage
    recorded in its metrics (``gates_failed``), never decided again here (``recent``: the
    ``recent_fit`` gate's metrics, every published "now" against the observed weeks)."""
    failed = list(fit.get("gates_failed", []))
    if recent is not None:
        failed += [f"recent fit: {g}" for g in recent.get("gates_failed", [])]
    for name, m in (shares or {}).items():
        if isinstance(m, dict) and m.get("gates_failed"):
            failed += [f"{name.replace('_', ' ')} model: {g}" for g in m["gates_failed"]]
    if backtest is not None:
        failed += [f"backtest: {g}" for g in backtest.get("gates_failed", [])]
    return failed


def _share(value: float) -> str:
    return f"{value:.0%}"


@dataclass(frozen=True)
class Check:
    """One row of the trust panel: the check with its threshold, what it means in plain words,
    the result, and whether it passed (None: a figure to read, not a gate)."""

    check: str
    meaning: str
    result: str
    ok: bool | None


def trust_rows(
    shares: dict[str, Any],
    backtest: dict[str, Any],
    loo: dict[str, Any],
    fit: dict[str, Any] | None = None,
    recent: dict[str, Any] | None = None,
    gates: dict[str, float] | None = None,
    names: dict[str, str] | None = None,
) -> list[Check]:
    """Trust-panel rows beyond the consumption fit's convergence; each threshold is the one the
    gate used (``gates``: ``fit.gates`` of params.yaml; the backtest's range from its metrics);
    pass or fail as the stage recorded it."""
    gates = gates or {}
    share_ok = [k for k, m in shares.items() if isinstance(m, dict) and m.get("gates_passed")]
    share_all = [k for k, m in shares.items() if isinstance(m, dict) and "gates_passed" in m]
    rows = []
    if fit is not None and "ppc_coverage_90_by_market" in fit:
        by = fit["ppc_coverage_90_by_market"]
        low, high = gates["coverage_90_min"], gates["coverage_90_max"]
        rows.append(
            Check(
                f"Weeks inside the 90% interval, market by market (each needs {_share(low)} to "
                f"{_share(high)})",
                "Should: past weeks fall inside the model's 90% ranges about 9 times in 10, in every market.",
                f"{min(by.values()):.0%} to {max(by.values()):.0%} across {len(by)} markets",
                all(low <= v <= high for v in by.values()),  # the fit's gate, same bounds
            )
        )
    if recent is not None:
        edges = recent.get("at_the_edge", [])
        missed = plain_failures([f"recent fit: {g}" for g in recent.get("gates_failed", [])], names)
        note = (
            f"; {len(edges)} pass only narrowly, so close to a bound that another run could "
            f"decide otherwise ({_edge_names(edges, names)})"
            if edges
            else ""
        )
        rows.append(
            Check(
                "Latest weeks inside the interval of every 'now' the report states",
                "Should: each market's latest weeks agree with what the report says about its latest weeks.",
                f"{recent['checked'] - recent['outside']} of {recent['checked']}"
                + (f"; missed: {'; '.join(missed)}" if missed else "")
                + note,
                recent["outside"] == 0,
            )
        )
        if "headlines_checked" in recent:
            out = recent.get("headlines_withheld", [])
            codes = [line.split(" ", 1)[0] for line in out]
            who = ", ".join((names or {}).get(c, c.upper()) for c in codes)
            rows.append(
                Check(
                    "Growth headlines (year on year) that match the charts' own figure",
                    "Where the model's growth figure disagrees with the charts, the report "
                    "shows the charts' figure instead.",
                    f"{recent['headlines_checked'] - len(out)} of {recent['headlines_checked']}"
                    + (f"; withheld, the charts' figure shown instead: {who}" if out else ""),
                    None,
                )
            )
        if "shifts_checked" in recent:
            out = recent.get("shifts_withheld", [])
            rows.append(
                Check(
                    "Share shifts whose starting point matches the charts",
                    "A shift whose starting share disagrees with the charts is left out.",
                    f"{recent['shifts_checked'] - len(out)} of {recent['shifts_checked']} shown"
                    + (
                        f"; left out: {withheld_shifts(recent['shifts_withheld_keys'], names)}"
                        if out and "shifts_withheld_keys" in recent
                        else f"; left out: {len(out)}"
                        if out
                        else ""
                    ),
                    None,
                )
            )
    low, high = backtest["coverage_90_range"]  # the range the backtest stage was held to
    refits = backtest.get("fits", [])
    refits_ok = sum(not f.get("gates_failed") for f in refits)
    cov = backtest["model_coverage_90"]
    return rows + [
        Check(
            "Share models passing every convergence gate",
            "Should: the genre, local-repertoire and hit-concentration models all settle.",
            f"{len(share_ok)} of {len(share_all)}",
            len(share_ok) == len(share_all),
        ),
        Check(
            "Backtest refits passing every convergence gate",
            "Should: the model, refitted on earlier data at each test date, settles every time.",
            f"{refits_ok} of {len(refits)}",
            refits_ok == len(refits),
        ),
        Check(
            f"Backtest: held-out weeks 1-{backtest['gate_weeks']} ahead inside the 90% "
            f"interval (needs {_share(low)} to {_share(high)})",
            "Should: forecasts made from earlier data hold the weeks that followed (weeks 1 to "
            f"{backtest['gate_weeks']} ahead, together) inside their 90% ranges about 9 times "
            "in 10.",
            f"{cov:.0%} of {backtest['model_coverage_90_n']}",
            bool(backtest["coverage_90_in_target"]),
        ),
        Check(
            "Model comparison (ELPD-LOO)",
            "Would a simpler variant of the model predict left-out weeks as well?",
            re.sub(r"\(se ([\d.]+)\)", r"(give or take \1)", loo_words(loo)),
            None,
        ),
    ]


def file_digest(path: Path, length: int = 12) -> str:
    """Short SHA-256 of a file, or 'missing'."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:length]


# pipeline outputs: writing them is what a run does, not a change of the code that made it
OUTPUTS = ("dvc.lock", "reports", "data", "models", "benchmarks/results")


def git_commit(root: Path) -> str:
    """The checked-out commit, with '+changes' when tracked source differs from it (pipeline
    outputs excluded), or 'unknown'."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."]
            + [f":(exclude){p}" for p in OUTPUTS],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}+changes" if dirty else sha


def provenance(root: Path, model: Path) -> dict[str, str]:
    """What made a report: the commit, short hashes of the settings (params.yaml), the market-week panel and
    the model, and one run identifier from all four that every page of a run shares."""
    parts = {
        "git commit": git_commit(root),
        "settings": file_digest(root / "params.yaml"),
        "data (market-week panel)": file_digest(root / "data/processed/market_week.parquet"),
        "model file": file_digest(model),
    }
    run_id = hashlib.sha256("|".join(parts.values()).encode()).hexdigest()[:12]
    return {"run": run_id} | parts


VERDICT = {True: ("pass", "Pass"), False: ("fail", "Fail"), None: ("note", "Read")}


def trust_panel(
    metrics: dict[str, Any],
    failed: list[str],
    freshness: pd.DataFrame,
    provenance: dict[str, str],
    extra_rows: list[Check] | None,
    gates: dict[str, float],
    names: dict[str, str] | None = None,
    detail: bool = False,
    page_market: str | None = None,
) -> str:
    """HTML block of the trust panel: one row per check (what it means in plain words, the
    result, pass or fail), data freshness, what made the page; on a market's page
    (``page_market``) a miss in another market says so.

    A failed gate turns the panel red and stamps the page DRAFT, naming in plain words what
    failed; ``detail`` (the technical report) adds each failed gate's exact figures.
    ``gates``: the thresholds the fit was held to (``fit.gates`` of params.yaml; no default
    here, so that a page never states a threshold the fit was not held to).
    """
    g = gates
    ess = min(metrics["ess_bulk_min"], metrics["ess_tail_min"])
    rows = [
        Check(
            f"Convergence (R-hat, max; needs ≤ {g['r_hat_max']:g})",
            "Should: four independent runs of the sampler agree.",
            f"{metrics['r_hat_max']:.3f}",
            metrics["r_hat_max"] <= g["r_hat_max"],
        ),
        Check(
            f"Effective draws (ESS, min bulk / tail; needs ≥ {g['ess_min']:g})",
            "Should: enough independent draws to pin down every figure.",
            f"{metrics['ess_bulk_min']:,.0f} / {metrics['ess_tail_min']:,.0f}",
            ess >= g["ess_min"],
        ),
        Check(
            f"Divergent transitions (needs at most {g['divergences_max']:g})",
            "Should: the sampler never meets a region it cannot explore.",
            f"{metrics['divergences']}",
            metrics["divergences"] <= g["divergences_max"],
        ),
        Check(
            f"Energy diagnostic (E-BFMI, min; needs > {g['bfmi_min']:g})",
            "Should: the sampler moves freely between likely and unlikely values.",
            f"{metrics['bfmi_min']:.2f}",
            metrics["bfmi_min"] > g["bfmi_min"],
        ),
        *(extra_rows or []),
    ]
    latest = freshness["last_week"].max()
    fresh = ", ".join(
        f"{(names or {}).get(r.market, str(r.market).upper())} {chart_week(r.last_week)}"
        for r in freshness.itertuples()
    )
    return render(
        "trust_panel.html.j2",
        failed=failed,
        draft=draft_words(failed, names, page_market=page_market) if failed else "",
        rows=rows,
        verdict=VERDICT,
        detail=detail,
        latest=chart_week(latest),
        fresh=fresh,
        provenance=provenance,
    )
