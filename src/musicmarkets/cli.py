"""Command line: ``musicmarkets run STAGE NOTEBOOK OUTPUT [--html PAGE]``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from musicmarkets.notebook import run_notebook

    run_notebook(
        args.stage,
        Path(args.notebook),
        Path(args.output),
        Path(args.html) if args.html else None,
        args.title,
    )
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
    run.set_defaults(func=_run)
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
