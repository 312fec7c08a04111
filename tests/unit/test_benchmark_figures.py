"""docs/benchmark-figures.md is generated from benchmarks/results/*.json and kept equal to it."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _figures():
    spec = importlib.util.spec_from_file_location("figures", ROOT / "benchmarks" / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_figures_page_is_what_the_results_give():
    figures = _figures()
    assert figures.PAGE.read_text() == figures.page(), (
        "docs/benchmark-figures.md is out of date: run python benchmarks/figures.py"
    )


def test_a_changed_figure_changes_the_page(tmp_path):
    figures = _figures()
    results = tmp_path / "results"
    shutil.copytree(ROOT / "benchmarks" / "results", results)
    ingest = json.loads((results / "ingest.json").read_text())
    ingest["speedup_vs_naive"] = 0.35
    (results / "ingest.json").write_text(json.dumps(ingest))
    page = figures.page(results)
    assert page != figures.page() and "| speedup_vs_naive | 0.35 |" in page
    assert "Measured on" in page and page.count("\n## ") == len(list(results.glob("*.json")))
