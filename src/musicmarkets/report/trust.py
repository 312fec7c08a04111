"""The trust panel: which gates failed, its rows, and provenance (commit, params, panel and model digests, one run identifier)."""

from __future__ import annotations

import hashlib
import html
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd


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


def trust_rows(
    shares: dict[str, Any],
    backtest: dict[str, Any],
    loo: dict[str, Any],
    fit: dict[str, Any] | None = None,
    recent: dict[str, Any] | None = None,
    gates: dict[str, float] | None = None,
) -> list[tuple[str, str]]:
    """Trust-panel rows beyond the consumption fit's convergence; each threshold is the one the
    gate used (``gates``: ``fit.gates`` of params.yaml; the backtest's range from its metrics)."""
    gates = gates or {}
    share_ok = [k for k, m in shares.items() if isinstance(m, dict) and m.get("gates_passed")]
    share_all = [k for k, m in shares.items() if isinstance(m, dict) and "gates_passed" in m]
    rows = []
    if fit is not None and "ppc_coverage_90_by_market" in fit:
        by = fit["ppc_coverage_90_by_market"]
        rows.append(
            (
                "Weeks inside the 90% interval, market by market (each needs "
                f"{_share(gates.get('coverage_90_min', 0.8))} to "
                f"{_share(gates.get('coverage_90_max', 0.97))})",
                f"{min(by.values()):.0%} to {max(by.values()):.0%} across {len(by)} markets",
            )
        )
    if recent is not None:
        edges = recent.get("at_the_edge", [])
        note = (
            f"; {len(edges)} so close to a bound that another run could decide otherwise"
            if edges
            else ""
        )
        rows.append(
            (
                "Latest weeks inside the interval of every 'now' the report states",
                f"{recent['checked'] - recent['outside']} of {recent['checked']}{note}",
            )
        )
        if "headlines_checked" in recent:
            out = recent.get("headlines_withheld", [])
            names = ", ".join(line.split(" ", 1)[0].upper() for line in out)
            rows.append(
                (
                    "Growth headlines (a year on year) that match the charts' own figure",
                    f"{recent['headlines_checked'] - len(out)} of {recent['headlines_checked']}"
                    + (f"; withheld, the charts' figure shown instead: {names}" if out else ""),
                )
            )
    low, high = backtest.get("coverage_90_range", (0.85, 0.95))
    refits = backtest.get("fits", [])
    refits_ok = sum(not f.get("gates_failed") for f in refits)
    return rows + [
        (
            "Share models passing every convergence gate",
            f"{len(share_ok)} of {len(share_all)}",
        ),
        (
            "Backtest refits passing every convergence gate",
            f"{refits_ok} of {len(refits)}",
        ),
        (
            f"Backtest: held-out weeks 1-{backtest.get('gate_weeks', 13)} ahead inside the 90% "
            f"interval (needs {_share(low)} to {_share(high)})",
            f"{backtest['model_coverage_90']:.0%} of {backtest['model_coverage_90_n']}",
        ),
        ("Model comparison (ELPD-LOO)", loo["verdict"]),
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
    """What made a report: the commit, short hashes of params.yaml, the market-week panel and
    the model, and one run identifier from all four that every page of a run shares."""
    parts = {
        "git commit": git_commit(root),
        "params.yaml": file_digest(root / "params.yaml"),
        "data (market-week panel)": file_digest(root / "data/processed/market_week.parquet"),
        "model file": file_digest(model),
    }
    run_id = hashlib.sha256("|".join(parts.values()).encode()).hexdigest()[:12]
    return {"run": run_id} | parts


def trust_panel(
    metrics: dict[str, Any],
    failed: list[str],
    freshness: pd.DataFrame,
    provenance: dict[str, str],
    extra_rows: list[tuple[str, str]] | None = None,
    gates: dict[str, float] | None = None,
) -> str:
    """HTML block for the top of a report: gate results, data freshness, what made it.

    A failed gate turns the panel red and stamps the page DRAFT, naming each failed gate.
    ``gates``: the thresholds the fit was held to (``fit.gates`` of params.yaml).
    """
    g = {"r_hat_max": 1.01, "ess_min": 400, "divergences_max": 0, "bfmi_min": 0.3} | (gates or {})
    status = (
        '<div class="banner draft">DRAFT: the model failed its quality checks: '
        + html.escape("; ".join(failed))
        + ". The numbers below are shown for review only.</div>"
        if failed
        else '<div class="banner ok">Model checks passed: the numbers below come from a model '
        "that met every quality gate.</div>"
    )
    rows = [
        (f"Convergence (R-hat, max; needs &le; {g['r_hat_max']:g})", f"{metrics['r_hat_max']:.3f}"),
        (
            f"Effective draws (ESS, min bulk / tail; needs &ge; {g['ess_min']:g})",
            f"{metrics['ess_bulk_min']:.0f} / {metrics['ess_tail_min']:.0f}",
        ),
        (
            f"Divergent transitions (needs at most {g['divergences_max']:g})",
            f"{metrics['divergences']}",
        ),
        (
            f"Energy diagnostic (E-BFMI, min; needs &gt; {g['bfmi_min']:g})",
            f"{metrics['bfmi_min']:.2f}",
        ),
        *[(html.escape(k), html.escape(v)) for k, v in (extra_rows or [])],
    ]
    gate_rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    latest = freshness["last_week"].max()
    fresh = ", ".join(
        f"{html.escape(str(r.market).upper())} {pd.Timestamp(r.last_week):%d %b %Y}"
        for r in freshness.itertuples()
    )
    prov = " &middot; ".join(
        f"{html.escape(k)} <code>{html.escape(v)}</code>" for k, v in provenance.items()
    )
    return (
        f'<section class="trust" aria-label="trust panel">{status}'
        f"<table>{gate_rows}</table>"
        f"<p><b>Data up to:</b> week starting {pd.Timestamp(latest):%d %b %Y}. Last week per market: {fresh}.</p>"
        f'<p class="prov">{prov}</p></section>'
    )
