"""The DVC graph knows its code: every package file a stage's notebook runs (its `musicmarkets`
imports, module- and function-level, followed through the package) is a dep of that stage, as a
file or a folder above it. Otherwise editing that file would leave the stage's outputs stale
while `dvc repro` says the pipeline is up to date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "musicmarkets"


def module_path(name: str) -> Path | None:
    """The file of a `musicmarkets...` module (a module file or a package's __init__)."""
    parts = name.split(".")
    if parts[0] != "musicmarkets":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def modules_in(tree: ast.AST) -> set[str]:
    """Every `musicmarkets` module a parsed file imports, anywhere in it; `from pkg import
    name` counts `pkg.name` when that is a module, else `pkg`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if module_path(sub) else node.module)
    return {m for m in found if m.split(".")[0] == "musicmarkets"}


def _without_page_export(tree: ast.AST) -> ast.AST:
    """notebook.py without its ``if html is not None:`` block: the page export (the report
    package) runs only for stages whose command passes ``--html``."""
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                block[:] = [
                    n
                    for n in block
                    if not (isinstance(n, ast.If) and ast.unparse(n.test) == "html is not None")
                ]
    return tree


def imported_modules(path: Path, html: bool = True) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    if not html and path == PACKAGE / "notebook.py":
        tree = _without_page_export(tree)
    return modules_in(tree)


def files_run_by(notebook: Path, html: bool = True, seed: set[str] | None = None) -> set[Path]:
    """The package files a notebook runs: its imports (or the modules ``seed``), their
    imports, and so on, with the `__init__.py` of every package on the way (Python runs it on
    import). ``html``: whether the runner exports a page (``_without_page_export``)."""
    seen: set[Path] = set()
    pending = [seed] if seed is not None else [imported_modules(notebook, html)]
    while pending:
        for name in pending.pop():
            parts = name.split(".")
            for k in range(1, len(parts) + 1):
                path = module_path(".".join(parts[:k]))
                if path and path not in seen:
                    seen.add(path)
                    pending.append(imported_modules(path, html))
    return seen


def runner_files(html: bool = False) -> set[Path]:
    """The package files `musicmarkets run` executes around every stage's notebook: cli.py,
    what it imports at module level and in ``_run`` (the kernel, Papermill's runner, the
    parameters), and what those import; the page export only with ``html``."""
    cli = PACKAGE / "cli.py"
    tree = ast.parse(cli.read_text(), str(cli))
    scope = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
    scope += [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_run"]
    seed = modules_in(ast.Module(body=scope, type_ignores=[]))
    return {cli} | files_run_by(cli, html, seed)


def stages() -> dict[str, dict]:
    """dvc.yaml's stages; a foreach stage is checked through its `do` block."""
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    return {name: spec.get("do", spec) for name, spec in raw.items()}


def undeclared(spec: dict) -> list[str]:
    notebooks = re.findall(r"notebooks/\S+\.py", spec["cmd"])
    deps = [ROOT / d for d in spec.get("deps", []) if isinstance(d, str)]
    runs = set()
    for notebook in notebooks:
        runs |= files_run_by(ROOT / notebook)
    if spec["cmd"].split()[:2] == ["musicmarkets", "run"]:
        # the runner around the notebook: its bytes shape the outputs
        runs |= runner_files(html="--html" in spec["cmd"])
    missing = []
    for path in sorted(runs):
        if path.name == "__init__.py" and path.stat().st_size == 0:
            continue  # an empty package marker runs nothing
        if not any(path == d or d in path.parents for d in deps):
            missing.append(str(path.relative_to(PACKAGE)))
    return missing


def test_the_walk_follows_imports_inside_functions(tmp_path):
    nb = tmp_path / "nb.py"
    nb.write_text("def f():\n    from musicmarkets.models import forecast\n")
    found = {p.relative_to(PACKAGE).as_posix() for p in files_run_by(nb)}
    # forecast imports consumption: the walk follows it
    assert {"models/forecast.py", "models/consumption.py"} <= found


def test_the_runner_around_every_notebook_counts_as_code_the_stage_runs():
    """`musicmarkets run` starts the kernel (kernel.py sets its threads), reads the stage's
    parameters and runs Papermill (notebook.py): every stage runs those files."""
    found = {p.relative_to(PACKAGE).as_posix() for p in runner_files()}
    assert {"cli.py", "kernel.py", "notebook.py", "params.py", "config.py", "io.py"} <= found
    assert "report/trust.py" not in found  # `musicmarkets status` is not run by a stage
    # a report stage's runner also exports the page
    pages = {p.relative_to(PACKAGE).as_posix() for p in runner_files(html=True)}
    assert {"report/export.py", "report/inputs.py"} <= pages - found


@pytest.mark.parametrize("stage", sorted(stages()))
def test_every_package_file_a_stage_runs_is_a_dep(stage):
    assert undeclared(stages()[stage]) == [], f"dvc.yaml stage {stage!r} does not declare these"


def upstream(graph: dict[str, dict], targets: tuple[str, ...]) -> set[str]:
    """The stages ``targets`` need, themselves included: a stage is upstream of another when
    one of its outs is (or holds) one of the other's deps."""
    outs = {
        name: [o if isinstance(o, str) else next(iter(o)) for o in spec.get("outs", [])]
        for name, spec in graph.items()
    }
    need, todo = set(), list(targets)
    while todo:
        name = todo.pop()
        if name in need:
            continue
        need.add(name)
        for dep in (d for d in graph[name].get("deps", []) if isinstance(d, str)):
            todo += [
                other
                for other, written in outs.items()
                if any(dep == o or dep.startswith(o.rstrip("/") + "/") for o in written)
            ]
    return need


def test_the_determinism_check_runs_every_stage_that_writes_data():
    """`tests/pipeline/test_determinism.py` compares two clean runs of ``DATA_STAGES`` and what
    they read: every stage with an out under data/ is among them, or left out by name with
    the reason."""
    from tests.pipeline.small import DATA_STAGES, DATA_STAGES_LEFT_OUT

    graph = stages()
    writers = {
        name
        for name, spec in graph.items()
        for o in spec.get("outs", [])
        if (o if isinstance(o, str) else next(iter(o))).startswith("data/")
    }
    run = upstream(graph, DATA_STAGES)
    assert writers - run - set(DATA_STAGES_LEFT_OUT) == set()
    assert {"ingest", "panel", "fit", "shares"} <= run  # the walk follows deps to their writers
    assert "backtest" not in run and "report" not in run
