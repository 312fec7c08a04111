"""Command line of the project.

``musicmarkets run STAGE NOTEBOOK OUTPUT [--html PAGE] [--set NAME=VALUE] [--each NAME=LIST]``:
execute a pipeline notebook (once per item of a list parameter with ``--each``).
``musicmarkets compare REV_A REV_B``: do two revisions' posteriors agree within Monte Carlo error
(exit 0), or which quantities moved, in posterior sd (exit 3)?
``musicmarkets why REV_A REV_B``: split the change of each market's forecast between two
revisions into data, params, code and their interaction (one factor swapped at a time).
``musicmarkets validate PATH...``: check chart files against the contracts (exit 1 if any is
rejected).
``musicmarkets status``: where the reports are and whether every quality gate passed (exit 2
when a gate failed: the pages are DRAFT).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
from pathlib import Path


def parse_overrides(items: list[str]) -> dict[str, object]:
    """``--set NAME=VALUE`` items as notebook parameters: each value read as YAML, except that a
    date stays the text it was (as params.yaml's quoted dates; papermill injects JSON)."""
    import yaml

    overrides: dict[str, object] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        value = yaml.safe_load(raw)
        overrides[name] = raw if isinstance(value, datetime.date) else value
    return overrides


def _run(args: argparse.Namespace) -> int:
    from musicmarkets.config import repo_root
    from musicmarkets.kernel import import_statements, started_kernel

    root = repo_root()
    # the kernel starts and imports the notebook's libraries while Papermill is imported here
    with started_kernel(root, import_statements(root / args.notebook)) as kernel:
        from musicmarkets.notebook import run_each, run_notebook
        from musicmarkets.params import parse_each

        overrides = parse_overrides(args.set or [])
        if args.each:
            name, source = parse_each(args.each)
            run_each(
                args.stage,
                Path(args.notebook),
                args.output,
                args.html,
                args.title,
                name,
                source,
                root=root,
                overrides=overrides,
                kernel=kernel,
            )
            return 0
        run_notebook(
            args.stage,
            Path(args.notebook),
            Path(args.output),
            Path(args.html) if args.html else None,
            args.title,
            root=root,
            overrides=overrides,
            kernel=kernel,
        )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from musicmarkets import config
    from musicmarkets.sources import covariates
    from musicmarkets.validate import validate

    known = None  # market codes are checked against the project's country list, as ingest does
    for start in (None, Path(__file__).parent):  # the working directory's project, else this one
        try:
            paths = config.paths(start)
            codes = covariates.read_country_codes(paths.covariates_raw)
            reference = config.load_params(paths.root)["common"]["reference_chart"]
        except (FileNotFoundError, OSError):
            continue
        known = set(codes["market"]) | {reference}  # and the chart ingest compares against
        break
    if known is None:
        print(
            "musicmarkets validate: no country list found: market codes NOT checked",
            file=sys.stderr,
        )
    verdicts = validate([Path(p) for p in args.paths], known)
    if not verdicts:
        print("no chart files found", file=sys.stderr)
        return 2
    for v in verdicts:
        print(v.line())
    counts = {
        s: sum(v.status == s for v in verdicts) for s in ("accepted", "quarantined", "rejected")
    }
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 1 if counts["rejected"] else 0


def _compare(args: argparse.Namespace) -> int:
    from musicmarkets import config
    from musicmarkets.compare import compare_revisions

    result = compare_revisions(args.rev_a, args.rev_b, config.repo_root(), args.z_max)
    print(result.text(args.top))
    return 0 if result.agree else 3


def _why(args: argparse.Namespace) -> int:
    import json

    from musicmarkets import config
    from musicmarkets.attribution import attribute

    root = config.repo_root()
    table = attribute(root, args.rev_a, args.rev_b, args.horizon)
    shown = table.copy()
    for col in ("forecast_a", "forecast_b", "data", "params", "code", "interaction", "change"):
        shown[col] = (shown[col] / 1e6).round(1)
    print(
        f"Forecast of streams (millions) over the next {int(table['horizon_weeks'].iloc[0])} weeks: "
        f"{args.rev_a} -> {args.rev_b}, change split by factor"
    )
    print(shown.drop(columns=["horizon_weeks", "key"]).to_string(index=False))
    if args.out:
        out = root / args.out
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "rev_a": args.rev_a,
            "rev_b": args.rev_b,
            "rows": table.to_dict(orient="records"),
        }
        out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


def _status(args: argparse.Namespace) -> int:
    from musicmarkets import config, io, report

    paths = config.paths()
    metrics = {
        name: io.read_json(paths.metrics / f"{name}.json")
        if (paths.metrics / f"{name}.json").is_file()
        else None
        for name in ("fit", "shares", "backtest", "recent_fit")
    }
    if metrics["fit"] is None:
        print("musicmarkets status: no fit yet (run `make repro`)")
        return 1
    failed = report.gates_failed(
        metrics["fit"], metrics["shares"], metrics["backtest"], recent=metrics["recent_fit"]
    )
    pages = [paths.reports / "index.html", paths.reports / "technical.html"]
    pages += sorted((paths.reports / "markets").glob("*.html"))
    for page in pages:
        if page.is_file():
            print(f"report: {page.relative_to(paths.root)}")
    if failed:
        print("gates: FAILED, the pages are stamped DRAFT:")
        for gate in failed:
            print(f"  - {gate}")
        return 2
    print("gates: every quality gate passed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="musicmarkets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute a pipeline notebook with its stage's parameters")
    run.add_argument("stage", help="stage name = params.yaml block (e.g. fit)")
    run.add_argument("notebook", help="notebooks/NN_verb_object.py")
    run.add_argument("output", help="where the executed .ipynb goes")
    run.add_argument("--html", help="also export a stakeholder HTML page here")
    run.add_argument("--title", help="title of the HTML page")
    run.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="set one notebook parameter (a foreach stage passes its item this way)",
    )
    run.add_argument(
        "--each",
        metavar="NAME=LIST",
        help="run once per item of the stage's list parameter LIST, with NAME set to the item, "
        "in one kernel; {NAME} in OUTPUT and --html is replaced by the item",
    )
    run.set_defaults(func=_run)
    val = sub.add_parser("validate", help="check chart files against the data contracts")
    val.add_argument("paths", nargs="+", help="chart files or folders of them")
    val.set_defaults(func=_validate)
    cmp = sub.add_parser(
        "compare", help="do two revisions' posteriors agree within Monte Carlo error?"
    )
    cmp.add_argument("rev_a", help="git revision (or 'workspace')")
    cmp.add_argument("rev_b", help="git revision (or 'workspace')")
    cmp.add_argument("--z-max", type=float, default=4.0, help="bound in MCSE units (default 4)")
    cmp.add_argument("--top", type=int, default=15, help="how many moved quantities to list")
    cmp.set_defaults(func=_compare)
    why = sub.add_parser(
        "why", help="attribute the change of each market's forecast to data, params and code"
    )
    why.add_argument("rev_a", help="git revision before")
    why.add_argument("rev_b", help="git revision after")
    why.add_argument("--horizon", type=int, help="weeks summed (default: the shortest horizon)")
    why.add_argument(
        "--out",
        default="reports/why_forecast_changed.json",
        help="where to write the table (the technical report shows it)",
    )
    why.set_defaults(func=_why)
    status = sub.add_parser("status", help="where the reports are and whether every gate passed")
    status.set_defaults(func=_status)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except Exception as exc:  # one clear line for the person at the terminal; details in the log
        logging.getLogger("musicmarkets").debug("failure", exc_info=True)
        print(f"musicmarkets {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
